// GPT-2's config.json, field for field, and the check that a folder holds a GPT-2-family
// model this code can run. Names are spelled as Hugging Face writes them so a checkpoint
// maps one to one (see transformers' GPT2Config).
import { boundedInt } from '../config-fields.ts';
import type { ModelDims } from '../family.ts';

export interface GPT2Config {
  vocab_size: number; // tokens in the vocabulary: 50257 for GPT-2 (50000 merges + 256 bytes + <|endoftext|>)
  n_positions: number; // longest sequence the learned position table covers (1024)
  n_embd: number; // residual stream width C (768 for gpt2/distilgpt2)
  n_layer: number; // transformer blocks (12 gpt2, 6 distilgpt2)
  n_head: number; // attention heads; head size = n_embd / n_head
  layer_norm_epsilon: number; // LayerNorm epsilon (1e-5)
  activation_function: string; // MLP nonlinearity: 'gelu_new' (tanh approximation) for every GPT-2
  resid_pdrop: number; // dropout on each block's attention and MLP output before the residual add
  embd_pdrop: number; // dropout on token + position embeddings
  attn_pdrop: number; // dropout on the attention probabilities
  n_inner?: number | null; // MLP hidden width; null means 4 * n_embd
  model_type?: string; // 'gpt2'
  architectures?: string[]; // e.g. ['GPT2LMHeadModel']
  bos_token_id?: number; // 50256
  eos_token_id?: number; // 50256
  /** Fields we carry through untouched (task_specific_params, n_ctx, ...). */
  [extra: string]: unknown;
}

/** Activations we implement; HF's 'gelu_new' and 'gelu_pytorch_tanh' are the same tanh formula. */
export const SUPPORTED_ACTIVATIONS = ['gelu_new', 'gelu_pytorch_tanh', 'gelu', 'relu'] as const;

/** MLP hidden width (n_inner, or 4 * n_embd when absent). */
/** The sizes the family-agnostic machinery reads (family.ts's ModelDims). */
export function gpt2Dims(c: GPT2Config): ModelDims {
  return { vocab: c.vocab_size, width: c.n_embd, layers: c.n_layer, positions: c.n_positions };
}

export function innerSize(config: GPT2Config): number {
  return config.n_inner ?? 4 * config.n_embd;
}

/**
 * The most config.json may ask for, checked before anything is sized from it. Each bound admits
 * gpt2-xl (48 layers, 1600 wide, 25 heads, 1024 positions, 50257 tokens, MLP 6400) and a
 * Qwen2.5-7B-sized model (28 layers, 3584 wide, 28 heads, 131072 positions, 152064 tokens, MLP
 * 18944) with room to spare, and sits above the largest open models (~126 layers, 16384 wide,
 * 128 heads, 256k-token vocabularies, MLP 53248): past these a config is broken or hostile, and
 * a table of its parameters alone would take gigabytes. Whether a model that passes fits the
 * device is memory-estimate.ts's question.
 */
export const CONFIG_LIMITS = {
  n_layer: 256,
  n_embd: 16_384,
  n_head: 256,
  n_positions: 131_072,
  vocab_size: 262_144,
  n_inner: 65_536,
} as const;
type Bounded = keyof typeof CONFIG_LIMITS;

const positiveInt = (o: Record<string, unknown>, key: Bounded, fallback?: number): number =>
  boundedInt(o, key, CONFIG_LIMITS[key], fallback, ' (no real GPT-2-family model comes close)');

function rate(o: Record<string, unknown>, key: string, fallback: number): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !(v >= 0 && v < 1)) {
    throw new Error(`config.json: "${key}" must be a number in [0, 1), got ${JSON.stringify(v)}`);
  }
  return v;
}

/**
 * Validates a parsed config.json and returns it typed. Refuses, with a message that names
 * what it found, anything that is not a GPT-2-family causal LM (BERT, Llama, GPT-Neo, ...).
 * Defaults follow transformers' GPT2Config for fields older configs omit.
 */
export function parseConfig(json: unknown): GPT2Config {
  if (typeof json === 'string') json = JSON.parse(json);
  if (json === null || typeof json !== 'object' || Array.isArray(json)) {
    throw new Error('config.json: expected a JSON object');
  }
  const o = json as Record<string, unknown>;
  const modelType = o.model_type;
  const archs = Array.isArray(o.architectures) ? (o.architectures as unknown[]).map(String) : undefined;
  if (modelType !== undefined && modelType !== 'gpt2') {
    throw new Error(
      `config.json: model_type "${String(modelType)}" is not GPT-2; this app only runs GPT-2-family models (gpt2, distilgpt2, ...)`,
    );
  }
  if (archs && !archs.every((a) => a.startsWith('GPT2'))) {
    throw new Error(
      `config.json: architecture ${archs.join(', ')} is not GPT-2; this app only runs GPT-2-family models (GPT2LMHeadModel)`,
    );
  }
  if (modelType === undefined && !archs && o.n_embd === undefined) {
    throw new Error('config.json: no model_type, architectures or n_embd; this does not look like a GPT-2 config');
  }
  const n_embd = positiveInt(o, 'n_embd');
  const n_head = positiveInt(o, 'n_head');
  if (n_embd % n_head !== 0) {
    throw new Error(`config.json: n_embd (${n_embd}) must be divisible by n_head (${n_head})`);
  }
  const activation = o.activation_function ?? 'gelu_new';
  if (typeof activation !== 'string' || !(SUPPORTED_ACTIVATIONS as readonly string[]).includes(activation)) {
    throw new Error(
      `config.json: activation_function ${JSON.stringify(activation)} is not supported (expected one of ${SUPPORTED_ACTIVATIONS.join(', ')})`,
    );
  }
  const nInner = o.n_inner;
  if (nInner !== undefined && nInner !== null) positiveInt(o, 'n_inner');
  // Variants we would silently compute wrong: refuse rather than produce garbage.
  if (o.scale_attn_weights === false) throw new Error('config.json: scale_attn_weights=false is not supported');
  if (o.scale_attn_by_inverse_layer_idx === true || o.reorder_and_upcast_attn === true) {
    throw new Error('config.json: scale_attn_by_inverse_layer_idx / reorder_and_upcast_attn are not supported');
  }
  if (o.add_cross_attention === true) throw new Error('config.json: add_cross_attention is not supported');
  const eps = o.layer_norm_epsilon ?? 1e-5;
  if (typeof eps !== 'number' || !(eps > 0)) {
    throw new Error(`config.json: "layer_norm_epsilon" must be a positive number, got ${JSON.stringify(eps)}`);
  }
  return {
    ...o,
    vocab_size: positiveInt(o, 'vocab_size', 50257),
    n_positions: positiveInt(o, 'n_positions', (o.n_ctx as number | undefined) ?? 1024),
    n_embd,
    n_layer: positiveInt(o, 'n_layer'),
    n_head,
    layer_norm_epsilon: eps,
    activation_function: activation,
    resid_pdrop: rate(o, 'resid_pdrop', 0.1),
    embd_pdrop: rate(o, 'embd_pdrop', 0.1),
    attn_pdrop: rate(o, 'attn_pdrop', 0.1),
    n_inner: (nInner as number | null | undefined) ?? null,
    model_type: 'gpt2',
  };
}
