// The Llama / Qwen2 goldens on tfjs' WebGPU backend (Node + Dawn on SwiftShader; see
// tests/helpers/node-webgpu.ts), kept tiny because SwiftShader is slow: one text per fixture
// and a short KV-cached greedy continuation (tests/golden/llama-tiny.json), then one batch's
// loss and gradients through the trainer with recomputation, and three AdamW steps
// (tests/golden/train-llama-tiny.json). RMSNorm, RoPE and SiLU·up run as our WebGPU kernels
// (src/lib/webgpu/rmsnorm.ts, rope.ts, swiglu.ts), forward and backward: each test checks that
// they ran, and one training step's gradients are held to the tfjs-ops path on the same backend.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
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
import { disableKernel, enableAllKernels } from '../../src/lib/webgpu/registry.ts';

const available = await setupNodeWebGPU();
const trainGolden = JSON.parse(fs.readFileSync('tests/golden/train-llama-tiny.json', 'utf8'));

// tfjs kernel names of ours for Llama's pieces, forward and backward.
const FORWARD_KERNELS = ['TweetforgeRMSNorm', 'TweetforgeRope', 'TweetforgeSiluMul'];
const BACKWARD_KERNELS = ['TweetforgeRMSNormGrad', 'TweetforgeRMSNormRstd', 'TweetforgeRMSNormGradG', 'TweetforgeRopeGrad', 'TweetforgeSiluMulGradGate', 'TweetforgeSiluMulGradUp'];

/** `f`'s result and the names of the kernels of ours (Tweetforge*) it ran. */
async function withKernelNames<T>(f: () => Promise<T>): Promise<[T, Set<string>]> {
  const runKernel = vi.spyOn(tf.engine(), 'runKernel');
  try {
    const out = await f();
    return [out, new Set(runKernel.mock.calls.map(([name]) => name).filter((name) => name.startsWith('Tweetforge')))];
  } finally {
    runKernel.mockRestore();
  }
}

/** One batch of the qwen2 training golden through the trainer: its loss and every logical parameter's gradient. */
async function qwen2Gradients(models: CausalLM[]): Promise<{ loss: number; grads: Map<string, Float32Array> }> {
  const g = trainGolden.models.qwen2;
  const family = FAMILIES.qwen2;
  const model = CausalLM.fromWeights(family, family.parseConfig(g.config), syntheticLlamaWeights(SYNTHETIC_LLAMAS.qwen2, g.weight_seed), { maxBufferBytes: 2048 });
  models.push(model);
  const B: number = trainGolden.batch, T: number = trainGolden.block;
  const opt = new AdamW(trainableParams(model));
  const rows = syntheticTokens(B * (T + 1), g.config.vocab_size, g.grad.batch_seed);
  const { loss, grads } = lossAndGrads(model, opt, rows, { batchSize: B, blockSize: T, training: false, recompute: true });
  const out = new Map<string, Float32Array>();
  for (const p of model.parameters) {
    const parts = await Promise.all(p.slices.map(async (v) => (await grads.get(v.name)!.data()) as Float32Array));
    out.set(p.name, Float32Array.from(parts.flatMap((d) => Array.from(d))));
  }
  const value = (await loss.data())[0];
  tf.dispose([loss, ...grads.values()]);
  opt.dispose();
  return { loss: value, grads: out };
}

/** ||got - want|| / ||want||. */
function relErr(got: Float32Array, want: Float32Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < want.length; i++) {
    d += (got[i] - want[i]) ** 2;
    n += want[i] ** 2;
  }
  return Math.sqrt(d / n);
}

describe.skipIf(!available)('tiny Llama / Qwen2 vs PyTorch on the WebGPU backend', () => {
  const models: CausalLM[] = [];
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
  });
  afterAll(() => models.forEach((m) => m.dispose()));
  afterEach(enableAllKernels);

  for (const name of ['tiny-qwen2', 'tiny-llama'] as const) {
    const g = golden.models[name];
    it(`${name}: per-position losses within 1e-4 and an 8-token KV-cached greedy continuation`, async () => {
      const folder = await loadHFDir(tinyLlamaDir(name));
      const model = CausalLM.fromWeights(folder.family, folder.config, folder.weights);
      models.push(model);
      expect(tf.getBackend()).toBe('webgpu');
      const t = g.texts[0];
      const [losses, ran] = await withKernelNames(() => lossesOf(model, t.ids));
      expect(Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])))).toBeLessThan(1e-4);
      expect(FORWARD_KERNELS.filter((k) => !ran.has(k))).toEqual([]);
      const x = g.greedy[0];
      expect(await greedyIds(model, x.ids, 8, true)).toEqual(x.new_ids.slice(0, 8));
    });
  }

  it('qwen2: one batch\'s loss and every gradient through the trainer, recomputing blocks (rel err < 1e-3), with our kernels forward and backward', async () => {
    const g = trainGolden.models.qwen2;
    const [{ loss, grads }, ran] = await withKernelNames(() => qwen2Gradients(models));
    expect([...FORWARD_KERNELS, ...BACKWARD_KERNELS].filter((k) => !ran.has(k))).toEqual([]);
    expect(Math.abs(loss - g.grad.loss)).toBeLessThan(1e-4 * g.grad.loss);
    for (const [name, got] of grads) {
      const buf = Buffer.from(g.grad.grads['model.' + name].data, 'base64');
      expect(relErr(got, new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength))), name).toBeLessThan(1e-3);
    }
  });

  it('qwen2: the kernels\' loss and gradients equal the tfjs-ops path\'s on WebGPU (rel err < 1e-5)', async () => {
    const fused = await qwen2Gradients(models);
    for (const name of ['rmsnorm', 'rope', 'swiglu'] as const) disableKernel(name, 'off for this test');
    const [ops, ran] = await withKernelNames(() => qwen2Gradients(models));
    expect([...FORWARD_KERNELS, ...BACKWARD_KERNELS].filter((k) => ran.has(k))).toEqual([]);
    expect(Math.abs(fused.loss - ops.loss)).toBeLessThan(1e-5 * ops.loss);
    for (const [name, want] of ops.grads) expect(relErr(fused.grads.get(name)!, want), name).toBeLessThan(1e-5);
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
