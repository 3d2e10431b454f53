// Each of our WebGPU kernels beside its tfjs-ops twin, on tiny deterministic inputs: forward,
// and backward where the kernel has one (through tf.grads, so the registered gradients run).
// The twins are the textbook formulas in tfjs ops, written here rather than imported from the
// model and training code, which sit above this folder. Shapes are picked to reach each
// kernel's loops and edges (a row wider than a workgroup, ids in every vocabulary chunk, more
// than one workgroup of partial sums) at a cost of tens of milliseconds on a GPU.
import * as tf from '@tensorflow/tfjs';
import type { KernelName } from './registry.ts';
import { gpuLayerNorm } from './layernorm.ts';
import { gpuGeluNew } from './gelu.ts';
import { gpuChunkedLookup } from './embedding.ts';
import { gpuDropout } from './dropout.ts';
import { webgpuLoss } from './loss.ts';
import { GROUPS, webgpuAdamW } from './adamw.ts';
import { gpuRmsNorm } from './rmsnorm.ts';
import { gpuRope } from './rope.ts';
import { gpuSiluMul } from './swiglu.ts';

export interface SelfCheck {
  name: KernelName;
  /** null when the kernel agrees with its twin; else what differs. */
  check: () => Promise<string | null>;
}

/** Deterministic values in [-scale, scale) + offset, different for each seed. */
function det(shape: number[], seed: number, scale = 1, offset = 0): tf.Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    out[i] = offset + scale * (2 * (s - Math.floor(s)) - 1);
  }
  return tf.tensor(out, shape);
}

/** A kernel's result; an exception when the kernel module declined to run (it should not here). */
function ran<T>(t: T | null, what: string): T {
  if (t === null) throw new Error(`${what} did not run on WebGPU`);
  return t;
}

type Pairs = Record<string, [tf.Tensor, tf.Tensor]>;

/**
 * The first pair whose kernel side (first) differs from its twin (second) beyond
 * |a - b| <= atol + rtol |b|, or has another shape, or a NaN; null when all agree.
 * Disposes every tensor in `pairs`.
 */
async function compare(pairs: Pairs, atol = 1e-4, rtol = 1e-3): Promise<string | null> {
  try {
    for (const [label, [got, want]] of Object.entries(pairs)) {
      if (got.shape.join() !== want.shape.join()) return `${label}: shape [${got.shape}] instead of [${want.shape}]`;
      const [a, b] = await Promise.all([got.data(), want.data()]);
      for (let i = 0; i < b.length; i++) {
        if (!(Math.abs(a[i] - b[i]) <= atol + rtol * Math.abs(b[i]))) return `${label} differs from tfjs ops at element ${i}: ${a[i]} instead of ${b[i]}`;
      }
    }
    return null;
  } finally {
    tf.dispose(Object.values(pairs).flat());
  }
}

async function layernorm(): Promise<string | null> {
  const eps = 1e-5;
  return compare(
    tf.tidy((): Pairs => {
      // 200 columns: each of the 128 lanes of a row's workgroup loops once or twice.
      const [x, g, b, w] = [det([3, 200], 1, 2), det([200], 2, 0.2, 1), det([200], 3, 0.1), det([3, 200], 4)];
      const kernel = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => ran(gpuLayerNorm(x as tf.Tensor2D, g as tf.Tensor1D, b as tf.Tensor1D, eps), 'layernorm');
      const twin = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => {
        const { mean, variance } = tf.moments(x, 1, true);
        return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, eps))), g), b);
      };
      const grads = (f: typeof twin) => tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) => tf.sum(tf.mul(f(x, g, b), w)))([x, g, b]);
      const [k, t] = [grads(kernel), grads(twin)];
      return { forward: [kernel(x, g, b), twin(x, g, b)], 'd/dx': [k[0], t[0]], 'd/dg': [k[1], t[1]], 'd/db': [k[2], t[2]] };
    }),
  );
}

async function geluNew(): Promise<string | null> {
  const xs = [-60, -20, -6, -3.2, -1, -0.5, -1e-3, 0, 1e-3, 0.3, 0.7, 1, 2.5, 5, 20, 60];
  for (let i = 0; i < 48; i++) xs.push(-8 + (16 * i) / 47);
  return compare(
    tf.tidy((): Pairs => {
      const [x, w] = [tf.tensor1d(xs), det([xs.length], 5)];
      const kernel = (x: tf.Tensor) => ran(gpuGeluNew(x), 'gelu_new');
      const twin = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), Math.sqrt(2 / Math.PI))), 1));
      const grad = (f: typeof twin) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), w)))(x);
      return { forward: [kernel(x), twin(x)], backward: [grad(kernel), grad(twin)] };
    }),
  );
}

async function embedding(): Promise<string | null> {
  const [sizes, starts] = [[4, 4, 3], [0, 4, 8]]; // a vocabulary of 11 in three chunks
  return compare(
    tf.tidy((): Pairs => {
      const ws = sizes.map((size, i) => det([size, 8], 10 + i));
      const ids = tf.tensor1d([0, 3, 4, 10, 7, 4, 1, 8, 4], 'int32'); // every chunk, an id thrice
      const w = det([ids.size, 8], 6);
      const kernel = (...ws: tf.Tensor[]) => {
        const chunks = ws.map((weight, i) => ({ start: starts[i], size: sizes[i], weight }));
        return ran(gpuChunkedLookup(chunks, ids), 'embedding');
      };
      const twin = (...ws: tf.Tensor[]) => tf.gather(tf.concat(ws, 0), ids);
      const grads = (f: typeof twin) => tf.grads((...ws: tf.Tensor[]) => tf.sum(tf.mul(f(...ws), w)))(ws);
      const [k, t] = [grads(kernel), grads(twin)];
      return { forward: [kernel(...ws), twin(...ws)], ...Object.fromEntries(k.map((g, i) => [`d/dchunk${i}`, [g, t[i]]])) };
    }),
  );
}

/**
 * Why three masks drawn at `rate` are not a fair, seeded mask (a 0 is a drop): `a` and `again`
 * from one seed must match, `a` must drop about `rate` of the elements, and `other` (another
 * seed) must disagree with `a` as often as two independent masks do. Bounds of 10 standard
 * deviations: a fair mask practically never fails them, a broken hash (all kept, all dropped, the seed
 * ignored) always does.
 */
function maskProblem(a: ArrayLike<number>, again: ArrayLike<number>, other: ArrayLike<number>, rate: number): string | null {
  const n = a.length;
  let dropped = 0;
  let differ = 0;
  for (let i = 0; i < n; i++) {
    if (a[i] !== again[i]) return `the same seed gave another mask at element ${i}`;
    if (a[i] === 0) dropped++;
    if ((a[i] === 0) !== (other[i] === 0)) differ++;
  }
  if (Math.abs(dropped / n - rate) > 10 * Math.sqrt((rate * (1 - rate)) / n)) return `dropped ${dropped} of ${n} elements at rate ${rate}`;
  const pDiffer = 2 * rate * (1 - rate);
  if (Math.abs(differ / n - pDiffer) > 10 * Math.sqrt((pDiffer * (1 - pDiffer)) / n)) return `another seed changed ${differ} of ${n} keep/drop decisions`;
  return null;
}

/**
 * Dropout draws its mask in the shader, so its twin cannot draw the same one: the check is the
 * mask's statistics and determinism, then tfjs ops with the same keep mask (x * keep / (1 - rate),
 * as tf.dropout computes it) forward and backward.
 */
async function dropout(): Promise<string | null> {
  const rate = 0.25;
  const drop = (t: tf.Tensor, seed: number) => ran(gpuDropout(t, rate, seed), 'dropout');
  const [x, w] = [det([64, 64], 7, 1, 2), det([64, 64], 8)]; // x in [1, 3): a 0 out is a drop
  const masks = tf.tidy(() => [drop(x, 1234), drop(x, 1234), drop(x, 1235)]);
  try {
    const [a, again, other] = await Promise.all(masks.map((t) => t.data()));
    const problem = maskProblem(a, again, other, rate);
    if (problem) return problem;
    const pairs = tf.tidy((): Pairs => {
      const keep = tf.cast(tf.notEqual(masks[0], 0), 'float32');
      const twin = (t: tf.Tensor) => tf.mul(t, tf.div(keep, 1 - rate));
      const grad = (f: (t: tf.Tensor) => tf.Tensor) => tf.grad((t: tf.Tensor) => tf.sum(tf.mul(f(t), w)))(x);
      return { forward: [tf.clone(masks[0]), twin(x)], backward: [grad((t) => drop(t, 1234)), grad(twin)] };
    });
    return await compare(pairs, 1e-6, 1e-6);
  } finally {
    tf.dispose([x, w, ...masks]);
  }
}

async function crossEntropy(): Promise<string | null> {
  const [V1, V2, N] = [5, 4, 20]; // two pieces of one vocabulary of 9; 20 positions: two workgroups
  return compare(
    tf.tidy((): Pairs => {
      const fused = ran(webgpuLoss(), 'cross_entropy');
      const [l1, l2] = [det([V1, N], 9, 4) as tf.Tensor2D, det([V2, N], 10, 4) as tf.Tensor2D]; // transposed logits [V, N]
      const targets = tf.tensor1d(Array.from({ length: N }, (_, n) => (n * 7) % (V1 + V2)), 'int32');
      const stats = fused.pieceStats(fused.pieceStats(null, l1, targets, 0), l2, targets, V1); // [N, 2]
      const full = tf.concat([l1, l2], 0); // [V, N]
      const lse = tf.logSumExp(full, 0) as tf.Tensor1D;
      const oneHot = tf.transpose(tf.oneHot(targets, V1 + V2)); // [V, N]
      const scale = tf.scalar(0.25);
      const twinGrad = tf.mul(tf.sub(tf.exp(tf.sub(l2, lse)), tf.slice(oneHot, [V1, 0], [V2, N])), scale);
      return {
        'log-sum-exp': [tf.slice(stats, [0, 0], [N, 1]).reshape([N]), lse],
        'target logit': [tf.slice(stats, [0, 1], [N, 1]).reshape([N]), tf.sum(tf.mul(full, oneHot), 0)],
        gradient: [fused.pieceGrad(l2, lse, targets, V1, scale), twinGrad],
      };
    }),
  );
}

/** One AdamW step (moments, then the parameter) and the gradient norm's sum of squares. */
async function adamw(): Promise<string | null> {
  const [beta1, beta2, lrTerm, epsTerm, decay] = [0.9, 0.999, 1e-3, 1e-8, 1 - 1e-5];
  return compare(
    tf.tidy((): Pairs => {
      const fused = ran(webgpuAdamW(), 'adamw');
      const [p, m, g] = [det([40, 7], 11), det([40, 7], 12, 0.1), det([40, 7], 13)];
      const v = tf.square(det([40, 7], 14, 0.1));
      const big = det([20_000], 15); // more than one workgroup of the sum of squares
      const s = tf.scalar(0.7); // a clipping factor
      const [gm, gv] = [tf.mul(s, 1 - beta1) as tf.Scalar, tf.mul(tf.square(s), 1 - beta2) as tf.Scalar];
      const [m1, v1] = [fused.moment(m, g, gm, beta1, false), fused.moment(v, g, gv, beta2, true)];
      const [m1t, v1t] = [tf.add(tf.mul(m, beta1), tf.mul(g, gm)), tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), gv))];
      const partials = [g, big].reduce<tf.Tensor1D>((acc, t) => fused.addSumOfSquares(acc, t), tf.zeros([GROUPS]) as tf.Tensor1D);
      return {
        'first moment': [m1, m1t],
        'second moment': [v1, v1t],
        parameter: [fused.param(p, m1, v1, decay, lrTerm, epsTerm), tf.sub(tf.mul(p, decay), tf.div(tf.mul(m1t, lrTerm), tf.add(tf.sqrt(v1t), epsTerm)))],
        'sum of squares': [tf.sum(partials), tf.add(tf.sum(tf.square(g)), tf.sum(tf.square(big)))],
      };
    }),
  );
}

async function rmsnorm(): Promise<string | null> {
  const eps = 1e-6;
  return compare(
    tf.tidy((): Pairs => {
      // 200 columns: each of the 128 lanes of a row's workgroup loops once or twice; 19 rows:
      // dg's 16 lanes down a column loop once or twice, and its last workgroup is 8 columns short.
      const [x, g, w] = [det([19, 200], 16, 2), det([200], 17, 0.2, 1), det([19, 200], 18)];
      const kernel = (x: tf.Tensor, g: tf.Tensor) => ran(gpuRmsNorm(x as tf.Tensor2D, g as tf.Tensor1D, eps), 'rmsnorm');
      const twin = (x: tf.Tensor, g: tf.Tensor) => tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), g);
      const grads = (f: typeof twin) => tf.grads((x: tf.Tensor, g: tf.Tensor) => tf.sum(tf.mul(f(x, g), w)))([x, g]);
      const [k, t] = [grads(kernel), grads(twin)];
      return { forward: [kernel(x, g), twin(x, g)], 'd/dx': [k[0], t[0]], 'd/dg': [k[1], t[1]] };
    }),
  );
}

async function rope(): Promise<string | null> {
  const [B, n, T, hd] = [2, 3, 5, 6]; // half a head of 3: odd
  return compare(
    tf.tidy((): Pairs => {
      // Tables of any values: the kernel must not lean on cos and sin repeating across the halves.
      const [x, cos, sin, w] = [det([B, n, T, hd], 19), det([T, hd], 20), det([T, hd], 21), det([B, n, T, hd], 22)];
      const kernel = (x: tf.Tensor) => ran(gpuRope(x as tf.Tensor4D, cos as tf.Tensor2D, sin as tf.Tensor2D), 'rope');
      const twin = (x: tf.Tensor) => {
        const [x1, x2] = tf.split(x, 2, 3);
        return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
      };
      const grad = (f: typeof twin) => tf.grad((x: tf.Tensor) => tf.sum(tf.mul(f(x), w)))(x);
      return { forward: [kernel(x), twin(x)], backward: [grad(kernel), grad(twin)] };
    }),
  );
}

async function swiglu(): Promise<string | null> {
  const edges = [-90, -30, -5, -1, 0, 1, 5, 30, 90]; // exp(-gate) overflows at the far left
  return compare(
    tf.tidy((): Pairs => {
      const gate = tf.concat([tf.tensor1d(edges), det([55], 23, 6)]).reshape([8, 8]);
      const [up, w] = [det([8, 8], 24, 2), det([8, 8], 25)];
      const kernel = (g: tf.Tensor, u: tf.Tensor) => ran(gpuSiluMul(g, u), 'swiglu');
      const twin = (g: tf.Tensor, u: tf.Tensor) => tf.mul(tf.mul(g, tf.sigmoid(g)), u);
      const grads = (f: typeof twin) => tf.grads((g: tf.Tensor, u: tf.Tensor) => tf.sum(tf.mul(f(g, u), w)))([gate, up]);
      const [k, t] = [grads(kernel), grads(twin)];
      return { forward: [kernel(gate, up), twin(gate, up)], 'd/dgate': [k[0], t[0]], 'd/dup': [k[1], t[1]] };
    }),
  );
}

export const SELF_CHECKS: SelfCheck[] = [
  { name: 'layernorm', check: layernorm },
  { name: 'gelu_new', check: geluNew },
  { name: 'embedding', check: embedding },
  { name: 'dropout', check: dropout },
  { name: 'cross_entropy', check: crossEntropy },
  { name: 'adamw', check: adamw },
  { name: 'rmsnorm', check: rmsnorm },
  { name: 'rope', check: rope },
  { name: 'swiglu', check: swiglu },
];
