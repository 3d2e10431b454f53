// The parameter table of a Llama / Qwen2 model and its Hugging Face names in and out. As
// GPT-2's (gpt2/params.ts), with these differences: the wrapper prefix is `model.` and the head,
// when untied, is `lm_head.weight` outside it; projections are nn.Linear, stored [out, in];
// there is no position table; norms have no bias.
import { countParams } from '../param-count.ts';
import type { ParamSpec } from '../family.ts';
import type { LlamaConfig } from './config.ts';

/** The LlamaModel inside LlamaForCausalLM / Qwen2ForCausalLM. */
export const HF_PREFIX = 'model.';
/** The untied head, outside the wrapper. */
export const LM_HEAD = 'lm_head.weight';

/** One block's parameter names under `layers.{l}.`, in state_dict order. */
export function blockParams(c: LlamaConfig): string[] {
  const names: string[] = [];
  for (const p of ['q', 'k', 'v']) {
    names.push(`self_attn.${p}_proj.weight`);
    if (c.qkv_bias) names.push(`self_attn.${p}_proj.bias`);
  }
  names.push('self_attn.o_proj.weight');
  if (c.o_bias) names.push('self_attn.o_proj.bias');
  for (const p of ['gate', 'up', 'down']) {
    names.push(`mlp.${p}_proj.weight`);
    if (c.mlp_bias) names.push(`mlp.${p}_proj.bias`);
  }
  names.push('input_layernorm.weight', 'post_attention_layernorm.weight');
  return names;
}

/** Every parameter in state_dict order; lm_head only when untied. */
export function paramTable(c: LlamaConfig): ParamSpec[] {
  const V = c.vocab_size;
  const C = c.hidden_size;
  const F = c.intermediate_size;
  const q = c.num_attention_heads * c.head_dim;
  const kv = c.num_key_value_heads * c.head_dim;
  const shapes: Record<string, number[]> = {
    'self_attn.q_proj.weight': [q, C], 'self_attn.q_proj.bias': [q],
    'self_attn.k_proj.weight': [kv, C], 'self_attn.k_proj.bias': [kv],
    'self_attn.v_proj.weight': [kv, C], 'self_attn.v_proj.bias': [kv],
    'self_attn.o_proj.weight': [C, q], 'self_attn.o_proj.bias': [C],
    'mlp.gate_proj.weight': [F, C], 'mlp.gate_proj.bias': [F],
    'mlp.up_proj.weight': [F, C], 'mlp.up_proj.bias': [F],
    'mlp.down_proj.weight': [C, F], 'mlp.down_proj.bias': [C],
    'input_layernorm.weight': [C], 'post_attention_layernorm.weight': [C],
  };
  const p = (name: string, shape: number[]): ParamSpec => ({ name, shape, decay: shape.length >= 2 });
  const table: ParamSpec[] = [{ ...p('embed_tokens.weight', [V, C]), vocabRows: true }];
  const block = blockParams(c);
  for (let l = 0; l < c.num_hidden_layers; l++) for (const n of block) table.push(p(`layers.${l}.${n}`, shapes[n]));
  table.push(p('norm.weight', [C]));
  if (!c.tie_word_embeddings) table.push({ ...p(LM_HEAD, [V, C]), vocabRows: true });
  return table;
}

export function paramCount(c: LlamaConfig): number {
  return countParams(paramTable(c));
}

/** A Hugging Face name -> our logical name: `model.` stripped, lm_head kept. */
function logicalName(raw: string): string {
  return raw.startsWith(HF_PREFIX) ? raw.slice(HF_PREFIX.length) : raw;
}

/**
 * Checkpoint names -> the table's, checked: every parameter present with the config's shape,
 * nothing unexpected. A tied model's checkpoint may still carry lm_head.weight (a copy of the
 * embedding): it is dropped. The rotary `inv_freq` buffers older checkpoints carry are constants.
 */
export function fromHF<T extends { shape: number[] }>(c: LlamaConfig, weights: Map<string, T>): Map<string, T> {
  const byName = new Map<string, T>();
  for (const [raw, t] of weights) {
    const name = logicalName(raw);
    if (/^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/.test(name)) continue;
    if (name === LM_HEAD && c.tie_word_embeddings) continue;
    byName.set(name, t);
  }
  const out = new Map<string, T>();
  const missing: string[] = [];
  for (const spec of paramTable(c)) {
    const t = byName.get(spec.name);
    if (!t) {
      missing.push(spec.name);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(`model.safetensors: "${spec.name}" has shape [${t.shape.join(', ')}] but config.json implies [${spec.shape.join(', ')}]`);
    }
    out.set(spec.name, t);
    byName.delete(spec.name);
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} in all)` : '');
    throw new Error(`model.safetensors: missing ${shown} for a ${c.num_hidden_layers}-layer ${c.model_type}`);
  }
  const extra = [...byName.keys()];
  if (extra.length) {
    throw new Error(`model.safetensors: unexpected tensors ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''} (not a ${c.model_type} causal LM of config.json's shape)`);
  }
  return out;
}

/** Logical parameters -> save_pretrained's names (`model.` added, lm_head as is), sorted by byte order. */
export function toHF<T>(weights: Map<string, T>): Map<string, T> {
  const hf = (n: string) => (n === LM_HEAD ? n : HF_PREFIX + n);
  return new Map([...weights.keys()].map((n) => [hf(n), weights.get(n)!] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}
