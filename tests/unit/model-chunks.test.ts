// Buffer limits and gradients: a model whose tied embedding/head is split into vocabulary
// chunks (forced by a small maxBufferBytes) must give the same logits, losses and gradients
// as the unsplit one, on the CPU backend and on wasm (which lacks UnsortedSegmentSum, the
// kernel of tfjs' own gather gradient). Also: dropout only when training, seedable.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { importWasmBackend } from '../../src/lib/wasm-matmul.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { vocabChunkSizes } from '../../src/lib/model/embedding.ts';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { tinyConfig, tinyWeights } from '../../scripts/fixtures/tiny-model.ts';
import { lossAndGrads, maxAbsDiff } from '../helpers/model-helpers.ts';

await importWasmBackend(); // the page's wasm backend, matmul plan included

// A small vocabulary keeps gradients cheap; the code paths are the same as at 50257.
const config = parseConfig({ ...tinyConfig({ nLayer: 2, nEmbd: 16, nHead: 2, nPositions: 32 }), vocab_size: 1000 });
const weights = tinyWeights(config, 7);
const C = config.n_embd;
// 250 rows of 16 floats per chunk: 4 chunks
const SMALL_LIMIT = 250 * C * 4;
// Repeated ids (scatter must sum them), ids in every chunk, and the last id.
const IDS = [[5, 999, 5, 250, 251, 5, 749], [0, 500, 998, 249, 750, 5, 5]];
const TARGETS = [999, 5, 250, 251, 5, 749, 3, 500, 998, 249, 750, 5, 5, 0];

const gradsOf = (model: GPT2, training = false, seed?: number) => lossAndGrads(model, IDS, TARGETS, { training, seed });
const maxDiff = maxAbsDiff;

describe('vocabulary chunks', () => {
  it('sizes chunks equally under the limit, in multiples of 4 rows where the limit allows', () => {
    expect(vocabChunkSizes(1000, 16, SMALL_LIMIT)).toEqual([250, 250, 250, 250]);
    expect(vocabChunkSizes(50257, 768, 128 * 1024 * 1024)).toEqual([25132, 25125]);
    expect(vocabChunkSizes(50257, 768, 4096 * 768 * 4)).toEqual([...Array(12).fill(3868), 3841]); // training's chunks
    expect(vocabChunkSizes(50257, 768, Infinity)).toEqual([50257]);
    expect(vocabChunkSizes(10, 4, 16 * 3)).toEqual([3, 3, 3, 1]);
  });
});

describe.each(['cpu', 'wasm'])('split vs whole tied embedding on %s', (backend) => {
  let whole: GPT2;
  let split: GPT2;
  beforeAll(async () => {
    expect(await tf.setBackend(backend)).toBe(true);
    await tf.ready();
    whole = GPT2.fromWeights(config, weights);
    split = GPT2.fromWeights(config, weights, { maxBufferBytes: SMALL_LIMIT });
  });
  afterAll(() => {
    whole.dispose();
    split.dispose();
  });

  it('keeps every variable within the limit', () => {
    expect(whole.parameter('wte.weight').slices).toHaveLength(1);
    expect(split.parameter('wte.weight').slices.map((v) => v.shape)).toEqual([[250, C], [250, C], [250, C], [250, C]]);
    expect(split.parameter('wte.weight').shape).toEqual([1000, C]);
    for (const p of split.parameters) for (const v of p.slices) expect(v.size * 4).toBeLessThanOrEqual(SMALL_LIMIT);
  });

  it('gives the same logits and losses', async () => {
    const [la, lb, sa, sb] = tf.tidy(() => {
      const x = tf.tensor2d(IDS, undefined, 'int32');
      const y = tf.tensor1d(TARGETS, 'int32');
      const ha = whole.hidden(x);
      const hb = split.hidden(x);
      return [whole.logits(ha), split.logits(hb), whole.tokenLosses(ha, y), split.tokenLosses(hb, y)];
    });
    expect(lb.shape).toEqual([14, 1000]);
    expect(maxDiff(await la.data(), await lb.data())).toBeLessThan(1e-5);
    expect(maxDiff(await sa.data(), await sb.data())).toBeLessThan(1e-5);
    tf.dispose([la, lb, sa, sb]);
  });

  it('gives the same gradients for every parameter, wte included', async () => {
    const a = await gradsOf(whole);
    const b = await gradsOf(split);
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-5);
    for (const [name, g] of a.grads) {
      if (name === 'wte.weight') continue;
      expect(maxDiff(g, b.grads.get(name)!), name).toBeLessThan(1e-5);
    }
    const gw = a.grads.get('wte.weight')!;
    expect(maxDiff(gw, b.grads.get('wte.weight')!)).toBeLessThan(1e-5);
    // The embedding rows of ids never seen still get head gradients: all rows are non-zero.
    expect(gw.every((x, i) => i % C !== 0 || x !== 0 || gw[i + 1] !== 0)).toBe(true);
  });

  it('matches a finite difference on a repeated token\'s embedding row', async () => {
    // Independent of any gradient code: d loss / d wte[5][3] numerically (id 5 appears 5 times).
    const base = (await gradsOf(split)).grads;
    const analytic = base.get('wte.weight')![5 * C + 3];
    const eps = 1e-2;
    const lossWith = async (delta: number) => {
      const w = new Map(weights);
      const data = weights.get('wte.weight')!.data.slice();
      data[5 * C + 3] += delta;
      w.set('wte.weight', { shape: [config.vocab_size, C], data });
      const m = GPT2.fromWeights(config, w, { maxBufferBytes: SMALL_LIMIT });
      const l = tf.tidy(() => m.meanLoss(m.hidden(tf.tensor2d(IDS, undefined, 'int32')), tf.tensor1d(TARGETS, 'int32')));
      const v = (await l.data())[0];
      l.dispose();
      m.dispose();
      return v;
    };
    const numeric = ((await lossWith(eps)) - (await lossWith(-eps))) / (2 * eps);
    expect(Math.abs(numeric - analytic)).toBeLessThan(2e-3 + 0.02 * Math.abs(analytic));
    expect(Math.abs(analytic)).toBeGreaterThan(1e-4);
  });
});

describe('dropout', () => {
  let model: GPT2;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = GPT2.fromWeights(config, weights);
  });
  afterAll(() => model.dispose());

  const run = async (opts: { training?: boolean; seed?: number }) => {
    const h = tf.tidy(() => model.hidden(tf.tensor2d(IDS, undefined, 'int32'), opts));
    const out = await h.data();
    h.dispose();
    return out;
  };

  it('is off unless training, seedable when on', async () => {
    const evalA = await run({});
    expect(maxDiff(evalA, await run({ training: false, seed: 3 }))).toBe(0);
    const t1 = await run({ training: true, seed: 3 });
    const t2 = await run({ training: true, seed: 3 });
    const t3 = await run({ training: true, seed: 4 });
    expect(maxDiff(t1, t2)).toBe(0);
    expect(maxDiff(t1, t3)).toBeGreaterThan(1e-3);
    expect(maxDiff(t1, evalA)).toBeGreaterThan(1e-3);
  });

  it('lets gradients flow to every variable in training mode', async () => {
    const { grads } = await gradsOf(model, true, 11);
    for (const [name, g] of grads) expect(g.some((x) => x !== 0), name).toBe(true);
  });

  it('refuses a parameter larger than the limit, leaking nothing', () => {
    const before = tf.memory().numTensors;
    expect(() => GPT2.fromWeights(config, weights, { maxBufferBytes: 3000 })).toThrow(/"h.0.attn.c_attn.weight" \(3072 bytes\) exceeds this device's 3000-byte buffer limit/);
    expect(tf.memory().numTensors).toBe(before);
  });
});
