// The tfjs Llama / Qwen2 families against the independent float64 PyTorch reference
// (scripts/golden/llama_ref.py -> tests/golden/llama-tiny.json) on the tiny fixtures built
// around Qwen2.5's tokenizer: per-position losses within 1e-4 on tfjs' cpu backend, for a
// tied Qwen2 (GQA, q/k/v biases), its sharded and BF16 copies, and an untied Llama with
// head_dim != hidden / heads; greedy continuations identical with and without the KV cache.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import golden from '../golden/llama-tiny.json';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { TINY_LLAMAS, tinyLlamaDir, type TinyLlamaName } from '../../scripts/fixtures/tiny-llama.ts';
import { greedyIds, lossesOf } from '../helpers/model-helpers.ts';
import { importWasmBackend } from '../../src/lib/wasm-matmul.ts';

interface Golden {
  texts: { ids: number[]; losses: number[] }[];
  greedy: { prompt: string; ids: number[]; new_ids: number[]; min_margin: number }[];
}
const NAMES = Object.keys(TINY_LLAMAS) as TinyLlamaName[];

beforeAll(async () => {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
});

async function loadTiny(name: TinyLlamaName): Promise<CausalLM> {
  const folder = await loadHFDir(tinyLlamaDir(name));
  return CausalLM.fromWeights(folder.family, folder.config, folder.weights);
}

describe.each(NAMES)('tiny "%s" vs PyTorch (tfjs cpu)', (name) => {
  const g = (golden.models as unknown as Record<string, Golden>)[name];
  let model: CausalLM;
  beforeAll(async () => {
    model = await loadTiny(name);
    return () => model.dispose();
  });

  it('is the family and shape its config.json says', () => {
    expect(model.family.modelType).toBe(TINY_LLAMAS[name].family);
    expect(model.dims.layers).toBe(TINY_LLAMAS[name].layers);
    expect(model.dims.vocab).toBe(151936);
  });

  it.each(g.texts.map((t, i) => [i, t] as const))('per-position losses of text %i within 1e-4', async (_i, t) => {
    const losses = await lossesOf(model, t.ids);
    expect(losses).toHaveLength(t.losses.length);
    const worst = Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])));
    expect(worst).toBeLessThan(1e-4);
  });

  // Each golden step's top-2 logit gap (min_margin) is far above float32's error, so the
  // continuation is determined and must match token for token.
  it.each(g.greedy.map((x, i) => [i, x] as const))('greedy continuation %i identical with the KV cache', async (_i, x) => {
    expect(x.min_margin).toBeGreaterThan(1e-3);
    expect(await greedyIds(model, x.ids, x.new_ids.length, true)).toEqual(x.new_ids);
  });

  it('greedy continuation identical recomputing the whole prefix', async () => {
    const x = g.greedy[0];
    expect(await greedyIds(model, x.ids, 16, false)).toEqual(x.new_ids.slice(0, 16));
  });
});

// The wasm backend is the page's fallback without WebGPU (its matmul rewrites cover the
// transposed nn.Linear products): every fixture's first text and a short continuation.
describe('tiny Llama / Qwen2 vs PyTorch (tfjs wasm)', () => {
  beforeAll(async () => {
    await importWasmBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    return async () => {
      await tf.setBackend('cpu');
    };
  });

  it.each(NAMES)('"%s": per-position losses within 1e-4 and greedy identical with the KV cache', async (name) => {
    const g = (golden.models as unknown as Record<string, Golden>)[name];
    const model = await loadTiny(name);
    try {
      expect(tf.getBackend()).toBe('wasm');
      for (const t of [g.texts[0], g.texts[1]]) {
        const losses = await lossesOf(model, t.ids);
        expect(Math.max(...losses.map((l, i) => Math.abs(l - t.losses[i])))).toBeLessThan(1e-4);
      }
      const x = g.greedy[1];
      expect(await greedyIds(model, x.ids, 12, true)).toEqual(x.new_ids.slice(0, 12));
    } finally {
      model.dispose();
    }
  });
});
