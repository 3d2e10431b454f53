// A checkpoint written before the model-family seam (tests/golden/checkpoint-v0.json, made by
// scripts/golden/legacy-checkpoint.ts at d39e172 with the code of 3b082c5): no format field, the
// tied embedding stored as its two row slices under `wte.weight#0`, `wte.weight#1`. It must load
// as logical parameters, restore the very weights it holds, and train on to the loss that code
// computed for the next step, on a device that slices the embedding alike or not at all.
import 'fake-indexeddb/auto';
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { db, type CheckpointRecord } from '../../src/lib/storage/db';
import { CHECKPOINT_FORMAT, loadCheckpoint, loadLatestCheckpoint, saveCheckpoint } from '../../src/lib/storage/checkpoints';
import { GPT2 } from '../../src/lib/model/gpt2';
import { parseConfig } from '../../src/lib/model/gpt2/config';
import { Corpus } from '../../src/lib/dataset/corpus';
import { Trainer } from '../../src/lib/train/trainer';
import { syntheticWeights } from '../helpers/synthetic.ts';

interface StoredTensor {
  ckptId: string;
  key: string;
  shape: number[];
  data: string;
  m: string;
  v: string;
}
const fixture = JSON.parse(fs.readFileSync('tests/golden/checkpoint-v0.json', 'utf8'));
const record = fixture.record as CheckpointRecord;
const tensors = fixture.tensors as StoredTensor[];
const modelConfig = parseConfig(fixture.modelConfig);

function f32(b64: string): Float32Array {
  const buf = Buffer.from(b64, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** What the fixture holds, by logical name: the two wte rows blocks laid end to end, here, by hand. */
function expectedWeights(field: 'data' | 'm' | 'v'): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const t of tensors) if (!t.key.includes('#')) out.set(t.key, f32(t[field]));
  const [a, b] = ['wte.weight#0', 'wte.weight#1'].map((k) => f32(tensors.find((t) => t.key === k)![field]));
  const wte = new Float32Array(a.length + b.length);
  wte.set(a);
  wte.set(b, a.length);
  out.set('wte.weight', wte);
  return out;
}

function trainer(maxBufferBytes: number) {
  // Weights other than the checkpoint's: restore must replace every one of them.
  const model = GPT2.fromWeights(modelConfig, syntheticWeights(modelConfig, 77), { maxBufferBytes });
  const corpus = new Corpus(fixture.accounts, { ...fixture.train, eotId: fixture.eotId });
  return { model, trainer: new Trainer(model, corpus, fixture.train) };
}

describe('a checkpoint of format 0 (before the model-family seam)', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    expect(record.format).toBeUndefined();
    expect(record.paramKeys).toContain('wte.weight#1');
    const d = await db();
    await d.put('checkpoints', record);
    for (const t of tensors) await d.put('tensors', { ...t, data: f32(t.data), m: f32(t.m), v: f32(t.v) });
    await d.put('pointers', { runId: record.runId, checkpointId: record.id, step: record.step });
  });

  it('loads as logical parameters: one wte.weight, its slices joined in row order', async () => {
    const { state } = (await loadLatestCheckpoint(record.runId))!;
    expect(state.params.map((p) => p.key).filter((k) => k.startsWith('wte'))).toEqual(['wte.weight']);
    expect(state.params.every((p) => !p.key.includes('#'))).toBe(true);
    const wte = state.params.find((p) => p.key === 'wte.weight')!;
    expect(wte.shape).toEqual([20, 4]);
    for (const field of ['data', 'm', 'v'] as const) expect(wte[field]).toEqual(expectedWeights(field).get('wte.weight'));
  });

  for (const maxBufferBytes of [256, Infinity]) {
    it(`restores the same weights and trains on to the same loss (${maxBufferBytes === Infinity ? 'embedding whole' : 'embedding in two slices'})`, async () => {
      const run = trainer(maxBufferBytes);
      expect(run.model.parameter('wte.weight').slices.length).toBe(maxBufferBytes === Infinity ? 1 : 2);
      run.trainer.restore((await loadLatestCheckpoint(record.runId))!.state);
      const weights = await run.model.exportWeights();
      const want = expectedWeights('data');
      expect([...weights.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [name, w] of weights) expect(w.data, name).toEqual(want.get(name));
      expect(run.trainer.step).toBe(3);
      run.trainer.trainStep();
      await run.trainer.flush();
      const loss = run.trainer.losses.at(-1)!;
      expect(loss.step).toBe(4);
      expect(Math.abs(loss.loss - fixture.nextLoss)).toBeLessThan(1e-5);
      run.trainer.dispose();
      run.model.dispose();
    });
  }

  it('is written back in the current format, logical names and all', async () => {
    const run = trainer(256);
    run.trainer.restore((await loadLatestCheckpoint(record.runId))!.state);
    const saved = await saveCheckpoint('resaved', await run.trainer.snapshot());
    expect(saved.format).toBe(CHECKPOINT_FORMAT);
    expect(saved.paramKeys).toContain('wte.weight');
    expect(saved.paramKeys.some((k) => k.includes('#'))).toBe(false);
    const again = (await loadCheckpoint(saved.id))!.state;
    expect(again.params.find((p) => p.key === 'wte.weight')!.data).toEqual(expectedWeights('data').get('wte.weight'));
    run.trainer.dispose();
    run.model.dispose();
  });

  it('refuses a checkpoint from a newer format, naming it', async () => {
    const d = await db();
    await d.put('checkpoints', { ...record, id: 'future@00000003', format: CHECKPOINT_FORMAT + 1 });
    await expect(loadCheckpoint('future@00000003')).rejects.toThrow(/newer version of this app \(format 2\)/);
  });
});
