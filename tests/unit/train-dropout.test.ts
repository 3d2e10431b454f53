// One rule for dropout seeds (src/lib/model/dropout.ts): a training step draws the same masks
// whether each block is recomputed in backward or the whole pass is differentiated at once, so
// the memory setting never changes what is learnt. Checked on losses and on every gradient.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { GPT2 } from '../../src/lib/model/gpt2';
import { AdamW } from '../../src/lib/train/adamw';
import { lossAndGrads } from '../../src/lib/train/step';
import { trainableParams } from '../../src/lib/train/trainer';
import { syntheticConfig, syntheticTokens, syntheticWeights } from '../helpers/synthetic.ts';
import { batchSeed, dropoutSeed } from '../../src/lib/model/dropout';

// High rates, so that any mask that differs moves the loss well past rounding.
const config = syntheticConfig({ resid_pdrop: 0.3, embd_pdrop: 0.3, attn_pdrop: 0.3 });
const B = 2;
const T = 8;
const rows = syntheticTokens(B * (T + 1), config.vocab_size, 21);

async function step(recompute: boolean, seed: number) {
  const model = GPT2.fromWeights(config, syntheticWeights(config, 6), { maxBufferBytes: 4096 }); // wte in two slices
  const opt = new AdamW(trainableParams(model));
  const { loss, grads } = lossAndGrads(model, opt, rows, { batchSize: B, blockSize: T, training: true, seed, recompute });
  const out = { loss: (await loss.data())[0], grads: new Map<string, Float32Array>() };
  for (const p of model.parameters) {
    for (const [i, v] of p.slices.entries()) out.grads.set(`${p.name} slice ${i}`, (await grads.get(v.name)!.data()) as Float32Array);
  }
  tf.dispose([loss, ...grads.values()]);
  opt.dispose();
  model.dispose();
  return out;
}

function maxRelDiff(a: Float32Array, b: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) {
    d = Math.max(d, Math.abs(a[i] - b[i]));
    n = Math.max(n, Math.abs(b[i]));
  }
  return d / (n || 1);
}

describe('dropout masks with recomputation on and off', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('are the same: equal loss and gradients for one seed', async () => {
    const seed = batchSeed(42, 3, 0);
    const on = await step(true, seed);
    const off = await step(false, seed);
    expect(Math.abs(on.loss - off.loss)).toBeLessThan(1e-5);
    expect([...on.grads.keys()].sort()).toEqual([...off.grads.keys()].sort());
    for (const [name, g] of on.grads) expect(maxRelDiff(g, off.grads.get(name)!), name).toBeLessThan(1e-4);
  });

  it('change with the seed (the comparison above can fail)', async () => {
    const a = await step(false, batchSeed(42, 3, 0));
    const b = await step(false, batchSeed(42, 4, 0));
    expect(Math.abs(a.loss - b.loss)).toBeGreaterThan(1e-3);
  });

  it('take each mask seed from (micro-batch seed, part, call site) alone', () => {
    expect(dropoutSeed(7, 0, 1)).toBe(dropoutSeed(7, 0, 1));
    const seeds = new Set([0, 1, 2].flatMap((part) => [1, 2, 3].map((site) => dropoutSeed(7, part, site))));
    expect(seeds.size).toBe(9);
  });
});
