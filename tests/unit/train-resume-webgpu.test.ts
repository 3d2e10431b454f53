// Exact resume on tfjs' WebGPU backend (Dawn on SwiftShader in Node): 4 steps straight vs
// 2 steps, a snapshot, a fresh model and trainer restored from it, 2 more; dropout on, so the
// dropout seeds are part of what must resume. Tiny shapes (B2 x T8): SwiftShader is slow.
import { describe, it, expect, beforeAll } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { GPT2 } from '../../src/lib/model/gpt2';
import { Corpus, type CorpusAccount } from '../../src/lib/dataset/corpus';
import { Trainer } from '../../src/lib/train/trainer';
import { resolveTrainConfig } from '../../src/lib/train/config';
import { syntheticTokens, syntheticWeights, syntheticConfig } from '../helpers/synthetic.ts';
import { setupNodeWebGPU } from '../helpers/node-webgpu';

const cfg = syntheticConfig({ n_embd: 8 });
const config = resolveTrainConfig({ blockSize: 8, batchSize: 2, epochs: 1, seed: 11, lr: 3e-3, lossReadEvery: 2 });

function accounts(): CorpusAccount[] {
  return [0, 1].map((a) => ({
    username: `u${a}`,
    tweets: Array.from({ length: 20 - 10 * a }, (_, i) => {
      const ids = Array.from(syntheticTokens(3 + (i % 4), 100, 300 + a * 100 + i));
      return { ids, chars: ids.length * 5 };
    }),
  }));
}

function make() {
  const model = GPT2.fromWeights(cfg, syntheticWeights(cfg, 5), { maxBufferBytes: 2048 });
  const corpus = new Corpus(accounts(), { ...config, eotId: 100 });
  return { model, trainer: new Trainer(model, corpus, config) };
}

describe('exact resume on WebGPU', () => {
  let available = false;
  beforeAll(async () => {
    available = (await setupNodeWebGPU()) && (await tf.setBackend('webgpu'));
  });

  it('4 steps straight = 2 + snapshot + fresh model/trainer + 2 (within 1e-4)', async (ctx) => {
    if (!available) ctx.skip();
    const a = make();
    for (let i = 0; i < 4; i++) a.trainer.trainStep();
    await a.trainer.flush();
    const want = a.trainer.losses.map((l) => l.loss);
    a.trainer.dispose();
    a.model.dispose();

    const b = make();
    for (let i = 0; i < 2; i++) b.trainer.trainStep();
    const state = await b.trainer.snapshot();
    b.trainer.dispose();
    b.model.dispose();

    const c = make();
    c.trainer.restore(state);
    for (let i = 0; i < 2; i++) c.trainer.trainStep();
    await c.trainer.flush();
    const got = c.trainer.losses.map((l) => l.loss);
    expect(got.length).toBe(4);
    for (let i = 0; i < 4; i++) expect(Math.abs(got[i] - want[i]), `step ${i + 1}: ${got[i]} vs ${want[i]}`).toBeLessThan(1e-4);
    expect(Math.abs(want[3] - want[0])).toBeGreaterThan(1e-3); // the steps did change the model
    c.trainer.dispose();
    c.model.dispose();
  });
});
