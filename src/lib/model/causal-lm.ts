// A causal language model of any family (family.ts) in TensorFlow.js: the family's pieces
// (embedding, blocks, final norm) run in order over its logical parameters (parameters.ts).
// The forward pass returns hidden states after the final norm; logits and losses come from the
// head's vocabulary table slice by slice (embedding.ts, loss.ts), so no tensor exceeds the
// GPU's storage-buffer limit.
import * as tf from '@tensorflow/tfjs';
import type { ModelDims, ModelFamily, Weights } from './family.ts';
import { disposeParameters, readParameter, uploadParameters, weightsView, type Parameter, type WeightTensor } from './parameters.ts';
import { headLogits } from './embedding.ts';
import { chunkedCrossEntropy, chunkedNll, LOSS_PIECE_ROWS } from './loss.ts';
import { causalMask } from './attention.ts';
import { LayerKVCache, type KVCache } from './cache.ts';
import { EMBED_PART, blockPart, partDropout } from './dropout.ts';
import { webgpuDevice } from '../webgpu/device.ts';

export type { KVCache } from './cache.ts';
export type { WeightTensor } from './parameters.ts';

export interface ModelOptions {
  /** Largest tensor allowed, in bytes. Default: the WebGPU device's limit, else unlimited. */
  maxBufferBytes?: number;
}

export interface HiddenOptions {
  /** Dropout is applied only when training. */
  training?: boolean;
  /** Appends this call's keys/values; positions continue from cache.length. */
  cache?: KVCache;
  /** Seeds dropout masks (dropout.ts), so a training step can be replayed exactly. */
  seed?: number;
}

/** The device's storage-buffer limit when the active backend is WebGPU, else Infinity. */
export function defaultMaxBufferBytes(): number {
  const device = webgpuDevice();
  if (!device) return Infinity;
  return Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize);
}

/**
 * Trainable additions beside a model's frozen weights (LoRA: lib/lora), read by the family's
 * pieces through Weights.adapter. Attached, they are all that training differentiates, updates
 * and checkpoints; generation reads them unmerged; export merges them into the weights.
 */
export interface AdapterSet {
  /** Their parameters, one slice each, by logical name. */
  readonly parameters: readonly Parameter[];
  /** The settings a checkpoint records (JSON), so a resumed run rebuilds the same adapters. */
  readonly record: Readonly<Record<string, unknown>>;
  /** The adapter parameters block l reads (adapters sit in blocks only). */
  blockParams(l: number): string[];
  /** `base` with the adapters' hook, reading them from `tensors` (by parameter name: variables, or tf.grads' inputs). */
  view(base: Weights, tensors: ReadonlyMap<string, tf.Tensor>): Weights;
  /** Base parameter `name`'s value with its adapter merged in, or null when none targets it. */
  merged(name: string, weight: tf.Tensor): tf.Tensor | null;
}

let instances = 0;

export class CausalLM<C = unknown> {
  /** Every parameter, in the family's table order. */
  readonly parameters: readonly Parameter[];
  readonly maxBufferBytes: number;
  readonly dims: ModelDims;
  private readonly byName: Map<string, Parameter>;
  /** The causal mask from position 0 of the last length T seen: training repeats one T every step. */
  private mask: { T: number; tensor: tf.Tensor2D } | null = null;
  private attached: AdapterSet | null = null;

  private constructor(
    readonly family: ModelFamily<C>,
    readonly config: C,
    parameters: Parameter[],
    maxBufferBytes: number,
  ) {
    this.parameters = parameters;
    this.byName = new Map(parameters.map((p) => [p.name, p]));
    this.maxBufferBytes = maxBufferBytes;
    this.dims = family.dims(config);
  }

  /** Builds a model from checkpoint tensors by Hugging Face name (the family maps and checks them). */
  static fromWeights<C>(family: ModelFamily<C>, config: C, weights: Map<string, WeightTensor>, opts: ModelOptions = {}): CausalLM<C> {
    const maxBufferBytes = opts.maxBufferBytes ?? defaultMaxBufferBytes();
    const named = family.fromHF(config, weights);
    const params = uploadParameters(family.paramTable(config), named, maxBufferBytes, `${family.modelType}_${++instances}`);
    return new CausalLM(family, config, params, maxBufferBytes);
  }

  /** One logical parameter. */
  parameter(name: string): Parameter {
    const p = this.byName.get(name);
    if (!p) throw new Error(`model: no parameter "${name}" (model disposed?)`);
    return p;
  }

  /** The adapters attached (LoRA), or null: the model trains whole. */
  get adapters(): AdapterSet | null {
    return this.attached;
  }

  /**
   * Attaches adapters (null detaches them; the caller owns and frees them). From then on the
   * forward pass reads them, training differentiates and updates them only, export merges them.
   * Attach before making a Trainer: its optimizer takes the trainable parameters once.
   */
  setAdapters(adapters: AdapterSet | null): void {
    this.attached = adapters;
  }

  /** What training updates and a checkpoint holds: the adapters' parameters when attached, else every parameter. */
  trainable(): readonly Parameter[] {
    return this.attached?.parameters ?? this.parameters;
  }

  /** The base parameters as the family's pieces read them, without adapters. */
  baseWeights(): Weights {
    return weightsView(new Map(this.parameters.map((p) => [p.name, p.slices])));
  }

  /** The parameters as the family's pieces read them, adapters included when attached. */
  weights(): Weights {
    const base = this.baseWeights();
    const a = this.attached;
    return a ? a.view(base, new Map(a.parameters.map((p) => [p.name, p.slices[0]]))) : base;
  }

  /** A fresh KV cache for `batch` sequences. */
  newCache(batch: number): KVCache {
    return new LayerKVCache(batch, this.dims.layers, this);
  }

  /**
   * The transformer: ids [B, T] int32 -> hidden states after the final norm, [B*T, C].
   * With a cache, its keys/values grow by T and positions start at cache.length.
   */
  hidden(ids: tf.Tensor2D, opts: HiddenOptions = {}): tf.Tensor2D {
    const { family, config } = this;
    const [B, T] = ids.shape;
    const cache = opts.cache as LayerKVCache | undefined;
    if (cache && (!(cache instanceof LayerKVCache) || cache.owner !== this)) {
      throw new Error('model.hidden: the KV cache belongs to another model');
    }
    if (cache && cache.batch !== B) throw new Error(`model.hidden: cache is for batch ${cache.batch}, ids have ${B} rows`);
    const past = cache?.length ?? 0;
    if (past + T > this.dims.positions) {
      throw new Error(`model.hidden: ${past + T} positions exceed the model's context (${this.dims.positions} positions)`);
    }
    const training = opts.training === true;
    const span = { B, T, past };
    const w = this.weights();
    const out = tf.tidy(() => {
      // A lone new token (T == 1) may see every cached position: no mask needed.
      const mask = T === 1 ? null : past === 0 ? this.prefillMask(T) : causalMask(T, past); // [T, past+T]
      const flat = tf.reshape(ids, [B * T]) as tf.Tensor1D;
      let x = family.embed(config, w, flat, span, partDropout(training, opts.seed, EMBED_PART));
      for (let l = 0; l < this.dims.layers; l++) {
        const kv = cache ? (k: tf.Tensor4D, v: tf.Tensor4D) => cache.append(l, k, v) : undefined;
        x = family.block(config, l, x, w, span, mask, partDropout(training, opts.seed, blockPart(l)), kv);
      }
      return family.final(config, x, w); // [B*T, C]
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

  /** Logits of the head: h [N, C] -> [N, V], computed one vocabulary slice at a time. */
  logits(h: tf.Tensor2D): tf.Tensor2D {
    return headLogits(this.weights().rows(this.family.headTable(this.config)), h);
  }

  /** Per-position cross-entropy of `targets` [N] under h [N, C] -> [N], never holding [N, V] (scoring, evaluation). */
  tokenLosses(h: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
    return chunkedNll(h, this.weights().rows(this.family.headTable(this.config)), targets);
  }

  /**
   * Mean cross-entropy of `targets` under h (training's loss), differentiable in h and, unless
   * adapters are attached (the head is then frozen), in the head.
   */
  meanLoss(h: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
    return chunkedCrossEntropy(h, this.weights().rows(this.family.headTable(this.config)), targets, LOSS_PIECE_ROWS, this.attached !== null);
  }

  /**
   * Every parameter as float32 by logical name, whole, in table order (a GPU read-back), with
   * the attached adapters merged in (W + scaling BA): the weights of a plain model.
   */
  async exportWeights(): Promise<Map<string, WeightTensor>> {
    const out = new Map<string, WeightTensor>();
    for (const p of this.parameters) {
      const merged = this.attached && p.slices.length === 1 ? this.attached.merged(p.name, p.slices[0]) : null;
      const data = merged ? ((await merged.data()) as Float32Array) : await readParameter(p); // sync point
      merged?.dispose();
      out.set(p.name, { shape: p.shape.slice(), data });
    }
    return out;
  }

  /** Frees every variable; the model is unusable afterwards. */
  dispose(): void {
    disposeParameters(this.parameters);
    this.byName.clear();
    this.mask?.tensor.dispose();
    this.mask = null;
  }
}
