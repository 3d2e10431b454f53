// Deterministic GPT-2 weights and token rows from a 32-bit LCG, reproducible bit for bit in
// Python (scripts/golden/train_golden.py computes the same numbers with integer arithmetic),
// so golden tests need no checkpoint file, and benchmarks can build any shape (distilgpt2's
// included) without a download.
import { paramTable, type GPT2Config } from '../../src/lib/model/gpt2/index.ts';

/** Numerical Recipes' LCG: s <- (1664525 s + 1013904223) mod 2^32; yields uniform [-1, 1). */
export function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 4294967296) * 2 - 1;
  };
}

/** The scale of each parameter kind (LayerNorm gains sit around 1). */
function init(name: string): { offset: number; scale: number } {
  if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) return { offset: 1, scale: 0.1 };
  if (/ln_\d\.bias$|ln_f\.bias$/.test(name)) return { offset: 0, scale: 0.05 };
  if (name.endsWith('.bias')) return { offset: 0, scale: 0.05 };
  if (name === 'wte.weight' || name === 'wpe.weight') return { offset: 0, scale: 0.3 };
  return { offset: 0, scale: 0.2 };
}

/** Weights for every parameter of paramTable(config), parameter i seeded with seed * 1000 + i. */
export function syntheticWeights(config: GPT2Config, seed = 1): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  paramTable(config).forEach((spec, i) => {
    const n = spec.shape.reduce((a, b) => a * b, 1);
    const rand = lcg(seed * 1000 + i);
    const { offset, scale } = init(spec.name);
    const data = new Float32Array(n);
    for (let k = 0; k < n; k++) data[k] = offset + rand() * scale;
    out.set(spec.name, { shape: spec.shape, data });
  });
  return out;
}

/** rows token ids in [0, vocab): an [n] Int32Array. */
export function syntheticTokens(n: number, vocab: number, seed: number): Int32Array {
  const rand = lcg(seed);
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(((rand() + 1) / 2) * vocab);
  return out;
}

/** A tiny GPT-2 config for tests: dropout rates as given (0.1 like distilgpt2 by default). */
export function syntheticConfig(over: Partial<GPT2Config> = {}): GPT2Config {
  return {
    vocab_size: 101,
    n_positions: 16,
    n_embd: 16,
    n_layer: 2,
    n_head: 2,
    layer_norm_epsilon: 1e-5,
    activation_function: 'gelu_new',
    resid_pdrop: 0.1,
    embd_pdrop: 0.1,
    attn_pdrop: 0.1,
    n_inner: null,
    model_type: 'gpt2',
    ...over,
  };
}
