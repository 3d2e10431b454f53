// The memory a model needs, from config.json alone, against published parameter counts and the
// README's on-paper figure for distilgpt2; and the verdict against a device's limits.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { deviceFit, estimateMemory, TAB_MEMORY_CEILING } from '../../src/lib/model/memory-estimate.ts';
import { TRAIN_DEFAULTS } from '../../src/lib/train/config.ts';

const base = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024 };
const DISTILGPT2 = parseConfig({ ...base, n_embd: 768, n_head: 12, n_layer: 6 });
const GPT2_MEDIUM = parseConfig({ ...base, n_embd: 1024, n_head: 16, n_layer: 24 });
const GPT2_XL = parseConfig({ ...base, n_embd: 1600, n_head: 25, n_layer: 48 });
const QWEN_7B_SIZED = parseConfig({ ...base, n_embd: 3584, n_head: 28, n_layer: 28, n_positions: 131072, vocab_size: 152064, n_inner: 18944 });
const MiB = 2 ** 20;

describe('estimateMemory', () => {
  it('counts the published parameters (tied head) and 16 bytes each of training state', () => {
    expect(estimateMemory(DISTILGPT2).params).toBe(81_912_576);
    expect(estimateMemory(GPT2_MEDIUM).params).toBe(354_823_168);
    const xl = estimateMemory(GPT2_XL);
    expect(xl.params).toBe(1_557_611_200);
    expect(xl.weightsBytes).toBe(4 * 1_557_611_200);
    expect(xl.parts.state).toBe(16 * 1_557_611_200);
  });

  it("gives distilgpt2 at B4 x T256 the README's on-paper peak (1.97 GB: state 1.31, activations ~0.31, loss 0.05, embedding 0.31)", () => {
    const e = estimateMemory(DISTILGPT2, { batch: 4, block: 256 });
    expect(e.parts.state / 1e9).toBeCloseTo(1.31, 2);
    expect(e.parts.loss / 1e9).toBeCloseTo(0.05, 2);
    expect(e.parts.embeddingGrad / 1e9).toBeCloseTo(0.31, 2);
    expect(e.trainingBytes / 1e9).toBeCloseTo(1.97, 1);
    // Its largest single buffer is the MLP's weight or an activation, never the (chunked) embedding.
    expect(e.largest.bytes).toBe(4 * 4 * 12 * 256 * 256);
  });

  it("defaults to the default run's batch and block", () => {
    expect(estimateMemory(DISTILGPT2)).toMatchObject({ batch: TRAIN_DEFAULTS.batchSize, block: TRAIN_DEFAULTS.blockSize });
  });

  it('caps the block at n_positions, and grows with the batch', () => {
    const small = parseConfig({ ...base, n_embd: 64, n_head: 4, n_layer: 2, n_positions: 32 });
    expect(estimateMemory(small, { block: 256 }).block).toBe(32);
    expect(estimateMemory(DISTILGPT2, { batch: 8 }).trainingBytes).toBeGreaterThan(estimateMemory(DISTILGPT2, { batch: 4 }).trainingBytes);
  });
});

describe('deviceFit', () => {
  const gpu = (binding: number, buffer = 4 * 2 ** 30) => ({ maxStorageBufferBindingSize: binding, maxBufferSize: buffer });

  it('tells distilgpt2 against a 128 MiB binding in one line', () => {
    const fit = deviceFit(estimateMemory(DISTILGPT2), gpu(128 * MiB));
    expect(fit.ok).toBe(true);
    expect(fit.line).toBe(
      'This model (81.9 million parameters) needs about 312 MiB for its weights and 1.8 GiB to train at 4×256; this GPU\'s buffers stop at 128 MiB (its largest tensor: 12 MiB).',
    );
    expect(deviceFit(estimateMemory(DISTILGPT2), null).line).toMatch(/in this tab's memory \(no WebGPU\)\.$/);
  });

  it('refuses a model whose unsplittable tensor exceeds the binding, naming it', () => {
    const fit = deviceFit(estimateMemory(GPT2_XL), gpu(32 * MiB));
    expect(fit).toEqual({
      ok: false,
      line: 'this model cannot run on this GPU: h.0.mlp.c_fc.weight [1600, 6400] is 39 MiB in one buffer, and this GPU\'s buffers stop at 32 MiB',
    });
    // maxBufferSize bounds it too.
    expect(deviceFit(estimateMemory(GPT2_XL), gpu(2 ** 30, 16 * MiB)).ok).toBe(false);
  });

  it('warns when training needs more than a tab can use, and refuses weights far beyond it', () => {
    const xl = deviceFit(estimateMemory(GPT2_XL), gpu(2 ** 30));
    expect(xl.ok).toBe(true);
    expect(xl.line).toMatch(/needs about 5\.8 GiB for its weights and 2\d\.\d GiB to train at 4×256: more than a browser tab can use/);
    const qwen = deviceFit(estimateMemory(QWEN_7B_SIZED), gpu(2 ** 31));
    expect(qwen.ok).toBe(false);
    expect(qwen.line).toMatch(/^this model has 6\.\d billion parameters: about 2\d\.\d GiB of weights, held twice while loading, more than a browser tab can hold \(about 16 GiB\); choose a smaller model$/);
    expect(deviceFit(estimateMemory(QWEN_7B_SIZED), gpu(2 ** 31), 100 * TAB_MEMORY_CEILING).ok).toBe(true);
  });
});
