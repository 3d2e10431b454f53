// Deterministic Llama / Qwen2 weights from the LCG of synthetic.ts, reproducible bit for bit in
// Python (scripts/golden/llama_train_golden.py builds the same configs and numbers), so the
// training goldens need no checkpoint file. Names and order are Hugging Face's state_dict
// (llamaParamTable of the fixture builder); parameter i is seeded with seed * 1000 + i.
import { llamaParamTable, type HFLlamaConfig } from '../../scripts/fixtures/tiny-llama.ts';
import { lcg } from './synthetic.ts';

const COMMON = { vocab_size: 101, max_position_embeddings: 16, hidden_act: 'silu', rope_scaling: null, attention_dropout: 0 };

/** The configs of tests/golden/train-llama-tiny.json (CONFIGS in llama_train_golden.py). */
export const SYNTHETIC_LLAMAS = {
  /** GQA 4 query heads on 2 kv heads, q/k/v biases, tied head. */
  qwen2: {
    ...COMMON,
    model_type: 'qwen2',
    architectures: ['Qwen2ForCausalLM'],
    hidden_size: 16,
    intermediate_size: 24,
    num_hidden_layers: 2,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    rms_norm_eps: 1e-6,
    rope_theta: 1e6,
    tie_word_embeddings: true,
  },
  /** head_dim 8 != 12 / 2, one kv head for two query heads, untied lm_head, no biases. */
  llama: {
    ...COMMON,
    model_type: 'llama',
    architectures: ['LlamaForCausalLM'],
    hidden_size: 12,
    intermediate_size: 20,
    num_hidden_layers: 2,
    num_attention_heads: 2,
    num_key_value_heads: 1,
    head_dim: 8,
    rms_norm_eps: 1e-5,
    rope_theta: 1e4,
    tie_word_embeddings: false,
    attention_bias: false,
    mlp_bias: false,
  },
} satisfies Record<string, HFLlamaConfig>;

/** The scale of each parameter kind (init in llama_train_golden.py). */
function init(name: string): { offset: number; scale: number } {
  if (name.endsWith('norm.weight')) return { offset: 1, scale: 0.1 };
  if (name.endsWith('.bias')) return { offset: 0, scale: 0.1 };
  if (name === 'model.embed_tokens.weight' || name === 'lm_head.weight') return { offset: 0, scale: 0.3 };
  return { offset: 0, scale: 0.2 };
}

/** Weights for every parameter of llamaParamTable(config), under Hugging Face's names. */
export function syntheticLlamaWeights(config: HFLlamaConfig, seed: number): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  llamaParamTable(config).forEach((spec, i) => {
    const rand = lcg(seed * 1000 + i);
    const { offset, scale } = init(spec.name);
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    for (let k = 0; k < data.length; k++) data[k] = offset + rand() * scale;
    out.set(spec.name, { shape: spec.shape, data });
  });
  return out;
}
