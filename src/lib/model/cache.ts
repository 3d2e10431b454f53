// The key/value cache for generation: each layer's keys and values of every position seen
// so far, so a new token attends to them without recomputing the whole prefix.
import * as tf from '@tensorflow/tfjs';

export interface KVCache {
  /** Positions already cached; the next token's position. */
  readonly length: number;
  dispose(): void;
}

/** One layer's cached keys and values, each [B, nh, length, hs]. */
export interface LayerKV {
  k: tf.Tensor4D;
  v: tf.Tensor4D;
}

export class LayerKVCache implements KVCache {
  /** Per layer; null until the first forward pass fills it. */
  readonly layers: (LayerKV | null)[];
  private len = 0;
  private disposed = false;

  constructor(
    readonly batch: number,
    nLayer: number,
    /** The model that made it: a cache only fits the model whose K/V it holds. */
    readonly owner: object,
  ) {
    this.layers = new Array<LayerKV | null>(nLayer).fill(null);
  }

  get length(): number {
    return this.len;
  }

  /** Appends k, v [B, nh, T, hs] to layer `l`; returns the full [B, nh, length+T, hs] pair (kept). */
  append(l: number, k: tf.Tensor4D, v: tf.Tensor4D): LayerKV {
    if (this.disposed) throw new Error('KV cache used after dispose()');
    const prev = this.layers[l];
    const next: LayerKV = prev
      ? { k: tf.keep(tf.concat([prev.k, k], 2)), v: tf.keep(tf.concat([prev.v, v], 2)) }
      : { k: tf.keep(k.clone()), v: tf.keep(v.clone()) };
    if (prev) {
      prev.k.dispose();
      prev.v.dispose();
    }
    this.layers[l] = next;
    return next;
  }

  /** Called once every layer has appended T positions. */
  advance(T: number): void {
    this.len += T;
  }

  dispose(): void {
    for (const kv of this.layers) {
      kv?.k.dispose();
      kv?.v.dispose();
    }
    this.layers.fill(null);
    this.disposed = true;
  }
}
