// The tfjs GPT-2 (CPU backend) against the independent float64 PyTorch GPT-2
// (scripts/golden/gpt2_ref.py -> tests/golden/model-tiny.json) on the deterministic tiny
// checkpoints: per-position losses within 1e-4, greedy continuations identical, for
// both name styles and F16 storage.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import golden from '../golden/model-tiny.json';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { loadModelDir } from '../../scripts/fixtures/model-dir.ts';
import { TINY_MODELS, tinyModelDir, type TinyModelName } from '../../scripts/fixtures/tiny-model.ts';
import { greedyIds, lossesOf } from '../helpers/model-helpers.ts';
import { importWasmBackend } from '../../src/lib/wasm-matmul.ts';

type Golden = typeof golden.models.tiny;

beforeAll(async () => {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
});

describe.each(Object.keys(TINY_MODELS) as TinyModelName[])('tiny GPT-2 "%s" vs PyTorch (tfjs cpu)', (name) => {
  const g = (golden.models as Record<string, Golden>)[name];
  let model: GPT2;
  beforeAll(async () => {
    const dir = tinyModelDir(name);
    const files = await loadModelDir(dir);
    model = GPT2.fromWeights(files.config, files.weights);
    return () => model.dispose();
  });

  it('golden file was made from this fixture build', () => {
    // A changed fixture generator needs `python3 scripts/golden/model_golden.py` rerun.
    const { version: _v, ...opts } = g.fixture;
    expect(opts).toEqual(TINY_MODELS[name]);
  });

  it.each(g.texts.map((t, i) => [i, t] as const))('per-position losses of text %i within 1e-4', async (_i, t) => {
    const losses = await lossesOf(model, t.ids);
    expect(losses).toHaveLength(t.losses.length);
    const worst = Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])));
    expect(worst).toBeLessThan(1e-4);
  });

  it('logits() agrees with tokenLosses() (log-softmax at the target)', async () => {
    const t = g.texts[0];
    const [fromLogits, direct] = tf.tidy(() => {
      const h = model.hidden(tf.tensor2d([t.ids.slice(0, -1)], undefined, 'int32'));
      const logp = tf.logSoftmax(model.logits(h)); // [T, V]
      const y = t.ids.slice(1);
      const picked = tf.stack(y.map((id, i) => tf.neg(logp.slice([i, id], [1, 1]).reshape([])))); // [T]
      return [picked, model.tokenLosses(h, tf.tensor1d(y, 'int32'))];
    });
    const a = await fromLogits.data();
    const b = await direct.data();
    for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 4);
    tf.dispose([fromLogits, direct]);
  });

  it.each(g.greedy.map((x, i) => [i, x] as const))('greedy continuation %i identical (KV cache)', async (_i, x) => {
    expect(await greedyIds(model, x.ids, x.new_ids.length, true)).toEqual(x.new_ids);
  });

  it('greedy continuation identical with full recompute too', async () => {
    const x = g.greedy[2];
    expect(await greedyIds(model, x.ids, 20, false)).toEqual(x.new_ids.slice(0, 20));
  });
});

// The wasm backend is the page's fallback without WebGPU: one text and a short continuation.
describe('tiny GPT-2 vs PyTorch (tfjs wasm)', () => {
  let model: GPT2;
  beforeAll(async () => {
    await importWasmBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    const files = await loadModelDir(tinyModelDir('tiny'));
    model = GPT2.fromWeights(files.config, files.weights);
    return async () => {
      model.dispose();
      await tf.setBackend('cpu');
    };
  });

  it('per-position losses within 1e-4 and greedy identical', async () => {
    const g = golden.models.tiny;
    const t = g.texts[1];
    const losses = await lossesOf(model, t.ids);
    expect(Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])))).toBeLessThan(1e-4);
    const x = g.greedy[0];
    expect(await greedyIds(model, x.ids, 12, true)).toEqual(x.new_ids.slice(0, 12));
  });
});
