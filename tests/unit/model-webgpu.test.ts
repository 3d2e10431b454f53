// The same golden checks on tfjs' WebGPU backend (Node + Dawn on SwiftShader; see
// tests/helpers/node-webgpu.ts), kept tiny because SwiftShader is slow: a few texts, the
// KV-cached greedy continuations, and a forced small buffer limit (the split head).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import golden from '../golden/model-tiny.json';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { defaultMaxBufferBytes } from '../../src/lib/model/causal-lm.ts';
import { loadModelDir } from '../../scripts/fixtures/model-dir.ts';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';
import { greedyIds, lossAndGrads, lossesOf, maxAbsDiff } from '../helpers/model-helpers.ts';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { tinyConfig, tinyWeights } from '../../scripts/fixtures/tiny-model.ts';

const available = await setupNodeWebGPU();

describe.skipIf(!available)('tiny GPT-2 vs PyTorch on the WebGPU backend', () => {
  const models: GPT2[] = [];
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
  });
  afterAll(() => models.forEach((m) => m.dispose()));

  async function load(name: 'tiny' | 'tiny-bare', maxBufferBytes?: number): Promise<GPT2> {
    const files = await loadModelDir(tinyModelDir(name));
    const m = GPT2.fromWeights(files.config, files.weights, { maxBufferBytes });
    models.push(m);
    return m;
  }

  it('defaults the buffer limit to the device limit', () => {
    const limit = defaultMaxBufferBytes();
    expect(Number.isFinite(limit)).toBe(true);
    expect(limit).toBeGreaterThanOrEqual(128 * 1024 * 1024);
  });

  // Each new cache length compiles new shaders, which SwiftShader does slowly: few steps here;
  // the CPU test covers every golden continuation in full.
  const plan = { tiny: { texts: 2, steps: 16 }, 'tiny-bare': { texts: 1, steps: 8 } };
  for (const name of ['tiny', 'tiny-bare'] as const) {
    const g = golden.models[name];
    const { texts, steps } = plan[name];
    it(`${name}: per-position losses within 1e-4`, async () => {
      const model = await load(name);
      for (const t of g.texts.slice(0, texts)) {
        const losses = await lossesOf(model, t.ids);
        const worst = Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])));
        expect(worst).toBeLessThan(1e-4);
      }
    });

    it(`${name}: KV-cached greedy continuation identical (${steps} tokens)`, async () => {
      const model = models.at(-1)!;
      const x = g.greedy[0];
      expect(await greedyIds(model, x.ids, steps, true)).toEqual(x.new_ids.slice(0, steps));
    });
  }

  it('a forced small buffer limit splits the head and changes nothing', async () => {
    const model = await load('tiny', 1_000_000); // 50257 x 64 floats = 12.9 MB -> 13 chunks
    expect(model.parameter('wte.weight').slices.length).toBe(13);
    const t = golden.models.tiny.texts[0];
    const losses = await lossesOf(model, t.ids);
    expect(Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])))).toBeLessThan(1e-4);
    const x = golden.models.tiny.greedy[1];
    expect(await greedyIds(model, x.ids, 4, true)).toEqual(x.new_ids.slice(0, 4));
  });

  it('gradients through the split embedding (ScatterNd) match the CPU backend', async () => {
    const config = parseConfig({ ...tinyConfig({ nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 16 }), vocab_size: 600 });
    const weights = tinyWeights(config, 13);
    const ids = [[5, 599, 5, 200, 201, 5], [0, 300, 598, 199, 5, 5]];
    const targets = [599, 5, 200, 201, 5, 9, 300, 598, 199, 5, 5, 0];
    const onGpu = GPT2.fromWeights(config, weights, { maxBufferBytes: 200 * 16 * 4 }); // 3 chunks
    const gpu = await lossAndGrads(onGpu, ids, targets);
    const gpuWte = gpu.grads.get('wte.weight')!;
    onGpu.dispose();
    await tf.setBackend('cpu');
    try {
      const onCpu = GPT2.fromWeights(config, weights);
      const cpu = await lossAndGrads(onCpu, ids, targets);
      expect(Math.abs(gpu.loss - cpu.loss)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gpuWte, cpu.grads.get('wte.weight')!)).toBeLessThan(1e-5);
      expect(maxAbsDiff(gpu.grads.get('h.0.attn.c_attn.weight')!, cpu.grads.get('h.0.attn.c_attn.weight')!)).toBeLessThan(1e-5);
      onCpu.dispose();
    } finally {
      await tf.setBackend('webgpu');
    }
  });
});
