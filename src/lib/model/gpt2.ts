/**
 * GPT-2 in TensorFlow.js, in the spirit of nanoGPT's model.py. References:
 * 1) OpenAI's GPT-2 (github.com/openai/gpt-2, src/model.py);
 * 2) Hugging Face transformers' modeling_gpt2.py, whose checkpoints this loads one to one.
 * The forward pass returns hidden states after ln_f; logits/losses come from the tied head
 * chunk by chunk (embedding.ts), so no tensor exceeds the GPU's storage-buffer limit.
 */
import * as tf from '@tensorflow/tfjs';
import { innerSize, type GPT2Config } from './config.ts';
import { normalizeWeights, paramTable } from './params.ts';
import { embeddingLookup, headLogits, tokenCrossEntropy, vocabChunkSizes, type VocabChunk } from './embedding.ts';
import { causalMask, layerNorm, mlp, selfAttention, type Dropout } from './attention.ts';
import { GPT2KVCache, type KVCache } from './cache.ts';
import { seededDropout } from '../webgpu/dropout.ts';
import { webgpuDevice } from '../webgpu/device.ts';

export type { GPT2Config } from './config.ts';
export { parseConfig } from './config.ts';
export { paramTable, paramCount } from './params.ts';
export type { KVCache } from './cache.ts';
export type { VocabChunk } from './embedding.ts';

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export interface GPT2Options {
  /** Largest tensor allowed, in bytes. Default: the WebGPU device's limit, else unlimited. */
  maxBufferBytes?: number;
}

export interface HiddenOptions {
  /** Dropout (embd/attn/resid) is applied only when training. */
  training?: boolean;
  /** Appends this call's keys/values; positions continue from cache.length. */
  cache?: KVCache;
  /** Seeds dropout masks, so a training step can be replayed exactly. */
  seed?: number;
}

/** The device's storage-buffer limit when the active backend is WebGPU, else Infinity. */
export function defaultMaxBufferBytes(): number {
  const device = webgpuDevice();
  if (!device) return Infinity;
  return Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
}

/** One transformer block's parameters, by their names under `h.{l}.` (HF layout). */
export const BLOCK_PARAMS = [
  'ln_1.weight', 'ln_1.bias', 'attn.c_attn.weight', 'attn.c_attn.bias', 'attn.c_proj.weight', 'attn.c_proj.bias',
  'ln_2.weight', 'ln_2.bias', 'mlp.c_fc.weight', 'mlp.c_fc.bias', 'mlp.c_proj.weight', 'mlp.c_proj.bias',
] as const;

/** Token embedding plus positions past..past+T-1, then embedding dropout: ids [B*T] -> [B*T, C]. */
export function embed(
  chunks: readonly VocabChunk[], wpe: tf.Tensor, ids: tf.Tensor1D,
  B: number, T: number, past: number, cfg: GPT2Config, dropout: Dropout,
): tf.Tensor2D {
  const C = cfg.n_embd;
  const tok = embeddingLookup(chunks as VocabChunk[], ids); // [B*T, C]
  const pos = tf.slice(wpe, [past, 0], [T, C]); // [T, C]
  const x = tf.reshape(tf.add(tf.reshape(tok, [B, T, C]), pos), [B * T, C]); // [B*T, C]
  return dropout(x, cfg.embd_pdrop) as tf.Tensor2D;
}

/**
 * One pre-LayerNorm transformer block (nanoGPT's Block): x + attn(ln_1(x)), then + mlp(ln_2(.)).
 * x [B*T, C] -> [B*T, C]; `w` in BLOCK_PARAMS order; `kv` appends to a KV cache.
 */
export function block(
  x: tf.Tensor2D, w: readonly tf.Tensor[], B: number, T: number, cfg: GPT2Config,
  mask: tf.Tensor2D | null, dropout: Dropout, kv?: Parameters<typeof selfAttention>[9],
): tf.Tensor2D {
  const [ln1w, ln1b, caw, cab, cpw, cpb, ln2w, ln2b, fcw, fcb, pw, pb] = w as tf.Tensor[];
  const eps = cfg.layer_norm_epsilon;
  const [m2, v1] = [(t: tf.Tensor) => t as tf.Tensor2D, (t: tf.Tensor) => t as tf.Tensor1D];
  const a = selfAttention(
    layerNorm(x, v1(ln1w), v1(ln1b), eps),
    { cAttnW: m2(caw), cAttnB: v1(cab), cProjW: m2(cpw), cProjB: v1(cpb) },
    B, T, cfg.n_head, mask, dropout, cfg.attn_pdrop, cfg.resid_pdrop, kv,
  );
  const h = tf.add(x, a) as tf.Tensor2D; // [B*T, C] residual
  const m = mlp(layerNorm(h, v1(ln2w), v1(ln2b), eps), m2(fcw), v1(fcb), m2(pw), v1(pb), cfg.activation_function, dropout, cfg.resid_pdrop);
  return tf.add(h, m) as tf.Tensor2D; // [B*T, C] residual
}

let instances = 0;

export class GPT2 {
  /** Trainable variables by HF name without prefix; wte is split into `wte.weight#i` when chunked. */
  readonly variables = new Map<string, tf.Variable>();
  /** Vocabulary chunks of the tied embedding/head, each a [Vc, C] variable under the buffer limit. */
  readonly vocabChunks: VocabChunk[] = [];
  readonly maxBufferBytes: number;
  /** The causal mask from position 0 of the last length T seen: training repeats one T every step. */
  private mask: { T: number; tensor: tf.Tensor2D } | null = null;
  private readonly id = ++instances;

  private constructor(
    readonly config: GPT2Config,
    opts: GPT2Options,
  ) {
    this.maxBufferBytes = opts.maxBufferBytes ?? defaultMaxBufferBytes();
  }

  /**
   * Builds a model from weights keyed by HF names, with or without `transformer.`;
   * attn.bias/masked_bias buffers are ignored and lm_head.weight (tied) is optional.
   */
  static fromWeights(config: GPT2Config, weights: Map<string, WeightTensor>, opts: GPT2Options = {}): GPT2 {
    const model = new GPT2(config, opts);
    const named = normalizeWeights(config, weights);
    try {
      model.build(named);
    } catch (e) {
      model.dispose(); // free what was uploaded before the failure
      throw e;
    }
    return model;
  }

  private build(named: Map<string, WeightTensor>): void {
    const { config } = this;
    const C = config.n_embd;
    for (const spec of paramTable(config)) {
      if (spec.name === 'wte.weight') continue;
      const w = named.get(spec.name)!;
      const bytes = w.data.length * 4;
      if (bytes > this.maxBufferBytes) {
        throw new Error(`"${spec.name}" (${bytes} bytes) exceeds this device's ${this.maxBufferBytes}-byte buffer limit`);
      }
      this.variables.set(spec.name, this.makeVariable(spec.name, w.data, spec.shape));
    }
    // The tied embedding/head, split into vocabulary chunks that each fit one buffer.
    const wte = named.get('wte.weight')!.data;
    const sizes = vocabChunkSizes(config.vocab_size, C, this.maxBufferBytes);
    let start = 0;
    for (const size of sizes) {
      const name = sizes.length === 1 ? 'wte.weight' : `wte.weight#${this.vocabChunks.length}`;
      const weight = this.makeVariable(name, wte.subarray(start * C, (start + size) * C), [size, C]); // [Vc, C]
      this.vocabChunks.push({ start, size, weight });
      this.variables.set(name, weight);
      start += size;
    }
  }

  private makeVariable(name: string, data: Float32Array, shape: number[]): tf.Variable {
    const t = tf.tensor(data, shape, 'float32');
    const v = tf.variable(t, true, `gpt2_${this.id}/${name}`);
    t.dispose();
    return v;
  }

  private w<R extends tf.Rank>(name: string): tf.Tensor<R> {
    const v = this.variables.get(name);
    if (!v) throw new Error(`GPT2: no parameter "${name}" (model disposed?)`);
    return v as unknown as tf.Tensor<R>;
  }

  /** Block l's parameters in BLOCK_PARAMS order. */
  blockWeights(l: number): tf.Variable[] {
    return BLOCK_PARAMS.map((p) => this.w(`h.${l}.${p}`) as unknown as tf.Variable);
  }

  /** A fresh KV cache for `batch` sequences. */
  newCache(batch: number): KVCache {
    return new GPT2KVCache(batch, this.config.n_layer, this);
  }

  /**
   * The transformer: ids [B, T] int32 -> hidden states after ln_f, [B*T, C].
   * With a cache, its keys/values grow by T and positions start at cache.length.
   */
  hidden(ids: tf.Tensor2D, opts: HiddenOptions = {}): tf.Tensor2D {
    const cfg = this.config;
    const [B, T] = ids.shape;
    const cache = opts.cache as GPT2KVCache | undefined;
    if (cache && (!(cache instanceof GPT2KVCache) || cache.owner !== this)) {
      throw new Error('GPT2.hidden: the KV cache belongs to another model');
    }
    if (cache && cache.batch !== B) throw new Error(`GPT2.hidden: cache is for batch ${cache.batch}, ids have ${B} rows`);
    const past = cache?.length ?? 0;
    if (past + T > cfg.n_positions) {
      throw new Error(`GPT2.hidden: ${past + T} positions exceed the model's n_positions (${cfg.n_positions})`);
    }
    const dropout = makeDropout(opts.training === true, opts.seed);
    const eps = cfg.layer_norm_epsilon;
    const out = tf.tidy(() => {
      // A lone new token (T == 1) may see every cached position: no mask needed.
      const mask = T === 1 ? null : past === 0 ? this.prefillMask(T) : causalMask(T, past); // [T, past+T]
      let x = embed(this.vocabChunks, this.w('wpe.weight'), tf.reshape(ids, [B * T]) as tf.Tensor1D, B, T, past, cfg, dropout);
      for (let l = 0; l < cfg.n_layer; l++) {
        x = block(x, this.blockWeights(l), B, T, cfg, mask, dropout, cache ? (k, v) => cache.append(l, k, v) : undefined);
      }
      return layerNorm(x, this.w('ln_f.weight'), this.w('ln_f.bias'), eps); // [B*T, C]
    });
    cache?.advance(T);
    return out;
  }

  /**
   * Causal mask for T positions from 0. Only the last length is kept: generation without a KV
   * cache asks for every T from the prompt's up, and keeping them all grew to T^3/3 floats
   * (1.4 GB by T = 1024).
   */
  private prefillMask(T: number): tf.Tensor2D {
    if (this.mask?.T !== T) {
      this.mask?.tensor.dispose();
      this.mask = { T, tensor: tf.keep(causalMask(T, 0)) };
    }
    return this.mask.tensor;
  }

  /** Logits of the tied head: h [N, C] -> [N, V], computed one vocabulary chunk at a time. */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    return headLogits(this.vocabChunks, h);
  }

  /**
   * Per-position cross-entropy of `targets` [N] under h [N, C] -> [N], never holding the
   * [N, V] logits at once. Differentiable; the trainer's loss is its mean.
   */
  tokenLosses(h: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
    return tokenCrossEntropy(this.vocabChunks, h, targets, this.maxBufferBytes);
  }

  /** All parameters as float32 by HF name without prefix (wte whole), in save_pretrained order. */
  async exportWeights(): Promise<Map<string, WeightTensor>> {
    const out = new Map<string, WeightTensor>();
    for (const spec of paramTable(this.config)) {
      if (spec.name === 'wte.weight') {
        const data = new Float32Array(this.config.vocab_size * this.config.n_embd);
        for (const c of this.vocabChunks) data.set(await c.weight.data<'float32'>(), c.start * this.config.n_embd); // sync point
        out.set(spec.name, { shape: spec.shape, data });
      } else {
        out.set(spec.name, { shape: spec.shape, data: (await this.w(spec.name).data<'float32'>()) as Float32Array }); // sync point
      }
    }
    return out;
  }

  /** Frees every variable; the model is unusable afterwards. */
  dispose(): void {
    for (const v of this.variables.values()) v.dispose();
    this.variables.clear();
    this.vocabChunks.length = 0;
    this.mask?.tensor.dispose();
    this.mask = null;
  }

  /** MLP hidden width, for callers estimating cost. */
  get innerSize(): number {
    return innerSize(this.config);
  }
}

/** Dropout that is the identity unless training; seeded per call site when a seed is given. */
function makeDropout(training: boolean, seed?: number): Dropout {
  if (!training) return (x) => x;
  let site = 0;
  return (x, rate) => {
    site++;
    if (rate <= 0) return x;
    return seededDropout(x, rate, seed === undefined ? undefined : seed * 1009 + site);
  };
}
