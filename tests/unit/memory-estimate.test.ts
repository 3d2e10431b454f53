// The memory a model needs, from config.json alone, against published parameter counts, the
// README's on-paper figure for distilgpt2 and PEFT's printed adapter counts; and the verdict
// against a device's limits.
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { gpt2Family } from '../../src/lib/model/gpt2/index.ts';
import { deviceFit, estimateMemory, TAB_MEMORY_CEILING } from '../../src/lib/model/memory-estimate.ts';
import { TRAIN_DEFAULTS } from '../../src/lib/train/config.ts';
import { familyShapeOf } from '../../src/lib/model/family-shapes.ts';
import { findPreset } from '../../src/lib/model/presets.ts';
import { PEFT_DEFAULT_TARGETS } from '../../src/lib/lora/targets.ts';

const base = { model_type: 'gpt2', vocab_size: 50257, n_positions: 1024 };
const DISTILGPT2 = parseConfig({ ...base, n_embd: 768, n_head: 12, n_layer: 6 });
const GPT2_MEDIUM = parseConfig({ ...base, n_embd: 1024, n_head: 16, n_layer: 24 });
const GPT2_XL = parseConfig({ ...base, n_embd: 1600, n_head: 25, n_layer: 48 });
const QWEN_7B_SIZED = parseConfig({ ...base, n_embd: 3584, n_head: 28, n_layer: 28, n_positions: 131072, vocab_size: 152064, n_inner: 18944 });
const MiB = 2 ** 20;

describe('estimateMemory', () => {
  it('counts the published parameters (tied head) and 16 bytes each of training state', () => {
    expect(estimateMemory(gpt2Family, DISTILGPT2).params).toBe(81_912_576);
    expect(estimateMemory(gpt2Family, GPT2_MEDIUM).params).toBe(354_823_168);
    const xl = estimateMemory(gpt2Family, GPT2_XL);
    expect(xl.params).toBe(1_557_611_200);
    expect(xl.weightsBytes).toBe(4 * 1_557_611_200);
    expect(xl.parts.state).toBe(16 * 1_557_611_200);
  });

  // WASM's measured peak for this run is 2.15-2.21 GB (docs/benchmarks.md, tf.profile).
  it('gives distilgpt2 at B4 x T256 the on-paper peak 2.24 GB (state 1.31, activations ~0.57, loss 0.05, embedding 0.31)', () => {
    const e = estimateMemory(gpt2Family, DISTILGPT2, { batch: 4, block: 256 });
    expect(e.parts.state / 1e9).toBeCloseTo(1.31, 2);
    expect(e.parts.loss / 1e9).toBeCloseTo(0.05, 2);
    expect(e.parts.embeddingGrad / 1e9).toBeCloseTo(0.31, 2);
    expect(e.trainingBytes / 1e9).toBeCloseTo(2.24, 2);
    // Its largest single buffer is the MLP's weight or an activation, never the (chunked) embedding.
    expect(e.largest.bytes).toBe(4 * 4 * 12 * 256 * 256);
  });

  it("defaults to the default run's batch and block", () => {
    expect(estimateMemory(gpt2Family, DISTILGPT2)).toMatchObject({ batch: TRAIN_DEFAULTS.batchSize, block: TRAIN_DEFAULTS.blockSize });
  });

  it('caps the block at n_positions, and grows with the batch', () => {
    const small = parseConfig({ ...base, n_embd: 64, n_head: 4, n_layer: 2, n_positions: 32 });
    expect(estimateMemory(gpt2Family, small, { block: 256 }).block).toBe(32);
    expect(estimateMemory(gpt2Family, DISTILGPT2, { batch: 8 }).trainingBytes).toBeGreaterThan(estimateMemory(gpt2Family, DISTILGPT2, { batch: 4 }).trainingBytes);
  });
});

describe('deviceFit', () => {
  const gpu = (binding: number, buffer = 4 * 2 ** 30) => ({ maxStorageBufferBindingSize: binding, maxBufferSize: buffer });

  it('tells distilgpt2 against a 128 MiB binding in one line', () => {
    const fit = deviceFit(estimateMemory(gpt2Family, DISTILGPT2), gpu(128 * MiB));
    expect(fit.ok).toBe(true);
    expect(fit.line).toBe(
      'This model (81.9 million parameters) needs about 312 MiB for its weights and 2.1 GiB to train at 4×256; this GPU\'s buffers stop at 128 MiB (its largest tensor: 12 MiB).',
    );
    expect(deviceFit(estimateMemory(gpt2Family, DISTILGPT2), null).line).toMatch(/in this tab's memory \(no WebGPU\)\.$/);
  });

  it('refuses a model whose unsplittable tensor exceeds the binding, naming it', () => {
    const fit = deviceFit(estimateMemory(gpt2Family, GPT2_XL), gpu(32 * MiB));
    expect(fit).toEqual({
      ok: false,
      line: 'this model cannot run on this GPU: h.0.mlp.c_fc.weight [1600, 6400] is 39 MiB in one buffer, and this GPU\'s buffers stop at 32 MiB',
    });
    // maxBufferSize bounds it too.
    expect(deviceFit(estimateMemory(gpt2Family, GPT2_XL), gpu(2 ** 30, 16 * MiB)).ok).toBe(false);
  });

  it('warns when training needs more than a tab can use, and refuses weights far beyond it', () => {
    const xl = deviceFit(estimateMemory(gpt2Family, GPT2_XL), gpu(2 ** 30));
    expect(xl.ok).toBe(true);
    expect(xl.line).toMatch(/needs about 5\.8 GiB for its weights and 2\d\.\d GiB to train at 4×256: more than a browser tab can use/);
    const qwen = deviceFit(estimateMemory(gpt2Family, QWEN_7B_SIZED), gpu(2 ** 31));
    expect(qwen.ok).toBe(false);
    expect(qwen.line).toMatch(/^this model has 6\.\d billion parameters: about 2\d\.\d GiB of weights, held twice while loading, more than a browser tab can hold \(about 16 GiB\); choose a smaller model$/);
    expect(deviceFit(estimateMemory(gpt2Family, QWEN_7B_SIZED), gpu(2 ** 31), 100 * TAB_MEMORY_CEILING).ok).toBe(true);
  });
});

describe('estimateMemory for every family, full and LoRA', () => {
  const preset = (label: string) => {
    const p = findPreset(label)!;
    const family = familyShapeOf(p.config);
    return { family, config: family.parseConfig(p.config) };
  };
  const at = { batch: 4, block: 256 };
  const lora16 = (type: string) => ({ rank: 16, targets: PEFT_DEFAULT_TARGETS[type] });

  it('counts the published parameters of SmolLM2 and Qwen2.5 (tied heads, GQA, q/k/v biases)', () => {
    for (const [label, n] of [['SmolLM2-135M', 134_515_008], ['SmolLM2-360M', 361_821_120], ['Qwen2.5-0.5B', 494_032_768]] as const) {
      const { family, config } = preset(label);
      expect(estimateMemory(family, config).params).toBe(n);
    }
  });

  it("counts the adapters PEFT's print_trainable_parameters reports with its default targets", () => {
    // gpt2, r=8, c_attn: "trainable params: 294,912 || all params: 124,734,720".
    const gpt2 = preset('gpt2');
    const g = estimateMemory(gpt2.family, gpt2.config, { lora: { rank: 8, targets: PEFT_DEFAULT_TARGETS.gpt2 } });
    expect(g.lora!.params).toBe(294_912);
    expect(g.params + g.lora!.params).toBe(124_734_720);
    // Qwen2.5-0.5B, r=16, q_proj + v_proj: "trainable params: 1,081,344 || all params: 495,114,112".
    const qwen = preset('Qwen2.5-0.5B');
    const q = estimateMemory(qwen.family, qwen.config, { lora: lora16('qwen2') });
    expect(q.lora!.params).toBe(1_081_344);
    expect(q.params + q.lora!.params).toBe(495_114_112);
  });

  it('gives full fine-tuning 16 B a parameter plus activations, loss and the vocabulary gradient', () => {
    for (const label of ['SmolLM2-135M', 'Qwen2.5-0.5B']) {
      const { family, config } = preset(label);
      const e = estimateMemory(family, config, at);
      const C = family.dims(config).width, V = family.dims(config).vocab;
      expect(e.parts.state).toBe(16 * e.params);
      expect(e.parts.embeddingGrad).toBe(2 * 4 * V * C);
      expect(e.trainingBytes).toBe(e.parts.state + e.parts.activations + e.parts.loss + e.parts.embeddingGrad);
      // Activations at least every block's kept input, and well under the state at this shape.
      expect(e.parts.activations).toBeGreaterThan(4 * (family.dims(config).layers + 1) * 4 * 256 * C);
      expect(e.parts.activations).toBeLessThan(e.parts.state / 4);
    }
    const qwen = preset('Qwen2.5-0.5B');
    // ~7.9 GB of state ("about 8 GB before activations", issue 22), ~9.6 GB in all.
    expect(estimateMemory(qwen.family, qwen.config, at).trainingBytes / 1e9).toBeCloseTo(9.6, 0);
  });

  it('gives LoRA r16 frozen weights at 4 B, adapters at 16 B, no vocabulary gradient: Qwen2.5-0.5B under 3 GB at B4 x T256', () => {
    for (const label of ['SmolLM2-135M', 'Qwen2.5-0.5B']) {
      const { family, config } = preset(label);
      const full = estimateMemory(family, config, at);
      const lora = estimateMemory(family, config, { ...at, lora: lora16(family.modelType) });
      expect(lora.parts.state).toBe(4 * lora.params + 16 * lora.lora!.params);
      expect(lora.parts.embeddingGrad).toBe(0);
      expect(lora.parts.loss).toBe(full.parts.loss);
      // The same activations, plus the adapters' own: a few percent more.
      expect(lora.parts.activations).toBeGreaterThan(full.parts.activations);
      expect(lora.parts.activations).toBeLessThan(1.1 * full.parts.activations);
      expect(lora.trainingBytes).toBeLessThan(full.trainingBytes / 2.5);
    }
    const qwen = preset('Qwen2.5-0.5B');
    const q = estimateMemory(qwen.family, qwen.config, { ...at, lora: lora16('qwen2') });
    expect(q.trainingBytes).toBeLessThan(3e9);
    expect(q.trainingBytes).toBeGreaterThan(2.5e9); // the frozen weights alone are 1.98 GB
  });

  it('sizes Llama activations by GQA, head_dim and the SwiGLU width', () => {
    const base = { model_type: 'llama', vocab_size: 1000, hidden_size: 256, intermediate_size: 512, num_hidden_layers: 2, num_attention_heads: 8, max_position_embeddings: 512 };
    const act = (extra: Record<string, unknown>) => {
      const f = familyShapeOf(base);
      return estimateMemory(f, f.parseConfig({ ...base, ...extra }), at).parts.activations;
    };
    // 2 kv heads for 8: k/v and their RoPE shrink fourfold (9.5 N x 256 -> 9.5 N x 64 floats),
    // repeat_kv's two copies add 2 N x 256: fewer in all. A wider MLP and wider heads cost more.
    expect(act({ num_key_value_heads: 2 })).toBeLessThan(act({}));
    expect(act({ num_key_value_heads: 8 })).toBe(act({}));
    expect(act({ intermediate_size: 1024 })).toBeGreaterThan(act({}));
    expect(act({ head_dim: 64 })).toBeGreaterThan(act({}));
    // The widest unsplit buffer is the SwiGLU activation or the scores, never the vocabulary table.
    const f = familyShapeOf(base);
    expect(estimateMemory(f, f.parseConfig({ ...base, intermediate_size: 65536 }), at).largest.what).toBe('the MLP activations [1024, 65536]');
  });

  it('refuses a LoRA target the model does not have, and a rank that is not a positive integer', () => {
    const { family, config } = preset('SmolLM2-135M');
    expect(() => estimateMemory(family, config, { lora: { rank: 16, targets: ['c_attn'] } })).toThrow('LoRA: no weight matrix named c_attn in this model');
    expect(() => estimateMemory(family, config, { lora: { rank: 0, targets: ['q_proj'] } })).toThrow('LoRA: rank must be a positive integer, got 0');
    // GPT-2's c_proj is both attn.c_proj and mlp.c_proj, as PEFT matches it.
    const g = preset('distilgpt2');
    expect(estimateMemory(g.family, g.config, { lora: { rank: 1, targets: ['c_proj'] } }).lora!.params).toBe(6 * ((768 + 768) + (3072 + 768)));
  });
});
