// AdamW as PyTorch's torch.optim.AdamW computes it (decoupled weight decay, bias-corrected
// moments), and global-norm gradient clipping as torch.nn.utils.clip_grad_norm_ does.
// Everything stays on the device: no value is read back to JavaScript here.
import * as tf from '@tensorflow/tfjs';
import { GROUPS, webgpuAdamW } from '../webgpu/adamw.ts';

export interface AdamWOptions {
  beta1: number; // 0.9
  beta2: number; // 0.999
  eps: number; // 1e-8
  weightDecay: number; // 0: Hugging Face Trainer's default
}

export const ADAMW_DEFAULTS: AdamWOptions = { beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 };

export interface Param {
  key: string; // names the tensor within a run (its variable's name); checkpoints store logical parameters
  variable: tf.Variable;
  decay: boolean; // weights with 2 or more dimensions decay; biases and norms don't
}

/**
 * Global-norm clipping as torch.nn.utils.clip_grad_norm_: the L2 norm of all gradients and the
 * factor min(1, maxNorm / (norm + 1e-6)) to multiply them by. Both are device scalars; AdamW
 * applies the factor per parameter, so no second full set of gradients is ever made.
 */
export function clipCoefficient(grads: tf.Tensor[], maxNorm: number): { norm: tf.Scalar; coef: tf.Scalar } {
  return tf.tidy(() => {
    const fused = webgpuAdamW();
    // Each square in its own tidy: one parameter-sized temporary at a time, not a second gradient set.
    const sumSq = fused
      ? tf.sum(grads.reduce<tf.Tensor1D>((partials, g) => fused.addSumOfSquares(partials, g), tf.fill([GROUPS], 0) as tf.Tensor1D))
      : sumAll(grads.map((g) => tf.tidy(() => tf.sum(tf.square(g)))));
    const norm = tf.sqrt(sumSq) as tf.Scalar;
    const coef = tf.minimum(tf.div(maxNorm, tf.add(norm, 1e-6)), 1) as tf.Scalar;
    return { norm, coef };
  });
}

/**
 * Sum of many scalars by pairwise adds. Not tf.addN: tfjs' WebGPU AddN with more inputs than
 * a shader may bind storage buffers silently returns 0 (seen with 30 inputs on Dawn).
 */
function sumAll(xs: tf.Tensor[]): tf.Tensor {
  let level = xs;
  while (level.length > 1) {
    const next: tf.Tensor[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(i + 1 < level.length ? tf.add(level[i], level[i + 1]) : level[i]);
    level = next;
  }
  return level[0];
}

/** variable <- f(), freeing f's temporaries and its result tensor (the variable keeps the data). */
function assignFrom(variable: tf.Variable, f: () => tf.Tensor): void {
  const value = tf.tidy(f);
  variable.assign(value);
  value.dispose();
}

export class AdamW {
  readonly opts: AdamWOptions;
  /** Optimizer steps taken so far (the bias correction uses step + 1 for the next one). */
  step = 0;
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();

  constructor(readonly params: Param[], opts: Partial<AdamWOptions> = {}) {
    this.opts = { ...ADAMW_DEFAULTS, ...opts };
    // tf.variable keeps its own reference: free the zeros tensor, or tfjs counts its bytes twice.
    const zeroVariable = (like: tf.Tensor) => {
      const z = tf.zerosLike(like);
      const v = tf.variable(z, false);
      z.dispose();
      return v;
    };
    for (const p of params) {
      this.m.set(p.key, zeroVariable(p.variable));
      this.v.set(p.key, zeroVariable(p.variable));
    }
  }

  /**
   * One update with learning rate lr; grads keyed like params, multiplied by `opts.scale` (the
   * clipping factor) first. With `opts.consume`, each gradient is disposed as soon as its
   * parameter is updated, so gradients and update temporaries never peak together.
   */
  apply(grads: Map<string, tf.Tensor>, lr: number, opts: { scale?: tf.Scalar; consume?: boolean } = {}): void {
    const { beta1, beta2, eps, weightDecay } = this.opts;
    this.step++;
    const bc1 = 1 - beta1 ** this.step;
    const rootBc2 = Math.sqrt(1 - beta2 ** this.step);
    // PyTorch:  m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  g = s * raw (s: the clipping factor)
    //           p *= 1 - lr wd;  p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps)
    // The same with the scalars folded together, so that a parameter takes 12 elementwise
    // passes over its size instead of 14 (the update is bound by memory traffic):
    //           m = b1 m + ((1 - b1) s) raw;  v = b2 v + ((1 - b2) s^2) raw^2
    //           p -= ((lr sqrt(bc2) / bc1) m) / (sqrt(v) + eps sqrt(bc2))
    const k = { gm: 1 - beta1, gv: 1 - beta2, epsTerm: eps * rootBc2, lrTerm: (lr * rootBc2) / bc1, decay: 1 - lr * weightDecay };
    // The clipping factor stays on the device: it is folded into the moments' weights there.
    const gm = (opts.scale ? tf.mul(opts.scale, k.gm) : tf.scalar(k.gm)) as tf.Scalar;
    const gv = (opts.scale ? tf.tidy(() => tf.mul(tf.square(opts.scale!), k.gv)) : tf.scalar(k.gv)) as tf.Scalar;
    const fused = webgpuAdamW();
    // The tfjs path's scalars as tensors, made once: a plain number becomes a new tensor in every
    // op that takes it, and on WebGPU each is a buffer created and uploaded (~90 params x 4).
    const t = fused ? null : { b1: tf.scalar(beta1), b2: tf.scalar(beta2), epsTerm: tf.scalar(k.epsTerm), lrTerm: tf.scalar(k.lrTerm), decay: tf.scalar(k.decay) };
    for (const p of this.params) {
      const raw = grads.get(p.key);
      if (!raw) throw new Error(`AdamW: no gradient for ${p.key}`);
      const m = this.m.get(p.key)!;
      const v = this.v.get(p.key)!;
      const decays = p.decay && weightDecay > 0;
      if (fused) {
        // One kernel per line (WebGPU): the same arithmetic in 3 dispatches instead of 12.
        assignFrom(m, () => fused.moment(m, raw, gm, beta1, false));
        assignFrom(v, () => fused.moment(v, raw, gv, beta2, true));
        if (opts.consume) raw.dispose();
        assignFrom(p.variable, () => fused.param(p.variable, m, v, decays ? k.decay : 1, k.lrTerm, k.epsTerm));
        continue;
      }
      // Each line in its own tidy so at most ~3 parameter-sized temporaries live at once: for
      // distilgpt2's embedding one big tidy would hold eight of them.
      assignFrom(m, () => tf.add(tf.mul(m, t!.b1), tf.mul(raw, gm)));
      assignFrom(v, () => tf.add(tf.mul(v, t!.b2), tf.mul(tf.square(raw), gv)));
      if (opts.consume) raw.dispose();
      const denom = tf.tidy(() => tf.add(tf.sqrt(v), t!.epsTerm));
      const update = tf.tidy(() => tf.div(tf.mul(m, t!.lrTerm), denom));
      denom.dispose();
      assignFrom(p.variable, () => tf.sub(decays ? tf.mul(p.variable, t!.decay) : p.variable, update));
      update.dispose();
    }
    tf.dispose([gm, gv, ...(t ? Object.values(t) : [])]);
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
    this.m.clear();
    this.v.clear();
  }
}
