// Llama's WebGPU kernels (src/lib/webgpu/rmsnorm.ts, rope.ts, swiglu.ts) against their tfjs-ops
// twins on the cpu backend, value and every gradient, on odd shapes: rows narrower and wider
// than a workgroup and not a multiple of 4, one position (T = 1), the smallest head (hd = 2),
// and gates where exp(-gate) overflows. And the start-up self-check catches each of them wrong.
import { afterAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { rmsNorm, ropeTables } from '../../src/lib/model/llama/forward.ts';
import { gpuRmsNorm } from '../../src/lib/webgpu/rmsnorm.ts';
import { gpuRope } from '../../src/lib/webgpu/rope.ts';
import { gpuSiluMul } from '../../src/lib/webgpu/swiglu.ts';
import { elementwise, runProgram } from '../../src/lib/webgpu/programs.ts';
import { kernelEnabled, type KernelName } from '../../src/lib/webgpu/registry.ts';
import { runKernelSelfCheck } from '../../src/lib/webgpu/self-check.ts';

const available = await setupNodeWebGPU();

/** Deterministic values in [-scale, scale) + offset. */
function values(n: number, seed: number, scale = 1, offset = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = Math.sin((i + 1) * 12.9898 + seed * 78.233) * 43758.5453;
    out[i] = offset + scale * (2 * (s - Math.floor(s)) - 1);
  }
  return out;
}

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

type Fn = (...xs: tf.Tensor[]) => tf.Tensor;

/**
 * `f`'s value and its gradients for every input, of sum(f(...) * w) with w fixed, on `backend`;
 * `inputs` as [data, shape].
 */
async function valueAndGrads(backend: string, f: Fn, inputs: [Float32Array, number[]][]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const xs = inputs.map(([d, s]) => tf.tensor(d, s));
  const y = f(...xs);
  const w = tf.tensor(values(y.size, 99), y.shape);
  const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(f(...xs), w)))(xs);
  const out = await Promise.all([y, ...grads].map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...xs, y, w, ...grads]);
  return out;
}

/**
 * Every element within `rel` of the twin's, relative to the larger of |want| and the tensor's
 * mean |want|; below 1e-30 both count as 0 (silu(-90) is 0 on a GPU, a subnormal on the CPU).
 */
function expectClose(got: Float32Array, want: Float32Array, label: string, rel = 1e-5): void {
  expect(got.length, label).toBe(want.length);
  const mean = want.reduce((a, b) => a + Math.abs(b), 0) / want.length;
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(Math.abs(want[i]), mean, 1e-30 / rel));
  expect(worst, label).toBeLessThanOrEqual(rel);
}

/** The kernel on webgpu (it must run there) against the twin on cpu, value and gradients. */
async function expectTwins(kernel: (...xs: tf.Tensor[]) => tf.Tensor | null, twin: Fn, inputs: [Float32Array, number[]][], label: string): Promise<void> {
  const onGpu: Fn = (...xs) => {
    const y = kernel(...xs);
    if (y === null) throw new Error(`${label}: the kernel did not run on WebGPU`);
    return y;
  };
  const want = await valueAndGrads('cpu', twin, inputs);
  const got = await valueAndGrads('webgpu', onGpu, inputs);
  want.forEach((w, i) => expectClose(got[i], w, `${label} ${i === 0 ? 'value' : `d/dinput${i - 1}`}`));
}

/** A kernel that compiles and runs but returns its first input: a wrong result. */
const firstInput: tf.KernelFunc = ({ inputs, backend }) => {
  const x = Object.values(inputs)[0] as tf.TensorInfo;
  return runProgram(backend, { key: 'test_first_input', inputs: { X: x }, shape: x.shape, code: elementwise('setOutputAtIndex(index, X[index]);') });
};

/** A kernel that returns its first input's first row: a wrong dg of the right shape. */
const firstRow: tf.KernelFunc = ({ inputs, backend }) => {
  const x = Object.values(inputs)[0] as tf.TensorInfo;
  return runProgram(backend, { key: 'test_first_row', inputs: { X: x }, shape: [x.shape[1]], code: elementwise('setOutputAtIndex(index, X[index]);') });
};

/** Replaces our kernel `name` on the WebGPU backend; returns how to put it back. */
function replaceKernel(name: string, kernelFunc: tf.KernelFunc): () => void {
  const original = tf.getKernel(name, 'webgpu')!;
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc });
  return () => {
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel(original);
  };
}

const EPS = 1e-6;
const OURS: KernelName[] = ['rmsnorm', 'rope', 'swiglu'];
const ropeTwin = (cos: tf.Tensor, sin: tf.Tensor) => (x: tf.Tensor) => {
  const [x1, x2] = tf.split(x, 2, 3);
  return tf.add(tf.mul(x, cos), tf.mul(tf.concat([tf.neg(x2), x1], 3), sin));
};

describe.skipIf(!available)('Llama kernels on WebGPU vs their tfjs-ops twins', () => {
  afterAll(async () => {
    await tf.setBackend('webgpu');
    await runKernelSelfCheck(); // every kernel enabled again
  });
  it('RMSNorm: value, d/dx and d/dg (llama/forward.ts rmsNorm on both backends)', async () => {
    for (const [N, C] of [[1, 3], [3, 13], [1, 7], [2, 200], [4, 131], [37, 45]]) {
      const x = values(N * C, N + C, 3);
      const g = values(C, C, 0.5, 1);
      await expectTwins(
        (x, g) => gpuRmsNorm(x as tf.Tensor2D, g as tf.Tensor1D, EPS),
        (x, g) => rmsNorm(x as tf.Tensor2D, g as tf.Tensor1D, EPS),
        [[x, [N, C]], [g, [C]]],
        `rmsnorm [${N}, ${C}]`,
      );
    }
  });

  it('RoPE: value and d/dx with the model\'s tables and with arbitrary ones, T = 1 and hd = 2 included', async () => {
    for (const shape of [[1, 1, 1, 2], [1, 2, 1, 6], [2, 3, 5, 10], [1, 2, 7, 2], [2, 1, 3, 64]]) {
      const [, , T, hd] = shape;
      const x = values(size(shape), size(shape), 2);
      for (const arbitrary of [false, true]) {
        let cos: Float32Array, sin: Float32Array;
        if (arbitrary) [cos, sin] = [values(T * hd, 1), values(T * hd, 2)];
        else {
          await tf.setBackend('cpu');
          const tables = ropeTables(hd, 10_000, 37, T); // positions 37..37+T-1
          [cos, sin] = (await Promise.all(tables.map((t) => t.data()))) as Float32Array[];
          tf.dispose(tables);
        }
        // The tables are made on each backend inside the function, as constants.
        const withTables = (f: (x: tf.Tensor, c: tf.Tensor, s: tf.Tensor) => tf.Tensor | null) => (x: tf.Tensor) => {
          const [c, s] = [tf.tensor2d(cos, [T, hd]), tf.tensor2d(sin, [T, hd])];
          return f(x, c, s);
        };
        await expectTwins(
          withTables((x, c, s) => gpuRope(x as tf.Tensor4D, c as tf.Tensor2D, s as tf.Tensor2D)),
          withTables((x, c, s) => ropeTwin(c, s)(x)) as Fn,
          [[x, shape]],
          `rope [${shape}] ${arbitrary ? 'arbitrary' : 'model'} tables`,
        );
      }
    }
  });

  it('SiLU·up: value, d/dgate and d/dup, gates from -90 to 90', async () => {
    const edges = [-90, -30, -5, -1, -1e-3, 0, 1e-3, 1, 5, 30, 90];
    for (const shape of [[1, 1], [3, 13], [5, 37]]) {
      const gate = values(size(shape), 7, 8);
      gate.set(edges.slice(0, gate.length));
      await expectTwins(
        (g, u) => gpuSiluMul(g, u),
        (g, u) => tf.mul(tf.mul(g, tf.sigmoid(g)), u),
        [[gate, shape], [values(size(shape), 8, 2), shape]],
        `silu·up [${shape}]`,
      );
    }
  });

  it('each runs as one kernel forward on WebGPU, and not at all on cpu', async () => {
    await tf.setBackend('webgpu');
    const [x2, g, x4, t] = [tf.ones([2, 5]), tf.ones([5]), tf.ones([1, 2, 3, 4]), tf.ones([3, 4])];
    const names = async (f: () => tf.Tensor | null) => (await tf.profile(() => f()!)).kernels.map((k) => k.name);
    expect(await names(() => gpuRmsNorm(x2 as tf.Tensor2D, g as tf.Tensor1D, EPS))).toEqual(['TweetforgeRMSNorm']);
    expect(await names(() => gpuRope(x4 as tf.Tensor4D, t as tf.Tensor2D, t as tf.Tensor2D))).toEqual(['TweetforgeRope']);
    expect(await names(() => gpuSiluMul(x2, x2))).toEqual(['TweetforgeSiluMul']);
    tf.dispose([x2, g, x4, t]);
    await tf.setBackend('cpu');
    const [a, b, c] = [tf.ones([2, 5]), tf.ones([5]), tf.ones([1, 1, 1, 2])];
    expect([gpuRmsNorm(a as tf.Tensor2D, b as tf.Tensor1D, EPS), gpuRope(c as tf.Tensor4D, a as tf.Tensor2D, a as tf.Tensor2D), gpuSiluMul(a, a)]).toEqual([null, null, null]);
    tf.dispose([a, b, c]);
  });

  it('the self-check passes them, and disables each one whose forward or backward is wrong', async () => {
    await tf.setBackend('webgpu');
    const sound = await runKernelSelfCheck(); // also registers the kernels, so they can be replaced
    const reasons = (r: typeof sound) => OURS.map((n) => r.results.find((x) => x.name === n)!.reason);
    expect(reasons(sound)).toEqual([null, null, null]);
    for (const [kernels, want] of [
      [['TweetforgeRMSNorm', 'TweetforgeRope', 'TweetforgeSiluMul'], [/^forward differs/, /^forward differs/, /^forward differs/]],
      [['TweetforgeRMSNormGrad', 'TweetforgeRopeGrad', 'TweetforgeSiluMulGradUp'], [/^d\/dx differs/, /^backward differs/, /^d\/dup differs/]],
      [['TweetforgeRMSNormGradG', 'TweetforgeSiluMulGradGate'], [/^d\/dg differs/, null, /^d\/dgate differs/]],
    ] as [string[], (RegExp | null)[]][]) {
      const restores = kernels.map((k) => replaceKernel(k, k === 'TweetforgeRMSNormGradG' ? firstRow : firstInput));
      try {
        const got = reasons(await runKernelSelfCheck());
        want.forEach((w, i) => (w ? expect(got[i]).toMatch(w) : expect(got[i]).toBeNull()));
        expect(OURS.map(kernelEnabled)).toEqual(want.map((w) => w === null));
      } finally {
        restores.forEach((r) => r());
      }
    }
  });
});
