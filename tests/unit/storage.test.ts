import 'fake-indexeddb/auto';
import { describe, it, expect, beforeAll, beforeEach, afterEach, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { db } from '../../src/lib/storage/db';
import {
  checkpointId,
  deleteCheckpoint,
  deleteRun,
  getRun,
  listRuns,
  loadLatestCheckpoint,
  packAccounts,
  putRun,
  resumableRun,
  saveCheckpoint,
  sweepOrphans,
  unpackAccounts,
  accountsBytes,
} from '../../src/lib/storage/checkpoints';
import { askToKeepStorage, checkStorage, quotaMessage } from '../../src/lib/storage/quota';
import type { RunRecord } from '../../src/lib/storage/db';
import { GPT2 } from '../../src/lib/model/gpt2';
import { Corpus, type CorpusAccount } from '../../src/lib/dataset/corpus';
import { Trainer, type TrainerState } from '../../src/lib/train/trainer';
import { resolveTrainConfig } from '../../src/lib/train/config';
import { syntheticTokens, syntheticWeights, syntheticConfig } from '../helpers/synthetic.ts';

const modelCfg = syntheticConfig();
const config = resolveTrainConfig({ blockSize: 8, batchSize: 2, epochs: 2, seed: 9, lr: 1e-3, lossReadEvery: 2 });

function accounts(): CorpusAccount[] {
  return [0, 1].map((a) => ({
    username: `u${a}`,
    tweets: Array.from({ length: 25 - 15 * a }, (_, i) => {
      const ids = Array.from(syntheticTokens(3 + (i % 4), 100, 7 + a * 100 + i));
      return { ids, chars: ids.length * 5 };
    }),
  }));
}

function makeTrainer() {
  const model = GPT2.fromWeights(modelCfg, syntheticWeights(modelCfg, 4), { maxBufferBytes: 4096 });
  const corpus = new Corpus(unpackAccounts(packAccounts(accounts())), { ...config, eotId: 100 });
  return { model, trainer: new Trainer(model, corpus, config) };
}

let n = 0;
function run(id = `run-${++n}`): RunRecord {
  const stored = packAccounts(accounts());
  return {
    id,
    name: `@u0 + @u1 (${id})`,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    status: 'training',
    modelUrl: '/fixtures/models/tiny/',
    modelConfig: { ...modelCfg },
    config,
    totalSteps: 10,
    accounts: stored,
    corpusBytes: accountsBytes(stored),
    card: null,
  };
}

function fakeState(step: number, fill: number): TrainerState {
  const p = (key: string, size: number) => ({
    key,
    shape: [size],
    data: new Float32Array(size).fill(fill),
    m: new Float32Array(size).fill(fill / 10),
    v: new Float32Array(size).fill(fill / 100),
  });
  return {
    step,
    adamStep: step,
    position: { epoch: 0, step },
    rng: { seed: 9, step },
    params: [p('a', 10), p('b', 5)],
    losses: [{ step, loss: fill }],
    valLosses: [],
  };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

beforeEach(async () => {
  const d = await db();
  for (const s of ['runs', 'checkpoints', 'tensors', 'pointers'] as const) await d.clear(s);
});

describe('IndexedDB checkpoints (fake-indexeddb)', () => {
  // Some tests stand in for navigator.storage; none may leave its stand-in behind.
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('keeps the last two checkpoints, pointer on the newest, tensors of pruned ones gone', async () => {
    const r = run();
    await putRun(r);
    for (const step of [3, 6, 9]) await saveCheckpoint(r.id, fakeState(step, step));
    const d = await db();
    expect(await d.getAllKeys('checkpoints')).toEqual([checkpointId(r.id, 6), checkpointId(r.id, 9)]);
    expect((await d.getAll('tensors')).map((t) => t.ckptId).sort()).toEqual(
      [6, 6, 9, 9].map((s) => checkpointId(r.id, s)),
    );
    const latest = await loadLatestCheckpoint(r.id);
    expect(latest!.state.step).toBe(9);
    expect(latest!.state.params[0].data).toEqual(new Float32Array(10).fill(9));
    expect(latest!.state.params[1].v).toEqual(new Float32Array(5).fill(0.09));
    expect(latest!.state.position).toEqual({ epoch: 0, step: 9 });
  });

  it('a write killed before the pointer flip leaves the previous checkpoint loadable; orphans are swept', async () => {
    const r = run();
    await putRun(r);
    await saveCheckpoint(r.id, fakeState(3, 3));
    // What a terminated worker leaves: step 6's tensors written, no metadata, no pointer flip.
    const d = await db();
    const half = fakeState(6, 6).params[0];
    await d.put('tensors', { ckptId: checkpointId(r.id, 6), ...half });
    const latest = await loadLatestCheckpoint(r.id);
    expect(latest!.state.step).toBe(3);
    expect(latest!.state.params[0].data).toEqual(new Float32Array(10).fill(3));
    expect(await sweepOrphans()).toBe(1);
    expect((await d.getAll('tensors')).length).toBe(2);
  });

  it('leaves alone a run open in another tab: no sweep of its half-written checkpoint, no resume offer', async () => {
    const other = run();
    await putRun(other);
    await saveCheckpoint(other.id, fakeState(2, 1));
    const d = await db();
    await d.put('tensors', { ckptId: checkpointId(other.id, 4), ...fakeState(4, 4).params[0] }); // being written there now
    const open = new Set([other.id]);
    expect((await resumableRun(open))?.run.id).not.toBe(other.id);
    expect(await sweepOrphans(open)).toBe(0);
    expect((await resumableRun())?.run.id).toBe(other.id); // once that tab is gone
    expect(await sweepOrphans()).toBe(1);
  });

  it('sweeps the checkpoints of a run that no longer exists, and keeps every other run\'s', async () => {
    const kept = run();
    const gone = run();
    await putRun(kept);
    await putRun(gone);
    await saveCheckpoint(kept.id, fakeState(2, 1));
    await saveCheckpoint(gone.id, fakeState(2, 1));
    await saveCheckpoint(gone.id, fakeState(4, 1));
    const d = await db();
    await d.delete('runs', gone.id); // what an older version left when a paused run was deleted and resumed
    expect(await sweepOrphans()).toBe(4); // 2 checkpoints x 2 tensors
    expect((await d.getAll('checkpoints')).map((c) => c.runId)).toEqual([kept.id]);
    expect(await d.getAllKeys('pointers')).toEqual([kept.id]);
    expect((await loadLatestCheckpoint(kept.id))!.state.step).toBe(2);
  });

  it('lists runs with sizes, deletes checkpoints (pointer falls back) and runs', async () => {
    const a = run();
    const b = run();
    await putRun(a);
    await putRun(b);
    await saveCheckpoint(a.id, fakeState(3, 1));
    await saveCheckpoint(a.id, fakeState(6, 1));
    const shelf = await listRuns();
    const sa = shelf.find((s) => s.run.id === a.id)!;
    expect(sa.checkpoints.map((c) => [c.step, c.bytes, c.current])).toEqual([
      [3, 15 * 4 * 3, false],
      [6, 15 * 4 * 3, true],
    ]);
    expect(sa.bytes).toBe(a.corpusBytes + 2 * 15 * 12);
    expect('accounts' in sa.run).toBe(false);
    await deleteCheckpoint(checkpointId(a.id, 6));
    expect((await loadLatestCheckpoint(a.id))!.state.step).toBe(3);
    expect((await resumableRun())!.run.id).toBe(a.id);
    await deleteRun(a.id);
    expect(await getRun(a.id)).toBeUndefined();
    expect(await loadLatestCheckpoint(a.id)).toBeUndefined();
    const d = await db();
    expect(await d.count('tensors')).toBe(0);
    expect((await listRuns()).map((s) => s.run.id)).toEqual([b.id]);
  });

  it('stores the corpus compactly and gives it back tweet for tweet', () => {
    const acc = accounts();
    const back = unpackAccounts(packAccounts(acc));
    expect(back.map((a) => a.tweets.map((t) => [Array.from(t.ids), t.chars]))).toEqual(
      acc.map((a) => a.tweets.map((t) => [t.ids, t.chars])),
    );
  });

  it('checks the budget before training and explains a full disk by naming what to delete', async () => {
    const r = run();
    await putRun(r);
    await saveCheckpoint(r.id, fakeState(3, 1));
    const nav = { storage: { persisted: async () => false, persist: async () => true, estimate: async () => ({ quota: 1000, usage: 400 }) } };
    vi.stubGlobal('navigator', nav);
    const ok = await checkStorage(500);
    expect(ok).toMatchObject({ ok: true, persisted: true, availableBytes: 600 });
    const full = await checkStorage(5000);
    expect(full.ok).toBe(false);
    expect(full.message).toContain('5.0 KB');
    expect(full.message).toContain(r.name);
    const err = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    expect(await quotaMessage(err)).toMatch(/storage is full.*Delete old runs/);
  });

  it('asks to keep the storage only when it is not kept yet, and does not wait on a browser that never answers', async () => {
    let asked = 0;
    const stub = (persisted: boolean, persist: () => Promise<boolean>) =>
      vi.stubGlobal('navigator', { storage: { persisted: async () => persisted, persist: () => (asked++, persist()) } });
    stub(true, async () => true);
    expect([await askToKeepStorage(), asked]).toEqual([true, 0]);
    stub(false, async () => true);
    expect([await askToKeepStorage(), asked]).toEqual([true, 1]);
    stub(false, () => new Promise(() => {})); // a prompt nobody answers
    expect(await askToKeepStorage(20)).toBe(false);
    stub(false, async () => Promise.reject(new DOMException('refused', 'NotAllowedError')));
    expect(await askToKeepStorage()).toBe(false);
  });

  it('a tensor put refused for the quota is one error: no unhandled rejection, nothing half-written, the last checkpoint intact', async () => {
    const r = run();
    await putRun(r);
    await saveCheckpoint(r.id, fakeState(1, 1));
    // The second tensor's put fails as a full disk does: its request errors and the transaction aborts.
    const realPut = IDBObjectStore.prototype.put;
    let puts = 0;
    IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<IDBObjectStore['put']>) {
      if (this.name !== 'tensors' || ++puts !== 2) return realPut.apply(this, args);
      const tx = this.transaction as unknown as { _execRequestAsync(o: { source: unknown; operation: () => never }): IDBRequest };
      return tx._execRequestAsync({ source: this, operation: () => { throw new DOMException('The quota has been exceeded.', 'QuotaExceededError'); } });
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    try {
      const state = fakeState(2, 2);
      state.params.push(...['c', 'd', 'e'].map((key) => ({ ...state.params[0], key })));
      const err = await saveCheckpoint(r.id, state).then(() => null, (e: unknown) => e);
      expect((err as DOMException).name).toBe('QuotaExceededError');
      expect(await quotaMessage(err)).toMatch(/^The browser refused to store the checkpoint: storage is full\. Delete old runs/);
      await new Promise((resolve) => setTimeout(resolve, 50)); // let any stray rejection surface
    } finally {
      process.off('unhandledRejection', onUnhandled);
      IDBObjectStore.prototype.put = realPut;
    }
    expect(unhandled).toEqual([]);
    expect(puts).toBe(2); // stopped at the failure, not queued past it
    const latest = await loadLatestCheckpoint(r.id);
    expect(latest!.record.step).toBe(1);
    expect(await (await db()).getAllKeysFromIndex('tensors', 'byCheckpoint', checkpointId(r.id, 2))).toEqual([]);
  });

  it('resumes exactly through IndexedDB: 6 steps straight = 3, checkpoint, fresh model + trainer, 3 more', async () => {
    const straight = makeTrainer();
    for (let i = 0; i < 6; i++) straight.trainer.trainStep();
    await straight.trainer.flush();
    const want = straight.trainer.losses.map((l) => l.loss);
    straight.trainer.dispose();
    straight.model.dispose();

    const r = run();
    await putRun(r);
    const first = makeTrainer();
    for (let i = 0; i < 3; i++) first.trainer.trainStep();
    await saveCheckpoint(r.id, await first.trainer.snapshot());
    first.trainer.dispose();
    first.model.dispose();

    const stored = await getRun(r.id);
    const second = makeTrainer();
    expect(unpackAccounts(stored!.accounts).length).toBe(2);
    second.trainer.restore((await loadLatestCheckpoint(r.id))!.state);
    for (let i = 0; i < 3; i++) second.trainer.trainStep();
    await second.trainer.flush();
    const got = second.trainer.losses.map((l) => l.loss);
    expect(got.length).toBe(6);
    for (let i = 0; i < 6; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-5);
    second.trainer.dispose();
    second.model.dispose();
  });
});
