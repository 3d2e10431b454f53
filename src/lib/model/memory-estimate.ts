// What a model needs in memory, from its config.json alone (before any weight is downloaded),
// and whether this device can give it. Derived from the family's own parameter table (llm.c's
// param_sizes idea), so the estimate cannot drift from the model. Training memory is the
// README's "on paper" figure for this code. Full fine-tuning: weights, gradients and two AdamW
// moments (16 bytes a parameter), the activations of per-block recomputation, one chunk of the
// chunked loss, and the vocabulary table's gradient as it arrives. LoRA: the frozen weights (4
// bytes a parameter), adapters with their gradients and moments (16 bytes each), the same
// activations plus the adapters' own, the loss chunk, and no gradient for any base weight.
import type { ParamSpec } from './family.ts';
import type { FamilyShape } from './family-shapes.ts';
import { innerSize, type GPT2Config } from './gpt2/config.ts';
import type { LlamaConfig } from './llama/config.ts';

const F32 = 4;
/** loss.ts's LOSS_PIECE_ROWS, repeated: loss.ts brings tfjs, and the page's picker imports this file. */
const LOSS_CHUNK_ROWS = 4096;

export interface MemoryEstimate {
  params: number;
  /** float32 weights: what generating needs, and what loading holds beside the file's bytes. */
  weightsBytes: number;
  /** Training at `batch` x `block` (full, or LoRA when `lora` is set): the sum of `parts`. */
  trainingBytes: number;
  /** state: weights (+ gradients + moments of what trains); embeddingGrad: 0 under LoRA. */
  parts: { state: number; activations: number; loss: number; embeddingGrad: number };
  batch: number;
  block: number;
  /** Under LoRA: the rank, the target modules and the adapters' parameter count. */
  lora: { rank: number; targets: readonly string[]; params: number } | null;
  /** The largest buffer nothing splits: vocabulary tables are chunked (embedding.ts), every other tensor is one buffer. */
  largest: { what: string; bytes: number };
}

/** LoRA on the matrices whose module name (the path's last part) is one of `targets`. */
export interface LoraEstimate {
  rank: number;
  /** Module names as PEFT matches them ('c_attn', 'q_proj'): lib/lora/targets.ts has PEFT's defaults. */
  targets: readonly string[];
}

export interface EstimateOptions {
  batch?: number; // rows per step (default 4, the default run's: train/config.ts's TRAIN_DEFAULTS, which model/ may not import)
  block?: number; // tokens per row (default 256, likewise), capped at the model's positions
  /** Vocabulary rows per loss chunk: loss.ts's LOSS_PIECE_ROWS. */
  lossChunkRows?: number;
  /** Estimate LoRA fine-tuning instead of full. */
  lora?: LoraEstimate;
}

/** The sizes a block's activations follow, whatever the family calls them. */
interface BlockShape {
  kind: 'gpt2' | 'llama';
  heads: number;
  kvHeads: number;
  headDim: number;
  inner: number; // the MLP's hidden width
  qkvBias: boolean;
  oBias: boolean;
  mlpBias: boolean;
}

function blockShape(modelType: string, config: unknown): BlockShape {
  if (modelType === 'gpt2') {
    const c = config as GPT2Config;
    const hd = c.n_embd / c.n_head;
    return { kind: 'gpt2', heads: c.n_head, kvHeads: c.n_head, headDim: hd, inner: innerSize(c), qkvBias: true, oBias: true, mlpBias: true };
  }
  if (modelType === 'llama' || modelType === 'qwen2') {
    const c = config as LlamaConfig;
    return {
      kind: 'llama', heads: c.num_attention_heads, kvHeads: c.num_key_value_heads, headDim: c.head_dim,
      inner: c.intermediate_size, qkvBias: c.qkv_bias, oBias: c.o_bias, mlpBias: c.mlp_bias,
    };
  }
  throw new Error(`memory estimate: no activation model for model_type "${modelType}"`);
}

/**
 * Floats autodiff keeps for one block's forward at N = B*T rows (tfjs keeps every intermediate
 * of a tf.grads call until it returns), counted for the tfjs-ops path (the WebGPU kernels keep
 * fewer). GPT-2: per LayerNorm the centred input, variance, rsqrt and two products (5NC); qkv
 * (3NC), its transpose, the unstacked thirds and their head transposes (9NC); scores, scaled,
 * masked, softmax, dropout mask and output (6 S); y's transpose and c_proj (2NC); the residual
 * dropouts' masks and outputs (4NC) and two residuals (2NC); c_fc and gelu_new's seven
 * intermediates (8NF) and the MLP's output (NC). Llama: per RMSNorm x^2, x*rsqrt and the
 * output (3NC); q/k/v (and their biases), their head transposes, RoPE's halves, negation,
 * concat, two products and sum (5.5 each); repeat_kv's copies of k and v when kv heads are
 * fewer; scores, scaled, masked, softmax (4 S); y and its transpose; o_proj; two residuals;
 * SwiGLU's gate, up, sigmoid and two products (5 NF) and down.
 */
function blockFloats(s: BlockShape, B: number, T: number, C: number): number {
  const N = B * T;
  const S = B * s.heads * T * T;
  const F = s.inner;
  if (s.kind === 'gpt2') return (2 * 5 + 3 + 9 + 2 + 4 + 2 + 1) * N * C + 8 * N * F + 6 * S;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const bias = (on: boolean, n: number) => (on ? n : 0);
  const norms = 2 * 3 * N * C;
  const proj = N * (q + 2 * kv) + bias(s.qkvBias, N * (q + 2 * kv));
  const heads = N * (q + 2 * kv) + 5.5 * N * (q + kv);
  const repeat = s.kvHeads < s.heads ? 2 * N * q : 0;
  const attention = 4 * S + 2 * N * q;
  const out = N * C + bias(s.oBias, N * C) + 2 * N * C;
  const mlp = 5 * N * F + bias(s.mlpBias, 2 * N * F) + N * C + bias(s.mlpBias, N * C);
  return norms + proj + heads + repeat + attention + out + mlp;
}

/** Rows of the widest vocabulary chunk when `V` rows are split evenly into pieces of at most `rows` (embedding.ts's vocabChunkSizes). */
function chunkRows(V: number, rows: number): number {
  const n = Math.ceil(V / rows);
  const even = Math.ceil(V / n);
  const aligned = Math.ceil(even / 4) * 4;
  return aligned <= rows ? aligned : even;
}

/** The module name PEFT matches: 'h.0.attn.c_attn.weight' -> 'c_attn'. */
function moduleName(param: string): string | null {
  const m = /(?:^|\.)([^.]+)\.weight$/.exec(param);
  return m ? m[1] : null;
}

/**
 * Adapter parameters (r (in + out) per targeted matrix) and, per block, the floats their
 * forward keeps: x A [N, r], then (x A) B, its scaling and the sum with the base output [N, out] each.
 */
function adapters(table: ParamSpec[], kind: BlockShape['kind'], lora: LoraEstimate, layers: number, N: number): { params: number; blockFloats: number } {
  if (!Number.isInteger(lora.rank) || lora.rank < 1) throw new Error(`LoRA: rank must be a positive integer, got ${lora.rank}`);
  const wanted = new Set(lora.targets);
  const hit = new Set<string>();
  let params = 0;
  let outs = 0;
  for (const spec of table) {
    const name = moduleName(spec.name);
    if (spec.shape.length !== 2 || spec.vocabRows || name === null || !wanted.has(name)) continue;
    hit.add(name);
    params += lora.rank * (spec.shape[0] + spec.shape[1]);
    outs += lora.rank + 3 * (kind === 'gpt2' ? spec.shape[1] : spec.shape[0]); // Conv1D is [in, out], nn.Linear [out, in]
  }
  const missing = lora.targets.filter((t) => !hit.has(t));
  if (missing.length) throw new Error(`LoRA: no weight matrix named ${missing.join(', ')} in this model`);
  return { params, blockFloats: (N * outs) / layers };
}

export function estimateMemory<C>(family: FamilyShape<C>, config: C, opts: EstimateOptions = {}): MemoryEstimate {
  const dims = family.dims(config);
  const B = opts.batch ?? 4;
  const T = Math.min(opts.block ?? 256, dims.positions);
  const N = B * T;
  const C = dims.width;
  const V = dims.vocab;
  const shape = blockShape(family.modelType, config);
  const table = family.paramTable(config);
  let params = 0;
  let largest = { what: '', bytes: 0 };
  for (const spec of table) {
    const numel = spec.shape.reduce((a, b) => a * b, 1);
    params += numel;
    if (!spec.vocabRows && numel * F32 > largest.bytes) {
      largest = { what: `${spec.name} [${spec.shape.join(', ')}]`, bytes: numel * F32 };
    }
  }
  // Activation buffers are single tensors too: the MLP's widest and attention's scores.
  for (const [what, bytes] of [
    [`the MLP activations [${N}, ${shape.inner}]`, N * shape.inner * F32],
    [`the attention scores [${B}, ${shape.heads}, ${T}, ${T}]`, B * shape.heads * T * T * F32],
  ] as const) {
    if (bytes > largest.bytes) largest = { what, bytes };
  }
  const lora = opts.lora ? adapters(table, shape.kind, opts.lora, dims.layers, N) : null;
  const perBlock = blockFloats(shape, B, T, C) + (lora?.blockFloats ?? 0);
  // Every block's input is kept, and one block's activations and their gradients (tfjs frees
  // neither until its tf.grads call returns: twice).
  const activations = F32 * ((dims.layers + 1) * N * C + 2 * perBlock);
  const loss = F32 * 3 * N * chunkRows(V, opts.lossChunkRows ?? LOSS_CHUNK_ROWS); // logits, softmax, gradient of one chunk
  // Full: the vocabulary table's gradient arrives from two paths (tied: the lookup and the head;
  // untied: one for each table) before it is summed. LoRA: frozen tables get none.
  const embeddingGrad = lora ? 0 : 2 * F32 * V * C;
  const state = lora ? F32 * params + 16 * lora.params : 16 * params;
  return {
    params,
    weightsBytes: F32 * params,
    trainingBytes: state + activations + loss + embeddingGrad,
    parts: { state, activations, loss, embeddingGrad },
    batch: B,
    block: T,
    lora: opts.lora && lora ? { rank: opts.lora.rank, targets: opts.lora.targets, params: lora.params } : null,
    largest,
  };
}

/** The WebGPU limits that bound a model (gpu-info.ts's KEY_LIMITS); null where not reported. */
export interface DeviceLimits {
  maxStorageBufferBindingSize: number | null;
  maxBufferSize: number | null;
}

/**
 * What one tab can hold across JavaScript and GPU memory, as a working figure: no browser states
 * it, and 16 GiB is what a well-equipped computer gives a tab before it is killed. Loading holds
 * the downloaded file and the float32 weights at once (about twice the weights).
 */
export const TAB_MEMORY_CEILING = 16 * 2 ** 30;

/**
 * The most a run on tfjs' WASM backend can hold: every tensor lives in its heap, a 32-bit
 * WebAssembly memory that grows to 4 GiB less one 64 KiB page. Past it a step stops with
 * "memory access out of bounds" (Qwen2.5-0.5B with two full layers did, at B4 x T256).
 */
export const WASM_HEAP_BYTES = 4 * 2 ** 30 - 2 ** 16;

export interface DeviceFit {
  /** false: the model cannot run here, and `line` says why. */
  ok: boolean;
  line: string;
}

/** Binary units, as WebGPU's limits are powers of two ("128 MiB", "4 GiB"). */
export function formatSize(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${Math.round(n / 2 ** 20)} MiB`;
  return `${Math.max(1, Math.round(n / 2 ** 10))} KiB`;
}

/**
 * Tells a model's estimate against the device (limits: null where the backend is not WebGPU):
 * refused when a buffer nothing splits exceeds what one binding may hold, or when its weights
 * alone are far beyond what a tab can hold; otherwise one line to show before the download.
 */
export function deviceFit(est: MemoryEstimate, limits: DeviceLimits | null, ceiling = TAB_MEMORY_CEILING): DeviceFit {
  const binding = Math.min(limits?.maxStorageBufferBindingSize ?? Infinity, limits?.maxBufferSize ?? Infinity);
  if (est.largest.bytes > binding) {
    return {
      ok: false,
      line: `this model cannot run on this GPU: ${est.largest.what} is ${formatSize(est.largest.bytes)} in one buffer, and this GPU's buffers stop at ${formatSize(binding)}`,
    };
  }
  if (2 * est.weightsBytes > ceiling) {
    return {
      ok: false,
      line: `this model has ${formatCount(est.params)} parameters: about ${formatSize(est.weightsBytes)} of weights, held twice while loading, more than a browser tab can hold (about ${formatSize(ceiling)}); choose a smaller model`,
    };
  }
  const device = Number.isFinite(binding)
    ? `this GPU's buffers stop at ${formatSize(binding)} (its largest tensor: ${formatSize(est.largest.bytes)})`
    : 'it runs in this tab\'s memory (no WebGPU)';
  const far = est.trainingBytes > ceiling ? ': more than a browser tab can use, so generating may work but training will likely fail' : '';
  return {
    ok: true,
    line: `This model (${formatCount(est.params)} parameters) needs about ${formatSize(est.weightsBytes)} for its weights and ${formatSize(est.trainingBytes)} to train at ${est.batch}×${est.block}${far}; ${device}.`,
  };
}

function formatCount(n: number): string {
  if (n >= 1e9) return `${+(n / 1e9).toFixed(1)} billion`;
  if (n >= 1e6) return `${+(n / 1e6).toFixed(1)} million`;
  return String(n);
}
