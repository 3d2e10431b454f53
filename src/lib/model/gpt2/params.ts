// One table of GPT-2's parameters (llm.c's param_sizes[] in spirit): logical name (Hugging
// Face's without the `transformer.` prefix), shape, and whether AdamW decays it; and the map
// from save_pretrained's names in and back out. Loading checks checkpoints against the table,
// and memory/FLOP estimates are derived from it.
import { innerSize, type GPT2Config } from './config.ts';
import { countParams } from '../param-count.ts';
import type { ParamSpec } from '../family.ts';

export type { ParamSpec } from '../family.ts';

/** The GPT2Model inside GPT2LMHeadModel: save_pretrained's names carry it. */
export const HF_PREFIX = 'transformer.';

/** Every parameter of a GPT-2 in save_pretrained order; lm_head is tied to wte and absent. */
export function paramTable(config: GPT2Config): ParamSpec[] {
  const V = config.vocab_size;
  const P = config.n_positions;
  const C = config.n_embd;
  const F = innerSize(config);
  const p = (name: string, shape: number[]): ParamSpec => ({ name, shape, decay: shape.length >= 2 });
  const table: ParamSpec[] = [
    { ...p('wte.weight', [V, C]), vocabRows: true }, // token embedding, also the output head (tied)
    p('wpe.weight', [P, C]), // learned position embedding
  ];
  for (let l = 0; l < config.n_layer; l++) {
    const h = `h.${l}.`;
    table.push(
      p(h + 'ln_1.weight', [C]),
      p(h + 'ln_1.bias', [C]),
      p(h + 'attn.c_attn.weight', [C, 3 * C]), // Conv1D: [in, out], q|k|v side by side
      p(h + 'attn.c_attn.bias', [3 * C]),
      p(h + 'attn.c_proj.weight', [C, C]),
      p(h + 'attn.c_proj.bias', [C]),
      p(h + 'ln_2.weight', [C]),
      p(h + 'ln_2.bias', [C]),
      p(h + 'mlp.c_fc.weight', [C, F]),
      p(h + 'mlp.c_fc.bias', [F]),
      p(h + 'mlp.c_proj.weight', [F, C]),
      p(h + 'mlp.c_proj.bias', [C]),
    );
  }
  table.push(p('ln_f.weight', [C]), p('ln_f.bias', [C]));
  return table;
}

/** Total parameter count (distilgpt2: 81,912,576). */
export function paramCount(config: GPT2Config): number {
  return countParams(paramTable(config));
}

/**
 * Maps checkpoint names to our table's names: strips `transformer.`, drops the attention
 * mask buffers (`attn.bias`, `attn.masked_bias`, constants, not parameters) and the tied
 * `lm_head.weight` (used as wte only when wte is missing). Then checks every parameter is
 * present with the config's shape, and says exactly which are missing or misshapen.
 */
export function normalizeWeights<T extends { shape: number[] }>(
  config: GPT2Config,
  weights: Map<string, T>,
): Map<string, T> {
  const byName = new Map<string, T>();
  let lmHead: T | undefined;
  for (const [raw, t] of weights) {
    const name = raw.startsWith(HF_PREFIX) ? raw.slice(HF_PREFIX.length) : raw;
    if (/^h\.\d+\.attn\.(bias|masked_bias)$/.test(name)) continue;
    if (name === 'lm_head.weight') {
      lmHead = t;
      continue;
    }
    byName.set(name, t);
  }
  if (!byName.has('wte.weight') && lmHead) byName.set('wte.weight', lmHead);
  const out = new Map<string, T>();
  const missing: string[] = [];
  for (const spec of paramTable(config)) {
    const t = byName.get(spec.name);
    if (!t) {
      missing.push(spec.name);
      continue;
    }
    if (t.shape.length !== spec.shape.length || t.shape.some((d, i) => d !== spec.shape[i])) {
      throw new Error(
        `model.safetensors: "${spec.name}" has shape [${t.shape.join(', ')}] but config.json implies [${spec.shape.join(', ')}]`,
      );
    }
    out.set(spec.name, t);
    byName.delete(spec.name);
  }
  if (missing.length) {
    const shown = missing.slice(0, 5).join(', ') + (missing.length > 5 ? `, ... (${missing.length} in all)` : '');
    throw new Error(`model.safetensors: missing ${shown} for a ${config.n_layer}-layer GPT-2`);
  }
  // Extra tensors (another head, a score layer) are not ours to run: name them rather than guess.
  const extra = [...byName.keys()];
  if (extra.length) {
    throw new Error(
      `model.safetensors: unexpected tensors ${extra.slice(0, 5).join(', ')}${extra.length > 5 ? ', ...' : ''} (more layers than config.json's n_layer=${config.n_layer}, or not a GPT2LMHeadModel)`,
    );
  }
  return out;
}

/**
 * save_pretrained's tensor set and order from logical parameters (exactly the table: no tied
 * lm_head, no attention buffers): the prefix added, names sorted. Names are ASCII, so sort()'s
 * UTF-16 order is the byte order safetensors' Rust serializer uses (h.10 before h.2).
 */
export function toHF<T>(weights: Map<string, T>): Map<string, T> {
  return new Map([...weights.keys()].sort().map((n) => [HF_PREFIX + n, weights.get(n)!]));
}

/**
 * Forward+backward FLOPs per token at sequence length T (PaLM appendix B, as in nanoGPT's
 * estimate_mfu): 6 per parameter (the tied head counted once, its matmul included) plus
 * attention's 12 * n_layer * C * T. Generation (forward only) is a third of this.
 */
export function trainingFlopsPerToken(config: GPT2Config, seqLen: number): number {
  const N = paramCount(config) - config.n_positions * config.n_embd; // position table: a lookup, no matmul
  return 6 * N + 12 * config.n_layer * config.n_embd * seqLen;
}
