// The Llama / Qwen2 goldens on tfjs' WebGPU backend (Node + Dawn on SwiftShader; see
// tests/helpers/node-webgpu.ts), kept tiny because SwiftShader is slow: one text per fixture
// and a short KV-cached greedy continuation (tests/golden/llama-tiny.json), then one batch's
// loss and gradients through the trainer with recomputation, and three AdamW steps
// (tests/golden/train-llama-tiny.json).
// RMSNorm, RoPE and SiLU·up run as tfjs ops here: there are no WebGPU kernels of our own for them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import golden from '../golden/llama-tiny.json';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { FAMILIES } from '../../src/lib/model/families.ts';
import { AdamW } from '../../src/lib/train/adamw.ts';
import { lossAndGrads, optimizerStep } from '../../src/lib/train/step.ts';
import { trainableParams } from '../../src/lib/train/trainer.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { tinyLlamaDir } from '../../scripts/fixtures/tiny-llama.ts';
import { greedyIds, lossesOf } from '../helpers/model-helpers.ts';
import { syntheticTokens } from '../helpers/synthetic.ts';
import { SYNTHETIC_LLAMAS, syntheticLlamaWeights } from '../helpers/synthetic-llama.ts';

const available = await setupNodeWebGPU();
const trainGolden = JSON.parse(fs.readFileSync('tests/golden/train-llama-tiny.json', 'utf8'));

describe.skipIf(!available)('tiny Llama / Qwen2 vs PyTorch on the WebGPU backend', () => {
  const models: CausalLM[] = [];
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  for (const name of ['tiny-qwen2', 'tiny-llama'] as const) {
    const g = golden.models[name];
    it(`${name}: per-position losses within 1e-4 and an 8-token KV-cached greedy continuation`, async () => {
      const folder = await loadHFDir(tinyLlamaDir(name));
      const model = CausalLM.fromWeights(folder.family, folder.config, folder.weights);
      models.push(model);
      expect(tf.getBackend()).toBe('webgpu');
      const t = g.texts[0];
      const losses = await lossesOf(model, t.ids);
      expect(Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])))).toBeLessThan(1e-4);
      const x = g.greedy[0];
      expect(await greedyIds(model, x.ids, 8, true)).toEqual(x.new_ids.slice(0, 8));
    });
  }

  it('qwen2: one batch\'s loss and every gradient through the trainer, recomputing blocks (rel err < 1e-3)', async () => {
    const g = trainGolden.models.qwen2;
    const family = FAMILIES.qwen2;
    const config = family.parseConfig(g.config);
    const model = CausalLM.fromWeights(family, config, syntheticLlamaWeights(SYNTHETIC_LLAMAS.qwen2, g.weight_seed), { maxBufferBytes: 2048 });
    models.push(model);
    const B: number = trainGolden.batch, T: number = trainGolden.block;
    const opt = new AdamW(trainableParams(model));
    const rows = syntheticTokens(B * (T + 1), g.config.vocab_size, g.grad.batch_seed);
    const { loss, grads } = lossAndGrads(model, opt, rows, { batchSize: B, blockSize: T, training: false, recompute: true });
    expect(Math.abs((await loss.data())[0] - g.grad.loss)).toBeLessThan(1e-4 * g.grad.loss);
    for (const p of model.parameters) {
      const parts = await Promise.all(p.slices.map(async (v) => (await grads.get(v.name)!.data()) as Float32Array));
      const got = Float32Array.from(parts.flatMap((d) => Array.from(d)));
      const buf = Buffer.from(g.grad.grads['model.' + p.name].data, 'base64');
      const want = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      let d = 0, n = 0;
      for (let i = 0; i < want.length; i++) {
        d += (got[i] - want[i]) ** 2;
        n += want[i] ** 2;
      }
      expect(Math.sqrt(d / n), p.name).toBeLessThan(1e-3);
    }
    tf.dispose([loss, ...grads.values()]);
    opt.dispose();
  });

  it('llama (untied, head_dim 8 != 12 / 2): weights after three clipped AdamW steps (< 1e-4)', async () => {
    const g = trainGolden.models.llama;
    const a = trainGolden.adamw;
    const family = FAMILIES.llama;
    const model = CausalLM.fromWeights(family, family.parseConfig(g.config), syntheticLlamaWeights(SYNTHETIC_LLAMAS.llama, g.weight_seed), { maxBufferBytes: 2048 });
    models.push(model);
    const B: number = trainGolden.batch, T: number = trainGolden.block;
    const params = trainableParams(model);
    const opt = new AdamW(params, { weightDecay: a.weight_decay, beta1: a.betas[0], beta2: a.betas[1], eps: a.eps });
    for (const s of g.adamw.steps) {
      const batches = s.seeds.map((seed: number) => ({ rows: syntheticTokens(B * (T + 1), g.config.vocab_size, seed) }));
      const { loss, norm } = optimizerStep(model, opt, batches, { batchSize: B, blockSize: T, lr: s.lr, clipNorm: a.clip, training: false, recompute: true });
      expect(Math.abs((await loss.data())[0] - s.loss)).toBeLessThan(1e-4 * s.loss);
      expect(Math.abs((await norm.data())[0] - s.grad_norm)).toBeLessThan(1e-3 * s.grad_norm);
      tf.dispose([loss, norm]);
    }
    const byVar = new Map(params.map((p) => [p.key, p.variable]));
    for (const p of model.parameters) {
      const parts = await Promise.all(p.slices.map(async (v) => (await byVar.get(v.name)!.data()) as Float32Array));
      const got = Float32Array.from(parts.flatMap((d) => Array.from(d)));
      const buf = Buffer.from(g.adamw.weights[p.name === 'lm_head.weight' ? p.name : 'model.' + p.name].data, 'base64');
      const want = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
      expect(worst, p.name).toBeLessThan(1e-4);
    }
    opt.dispose();
  });
});
