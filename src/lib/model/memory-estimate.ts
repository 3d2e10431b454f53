// What a model needs in memory, from its config.json alone (before any weight is downloaded),
// and whether this device can give it. Derived from the same parameter table the model is
// built from (llm.c's param_sizes idea), so the estimate cannot drift from the model.
// Training memory is the README's "on paper" figure for this code: weights, gradients and two
// AdamW moments (16 bytes a parameter), the activations of per-block recomputation, one chunk of
// the chunked loss, and the tied embedding's gradient arriving from two paths.
import { innerSize, type GPT2Config } from './gpt2/config.ts';
import { paramTable } from './gpt2/params.ts';

const F32 = 4;

export interface MemoryEstimate {
  params: number;
  /** float32 weights: what generating needs, and what loading holds beside the file's bytes. */
  weightsBytes: number;
  /** Full fine-tuning at `batch` x `block`: state + activations + loss + embeddingGrad. */
  trainingBytes: number;
  parts: { state: number; activations: number; loss: number; embeddingGrad: number };
  batch: number;
  block: number;
  /** The largest buffer nothing splits: wte is chunked (embedding.ts), every other tensor is one buffer. */
  largest: { what: string; bytes: number };
}

export interface EstimateOptions {
  batch?: number; // rows per step (default 4, the default run's: train/config.ts's TRAIN_DEFAULTS, which model/ may not import)
  block?: number; // tokens per row (default 256, likewise), capped at n_positions
  /** Vocabulary rows per loss chunk: train/loss.ts's LOSS_PIECE_ROWS. */
  lossChunkRows?: number;
}

/** Rows of the widest vocabulary chunk when `V` rows are split evenly into pieces of at most `rows` (embedding.ts's vocabChunkSizes). */
function chunkRows(V: number, rows: number): number {
  const n = Math.ceil(V / rows);
  const even = Math.ceil(V / n);
  const aligned = Math.ceil(even / 4) * 4;
  return aligned <= rows ? aligned : even;
}

export function estimateMemory(config: GPT2Config, opts: EstimateOptions = {}): MemoryEstimate {
  const B = opts.batch ?? 4;
  const T = Math.min(opts.block ?? 256, config.n_positions);
  const N = B * T;
  const C = config.n_embd;
  const F = innerSize(config);
  const V = config.vocab_size;
  let params = 0;
  let largest = { what: '', bytes: 0 };
  for (const spec of paramTable(config)) {
    const numel = spec.shape.reduce((a, b) => a * b, 1);
    params += numel;
    if (spec.name !== 'wte.weight' && numel * F32 > largest.bytes) {
      largest = { what: `${spec.name} [${spec.shape.join(', ')}]`, bytes: numel * F32 };
    }
  }
  // Activation buffers are single tensors too: the MLP's widest and attention's scores.
  for (const [what, bytes] of [
    [`the MLP activations [${N}, ${F}]`, N * F * F32],
    [`the attention scores [${B}, ${config.n_head}, ${T}, ${T}]`, B * config.n_head * T * T * F32],
  ] as const) {
    if (bytes > largest.bytes) largest = { what, bytes };
  }
  const state = 16 * params;
  // Per layer, floats autodiff keeps: LN in/out (2NC) x2, qkv (3NC), y + proj (2NC), the MLP's
  // pre-activation and gelu_new's intermediates (5 x NF), MLP out (NC), dropout masks (3NC),
  // attention scores and probabilities (3 B nh T^2). Every block's input is kept, and one block's
  // activations and their gradients (tfjs frees neither until its tf.grads call returns: twice).
  const perLayer = (4 + 3 + 2 + 1 + 3) * N * C + 5 * N * F + 3 * B * config.n_head * T * T;
  const activations = F32 * ((config.n_layer + 1) * N * C + 2 * perLayer);
  const loss = F32 * 3 * N * chunkRows(V, opts.lossChunkRows ?? 4096); // logits, softmax, gradient of one chunk
  const embeddingGrad = 2 * F32 * V * C;
  return {
    params,
    weightsBytes: F32 * params,
    trainingBytes: state + activations + loss + embeddingGrad,
    parts: { state, activations, loss, embeddingGrad },
    batch: B,
    block: T,
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
