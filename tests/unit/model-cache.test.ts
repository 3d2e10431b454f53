// KV cache: prefill plus one-token steps (and multi-token steps after a prefix) must give
// the hidden states of one full pass, for a batch of different sequences; positions
// continue from cache.length; misuse is refused; nothing leaks.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { tinyConfig, tinyWeights } from '../../scripts/fixtures/tiny-model.ts';

const config = parseConfig({ ...tinyConfig({ nLayer: 2, nEmbd: 16, nHead: 4, nPositions: 12 }), vocab_size: 300 });
const weights = tinyWeights(config, 5);
const SEQS = [
  [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  [299, 17, 17, 250, 3, 100, 42, 42, 7, 0],
];

describe('KV cache', () => {
  let model: GPT2;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = GPT2.fromWeights(config, weights);
    return () => model.dispose();
  });

  async function full(): Promise<Float32Array> {
    const h = tf.tidy(() => model.hidden(tf.tensor2d(SEQS, undefined, 'int32'))); // [2*10, C]
    const out = (await h.data()) as Float32Array;
    h.dispose();
    return out;
  }

  /** Runs SEQS through the cache in pieces of the given lengths; returns rows in [b, t] order. */
  async function pieces(lengths: number[]): Promise<Float32Array> {
    const C = config.n_embd;
    const T = SEQS[0].length;
    const out = new Float32Array(2 * T * C);
    const cache = model.newCache(2);
    let t0 = 0;
    for (const n of lengths) {
      expect(cache.length).toBe(t0);
      const h = tf.tidy(() => model.hidden(tf.tensor2d(SEQS.map((s) => s.slice(t0, t0 + n)), undefined, 'int32'), { cache }));
      const d = await h.data(); // [2*n, C]
      h.dispose();
      for (let b = 0; b < 2; b++) out.set(d.subarray(b * n * C, (b + 1) * n * C), (b * T + t0) * C);
      t0 += n;
    }
    expect(cache.length).toBe(T);
    cache.dispose();
    return out;
  }

  const close = (a: Float32Array, b: Float32Array) => {
    let m = 0;
    for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
    return m;
  };

  it('prefill then one token at a time equals one full pass', async () => {
    expect(close(await pieces([4, 1, 1, 1, 1, 1, 1]), await full())).toBeLessThan(1e-5);
  });

  it('several tokens after a cached prefix (mask offset by the past) equals one full pass', async () => {
    expect(close(await pieces([3, 4, 2, 1]), await full())).toBeLessThan(1e-5);
  });

  it('differs from restarting positions at 0 (positions really continue)', async () => {
    const h = tf.tidy(() => model.hidden(tf.tensor2d(SEQS.map((s) => s.slice(4, 5)), undefined, 'int32')));
    const alone = await h.data();
    h.dispose();
    const f = await full();
    const C = config.n_embd;
    expect(close(alone.slice(0, C) as Float32Array, f.slice(4 * C, 5 * C))).toBeGreaterThan(1e-2);
  });

  it('frees its tensors and refuses misuse', async () => {
    const before = tf.memory().numTensors;
    const cache = model.newCache(2);
    tf.dispose(tf.tidy(() => model.hidden(tf.tensor2d(SEQS.map((s) => s.slice(0, 10)), undefined, 'int32'), { cache })));
    expect(tf.memory().numTensors).toBe(before + 2 * config.n_layer); // K and V per layer
    expect(() => tf.tidy(() => model.hidden(tf.tensor2d([[1, 2, 3], [1, 2, 3]], undefined, 'int32'), { cache }))).toThrow(
      /13 positions exceed the model's context \(12 positions\)/
    );
    expect(() => tf.tidy(() => model.hidden(tf.tensor2d([[1]], undefined, 'int32'), { cache }))).toThrow(/cache is for batch 2/);
    const other = GPT2.fromWeights(config, weights);
    expect(() => tf.tidy(() => other.hidden(tf.tensor2d([[1], [2]], undefined, 'int32'), { cache }))).toThrow(/belongs to another model/);
    other.dispose();
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('full passes leave no tensors behind except the result', async () => {
    await full(); // warm the kept causal mask
    const before = tf.memory().numTensors;
    const h = tf.tidy(() => model.hidden(tf.tensor2d(SEQS, undefined, 'int32')));
    expect(tf.memory().numTensors).toBe(before + 1);
    h.dispose();
  });
});
