// The benches' model FLOPs (bench/models.ts: 6N + 12 L T d_q from the family's parameter table)
// against counts made by hand from each architecture's layer shapes, so a table that counts the
// lookup-only embedding, misses the untied head, or uses the kv width for attention fails here.
import { describe, expect, it } from 'vitest';
import { benchModel, gpt2BenchModel, loraParams, loraTrainingFlopsPerToken, matmulParams, trainingFlopsPerToken, type BenchModel } from '../../bench/models.ts';
import { shapeConfig } from '../../bench/common.ts';
import { FAMILIES } from '../../src/lib/model/families.ts';
import { trainingFlopsPerToken as gpt2Flops } from '../../src/lib/model/gpt2/params.ts';
import { SYNTHETIC_LLAMAS, syntheticLlamaWeights } from '../helpers/synthetic-llama.ts';

/** One Qwen2.5-0.5B block: q (896 -> 14 x 64, bias), k and v (896 -> 2 x 64, bias), o, SwiGLU's three 896 x 4864, two RMSNorm gains. */
const QWEN_BLOCK = 896 * 896 + 896 + 2 * (128 * 896 + 128) + 896 * 896 + 3 * 4864 * 896 + 2 * 896;
const QWEN_EMBED = 151936 * 896; // tied: the head's matmul too

describe('bench models: FLOPs per token', () => {
  it('Qwen2.5-0.5B: the tied table counts once, attention over 14 heads x 64', () => {
    const m = benchModel('Qwen2.5-0.5B');
    expect(matmulParams(m)).toBe(QWEN_EMBED + 24 * QWEN_BLOCK + 896);
    expect(trainingFlopsPerToken(m, 256)).toBe(6 * (QWEN_EMBED + 24 * QWEN_BLOCK + 896) + 12 * 24 * 256 * 896);
  });

  it('--layers 2 keeps the embedding and head, two blocks, and two layers of attention', () => {
    const m = benchModel('qwen/qwen2.5-0.5b', 2);
    expect([m.layers, m.fullLayers]).toEqual([2, 24]);
    expect(trainingFlopsPerToken(m, 64)).toBe(6 * (QWEN_EMBED + 2 * QWEN_BLOCK + 896) + 12 * 2 * 64 * 896);
    expect(() => benchModel('Qwen2.5-0.5B', 25)).toThrow(/--layers: a whole number from 1 to 24/);
    expect(() => benchModel('Qwen2.5-0.5B', 0)).toThrow(/--layers/);
    expect(() => benchModel('gpt3')).toThrow(/--model: one of .*gpt2-medium/);
  });

  it('an untied llama with head_dim != width / heads: embedding lookup-only, lm_head multiplied, d_q = heads x head_dim', () => {
    const family = FAMILIES.llama;
    const hf = SYNTHETIC_LLAMAS.llama; // C 12, 2 heads of 8, 1 kv head, MLP 20, V 101, 2 layers, untied
    const config = family.parseConfig(hf);
    const m: BenchModel = { label: 'tiny', family, config, layers: 2, fullLayers: 2, weights: () => syntheticLlamaWeights(hf, 1) };
    const block = 16 * 12 + 2 * (8 * 12) + 12 * 16 + 3 * 20 * 12 + 2 * 12; // q, k+v, o, gate/up/down, norms
    const N = 2 * block + 12 + 101 * 12; // blocks, final norm, lm_head
    expect(matmulParams(m)).toBe(N);
    expect(trainingFlopsPerToken(m, 8)).toBe(6 * N + 12 * 2 * 8 * 16);
  });

  it('GPT-2: gpt2-medium less its position table, and the --shape models as the GPT-2 tables computed them', () => {
    const medium = benchModel('gpt2-medium');
    const C = 1024;
    const N = 50257 * C + 24 * (12 * C * C + 13 * C) + 2 * C; // wte (tied head), blocks, ln_f; wpe is a lookup
    expect(matmulParams(medium)).toBe(N);
    expect(trainingFlopsPerToken(medium, 128)).toBe(6 * N + 12 * 24 * 128 * C);
    for (const shape of ['tiny', 'distilgpt2']) {
      const c = shapeConfig(shape);
      expect(trainingFlopsPerToken(gpt2BenchModel(shape, c), 256)).toBe(gpt2Flops(c, 256));
    }
  });
});

// LoRA: frozen matrices forward (2) and input gradient (2), adapters 6 a parameter, attention as in full
// fine-tuning. The adapter counts are what PEFT's print_trainable_parameters reports for these models.
describe('bench models: LoRA FLOPs per token', () => {
  it('Qwen2.5-0.5B, r16 on q_proj and v_proj: 1,081,344 adapter parameters, 4N + 6 N_lora + attention', () => {
    const m = benchModel('Qwen2.5-0.5B');
    const lora = { r: 16, targets: ['q_proj', 'v_proj'] };
    const adapters = 24 * 16 * (896 + 896 + (896 + 128)); // q: 896 -> 896, v: 896 -> 2 x 64
    expect(adapters).toBe(1_081_344);
    expect(loraParams(m, lora)).toBe(adapters);
    expect(loraTrainingFlopsPerToken(m, 256, lora)).toBe(4 * (QWEN_EMBED + 24 * QWEN_BLOCK + 896) + 6 * adapters + 12 * 24 * 256 * 896);
  });

  it('distilgpt2, r8 on the fused c_attn (768 -> 2304): 147,456 adapter parameters; fewer FLOPs than full fine-tuning', () => {
    const m = gpt2BenchModel('distilgpt2', shapeConfig('distilgpt2'));
    const lora = { r: 8, targets: ['c_attn'] };
    const N = 50257 * 768 + 6 * (12 * 768 * 768 + 13 * 768) + 2 * 768;
    expect(loraParams(m, lora)).toBe(147_456);
    expect(loraTrainingFlopsPerToken(m, 64, lora)).toBe(4 * N + 6 * 147_456 + 12 * 6 * 64 * 768);
    expect(loraTrainingFlopsPerToken(m, 64, lora)).toBeLessThan(trainingFlopsPerToken(m, 64));
    expect(loraParams(m, { r: 8, targets: ['c_attn', 'c_fc'] })).toBe(147_456 + 6 * 8 * (768 + 3072));
    expect(() => loraParams(m, { r: 8, targets: ['q_proj'] })).toThrow(/q_proj not found/);
  });
});
