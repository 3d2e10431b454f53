// The database as the previous version of the app left it (DB_VERSION 1: runs without their
// card table) opens with this version: runs and checkpoints intact, each run's card none; and
// a run's card table is stored with it and deleted with it. The version-1 database is written
// here by hand, record for record as version 1 wrote it, not by this version's code.
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { DB_NAME, DB_VERSION, db, type StoredCardTable } from '../../src/lib/storage/db';
import { deleteRun, getRun, listRuns, loadLatestCheckpoint, putRun, resumableRun } from '../../src/lib/storage/checkpoints';

const ckptId = 'run-old@00000004';
const config = { blockSize: 16, batchSize: 2, gradAccum: 1, epochs: 1, lr: 1e-3, warmupSteps: 0, weightDecay: 0, clipNorm: 1, seed: 3, dropout: true, lossReadEvery: 1, checkpointEvery: 2, valFraction: 0.1, recompute: true };
const oldRun = {
  id: 'run-old',
  name: '@alice',
  createdAt: 1,
  updatedAt: 2,
  status: 'paused',
  modelUrl: 'https://huggingface.co/distilbert/distilgpt2/resolve/main/',
  modelConfig: { n_embd: 8 },
  config,
  totalSteps: 10,
  accounts: [{ username: 'alice', ids: Int32Array.of(5, 6, 7), ends: Int32Array.of(2, 3), chars: Int32Array.of(9, 4) }],
  corpusBytes: 28,
};
const tensor = (key: string, fill: number) => ({
  ckptId,
  key,
  shape: [2],
  data: Float32Array.of(fill, fill),
  m: Float32Array.of(fill / 10, fill / 10),
  v: Float32Array.of(fill / 100, fill / 100),
});

/** Version 1 of the schema, and a paused run with one checkpoint, as that version stored them. */
async function writeVersion1(): Promise<void> {
  const v1 = await openDB(DB_NAME, 1, {
    upgrade(database) {
      database.createObjectStore('runs', { keyPath: 'id' }).createIndex('byUpdated', 'updatedAt');
      database.createObjectStore('checkpoints', { keyPath: 'id' }).createIndex('byRun', 'runId');
      database.createObjectStore('tensors', { keyPath: ['ckptId', 'key'] }).createIndex('byCheckpoint', 'ckptId');
      database.createObjectStore('pointers', { keyPath: 'runId' });
    },
  });
  await v1.put('runs', oldRun);
  await v1.put('tensors', tensor('wte.weight#0', 1));
  await v1.put('tensors', tensor('ln_f.bias', 2));
  await v1.put('checkpoints', {
    id: ckptId, runId: 'run-old', step: 4, createdAt: 3, bytes: 72, adamStep: 4, position: { epoch: 0, step: 4 }, rng: { seed: 3, step: 4 },
    paramKeys: ['wte.weight#0', 'ln_f.bias'], losses: [{ step: 4, loss: 5.5 }], valLosses: [],
  });
  await v1.put('pointers', { runId: 'run-old', checkpointId: ckptId, step: 4 });
  v1.close();
}

describe('IndexedDB upgrade', () => {
  it('opens a version-1 database with its runs and checkpoints intact, each run without a card table', async () => {
    await writeVersion1();
    expect(DB_VERSION).toBe(2);
    expect((await db()).version).toBe(2);

    expect(await getRun('run-old')).toEqual({ ...oldRun, card: null });
    const ck = await loadLatestCheckpoint('run-old');
    expect(ck!.state).toMatchObject({ step: 4, adamStep: 4, position: { epoch: 0, step: 4 }, losses: [{ step: 4, loss: 5.5 }] });
    // Written before checkpoint format 1: its one vocabulary slice `wte.weight#0` reads back as `wte.weight`.
    expect(ck!.state.params).toEqual([tensor('wte.weight', 1), tensor('ln_f.bias', 2)].map(({ ckptId: _c, ...p }) => p));
    expect((await resumableRun())?.run.id).toBe('run-old');
    const [listed] = await listRuns();
    expect([listed.run.card, listed.checkpoints.map((c) => [c.step, c.current])]).toEqual([null, [[4, true]]]);
  });

  it("stores a run's card table with it, and deletes it with the run", async () => {
    const card: StoredCardTable = {
      rule: 'at least 3 words',
      excludeReplies: true,
      users: [{ username: 'alice', displayName: 'Alice', downloaded: 10, retweets: 2, short: 1, kept: 7 }],
    };
    await putRun({ ...oldRun, id: 'run-new', status: 'done', card });
    expect((await listRuns()).find((r) => r.run.id === 'run-new')!.run.card).toEqual(card);
    await deleteRun('run-new');
    expect(await getRun('run-new')).toBeUndefined();
    expect((await (await db()).getAll('runs')).map((r) => r.id)).toEqual(['run-old']);
  });
});
