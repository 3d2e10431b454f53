// The config.json of a Llama- or Qwen2-family model (transformers' LlamaConfig, Qwen2Config),
// checked and bounded before anything is sized from it. Names are Hugging Face's so a
// checkpoint maps one to one. What differs from GPT-2's config: RMSNorm's eps, RoPE's theta,
// grouped-query attention (num_key_value_heads), head_dim apart from width / heads, a tied or
// separate lm_head, and optional projection biases.
import { boundedInt } from '../config-fields.ts';
import type { ModelDims } from '../family.ts';

export interface LlamaConfig {
  model_type: 'llama' | 'qwen2';
  vocab_size: number; // embedding rows (Qwen2.5 pads its 151,665 tokens to 151,936)
  hidden_size: number; // residual stream width C
  intermediate_size: number; // SwiGLU hidden width
  num_hidden_layers: number;
  num_attention_heads: number;
  num_key_value_heads: number; // query head h reads kv head h // (heads / kv_heads)
  head_dim: number; // config.head_dim, else hidden_size / num_attention_heads
  rms_norm_eps: number;
  rope_theta: number;
  max_position_embeddings: number;
  tie_word_embeddings: boolean; // both configs default it to false
  /** Biases on q, k, v (Qwen2 always; Llama when attention_bias). */
  qkv_bias: boolean;
  /** A bias on o_proj (Llama's attention_bias; Qwen2 never). */
  o_bias: boolean;
  /** Biases on gate/up/down (Llama's mlp_bias; Qwen2 never). */
  mlp_bias: boolean;
  attention_dropout: number; // 0 in every released config
  bos_token_id?: number;
  eos_token_id?: number | number[];
  /** Fields carried through untouched. */
  [extra: string]: unknown;
}

/** The sizes the family-agnostic machinery reads (family.ts's ModelDims). */
export function llamaDims(c: LlamaConfig): ModelDims {
  return { vocab: c.vocab_size, width: c.hidden_size, layers: c.num_hidden_layers, positions: c.max_position_embeddings };
}

/**
 * The most config.json may ask for. Each bound admits Llama-3-70B / Qwen2.5-72B-sized models
 * (80 layers, 8192 wide, 64 heads, 152k-token vocabularies, MLP 29568, 131072 positions) with
 * room to spare: past these a config is broken or hostile. Whether a model fits the device is
 * memory-estimate.ts's question.
 */
export const LLAMA_CONFIG_LIMITS = {
  num_hidden_layers: 256,
  hidden_size: 16_384,
  intermediate_size: 65_536,
  num_attention_heads: 256,
  num_key_value_heads: 256,
  head_dim: 1024,
  max_position_embeddings: 1_048_576,
  vocab_size: 262_144,
} as const;
type Bounded = keyof typeof LLAMA_CONFIG_LIMITS;

const positiveInt = (o: Record<string, unknown>, key: Bounded, fallback?: number): number =>
  boundedInt(o, key, LLAMA_CONFIG_LIMITS[key], fallback);

function positive(o: Record<string, unknown>, key: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || !(v > 0)) {
    throw new Error(`config.json: "${key}" must be a positive number, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  return v;
}

function flag(o: Record<string, unknown>, key: string): boolean {
  const v = o[key] ?? false;
  if (typeof v !== 'boolean') throw new Error(`config.json: "${key}" must be true or false, got ${JSON.stringify(v)?.slice(0, 40)}`);
  return v;
}

/** RoPE variants other than the plain one would be computed wrong: refuse them by name. */
function checkRopeScaling(scaling: unknown): void {
  if (scaling === undefined || scaling === null) return;
  if (typeof scaling !== 'object' || Array.isArray(scaling)) throw new Error('config.json: "rope_scaling" must be an object or null');
  const s = scaling as Record<string, unknown>;
  if (Object.keys(s).length === 0) return;
  const type = s.rope_type ?? s.type;
  if (type !== 'default') {
    throw new Error(`config.json: rope_scaling ${JSON.stringify(type)?.slice(0, 40)} is not supported (only plain RoPE: rope_scaling null or "default")`);
  }
}

/**
 * Validates a parsed config.json of model_type `family` and returns it typed, with Hugging
 * Face's defaults for omitted fields. Refuses, naming what it found, another model type.
 */
export function parseLlamaConfig(json: unknown, family: 'llama' | 'qwen2'): LlamaConfig {
  if (typeof json === 'string') json = JSON.parse(json);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new Error('config.json: expected a JSON object');
  const o = json as Record<string, unknown>;
  if (o.model_type !== family) {
    throw new Error(`config.json: model_type ${JSON.stringify(o.model_type)?.slice(0, 40)} is not "${family}"`);
  }
  const act = o.hidden_act ?? 'silu';
  if (act !== 'silu') throw new Error(`config.json: hidden_act ${JSON.stringify(act)?.slice(0, 40)} is not supported (expected "silu")`);
  checkRopeScaling(o.rope_scaling);
  if (family === 'qwen2' && o.use_sliding_window === true) throw new Error('config.json: use_sliding_window=true is not supported');
  const C = positiveInt(o, 'hidden_size');
  const nh = positiveInt(o, 'num_attention_heads');
  const nkv = positiveInt(o, 'num_key_value_heads', nh);
  if (nh % nkv !== 0) throw new Error(`config.json: num_attention_heads (${nh}) must be a multiple of num_key_value_heads (${nkv})`);
  if (o.head_dim === undefined || o.head_dim === null) {
    if (C % nh !== 0) throw new Error(`config.json: hidden_size (${C}) must be divisible by num_attention_heads (${nh}) when head_dim is absent`);
  }
  const hd = positiveInt(o, 'head_dim', C / nh);
  if (hd % 2 !== 0) throw new Error(`config.json: head_dim (${hd}) must be even for rotary embeddings`);
  const dropout = o.attention_dropout ?? 0;
  if (typeof dropout !== 'number' || !(dropout >= 0 && dropout < 1)) {
    throw new Error(`config.json: "attention_dropout" must be a number in [0, 1), got ${JSON.stringify(dropout)?.slice(0, 40)}`);
  }
  const attentionBias = flag(o, 'attention_bias');
  const mlpBias = flag(o, 'mlp_bias');
  return {
    ...o,
    model_type: family,
    vocab_size: positiveInt(o, 'vocab_size', 32000),
    hidden_size: C,
    intermediate_size: positiveInt(o, 'intermediate_size'),
    num_hidden_layers: positiveInt(o, 'num_hidden_layers'),
    num_attention_heads: nh,
    num_key_value_heads: nkv,
    head_dim: hd,
    rms_norm_eps: positive(o, 'rms_norm_eps', 1e-6),
    rope_theta: positive(o, 'rope_theta', 10000),
    max_position_embeddings: positiveInt(o, 'max_position_embeddings', 2048),
    tie_word_embeddings: flag(o, 'tie_word_embeddings'),
    // Qwen2's attention has q/k/v biases and no o_proj bias, whatever the config says.
    qkv_bias: family === 'qwen2' || attentionBias,
    o_bias: family === 'llama' && attentionBias,
    mlp_bias: family === 'llama' && mlpBias,
    attention_dropout: dropout,
  };
}
