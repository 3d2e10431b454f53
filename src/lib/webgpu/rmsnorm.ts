// Llama's RMSNorm as WebGPU kernels of our own: one dispatch forward where tfjs ops take five
// (square, mean, eps, rsqrt, two scales), and two backward (dx, and the normalised input for dg)
// where autodiff takes a dozen, the mean's gradient uploading a tensor of ones. A Llama block
// runs two per forward pass, and a training step with blocks recomputed runs the forward twice.
// One workgroup per row: the row's mean square by a tree in workgroup memory, in float32.
import * as tf from '@tensorflow/tfjs';
import { laneReduction, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const FORWARD = 'TweetforgeRMSNorm';
const NORMALIZED = 'TweetforgeRMSNormXhat';
const BACKWARD = 'TweetforgeRMSNormGrad';
const LANES = 128;

// 1 / sqrt(mean(x^2) + eps) of the row of X [N, C] that starts at `base`.
const ROW_RSTD = `${laneReduction('sumLanes', LANES, 'f32', 'sum')}
  fn rowRstd(base : i32, lane : i32) -> f32 {
    var q = 0.0;
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      let v = X[base + j];
      q = q + v * v;
    }
    return inverseSqrt(sumLanes(lane, q) / f32(uniforms.C) + uniforms.eps);
  }`;

// y = x rstd (* g when scaled)
const normCode = (scaled: boolean) => `${ROW_RSTD}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let base = row * uniforms.C;
    let r = rowRstd(base, lane);
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      setOutputAtIndex(base + j, ${scaled ? 'X[base + j] * r * G[j]' : 'X[base + j] * r'});
    }
  }`;

// dx = rstd (dxhat - xhat mean(dxhat xhat)), dxhat = dy g, xhat = x rstd
const GRAD_CODE = `${ROW_RSTD}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let base = row * uniforms.C;
    let r = rowRstd(base, lane);
    var a = 0.0;
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      a = a + DY[base + j] * G[j] * X[base + j] * r;
    }
    let m = sumLanes(lane, a) / f32(uniforms.C);
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      setOutputAtIndex(base + j, r * (DY[base + j] * G[j] - X[base + j] * r * m));
    }
  }`;

function rowProgram(backend: unknown, key: string, inputs: Record<string, tf.TensorInfo>, x: tf.TensorInfo, eps: number, code: string): tf.TensorInfo {
  const [N, C] = x.shape;
  return runProgram(backend, {
    key,
    inputs,
    shape: x.shape,
    uniforms: [
      { name: 'C', type: 'i32', value: C },
      { name: 'eps', type: 'f32', value: eps },
    ],
    code,
    workgroupSize: LANES,
    workgroups: N,
  });
}

const ready = webgpuKernels('rmsnorm', () => {
  registerWebGPUKernel(FORWARD, ({ inputs, attrs, backend }) => {
    const { x, g } = inputs as Record<'x' | 'g', tf.TensorInfo>;
    return rowProgram(backend, 'rmsnorm', { X: x, G: g }, x, (attrs as { eps: number }).eps, normCode(true));
  });
  registerWebGPUKernel(NORMALIZED, ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    return rowProgram(backend, 'rmsnorm_xhat', { X: x }, x, (attrs as { eps: number }).eps, normCode(false));
  });
  registerWebGPUKernel(BACKWARD, ({ inputs, attrs, backend }) => {
    const { dy, x, g } = inputs as Record<'dy' | 'x' | 'g', tf.TensorInfo>;
    return rowProgram(backend, 'rmsnorm_grad', { DY: dy, X: x, G: g }, x, (attrs as { eps: number }).eps, GRAD_CODE);
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x', 'g'],
    gradFunc: (dy, [x, g], attrs) => {
      const run = (name: string, inputs: tf.NamedTensorMap) => runKernel(name, inputs, attrs as tf.NamedAttrMap);
      return {
        x: () => run(BACKWARD, { dy: dy as tf.Tensor, x, g }),
        g: () => tf.sum(tf.mul(dy as tf.Tensor, run(NORMALIZED, { x })), 0),
      };
    },
  });
});

/** RMSNorm over the last axis of x [N, C] in one dispatch on WebGPU when the kernel passed the self-check, else null. */
export function gpuRmsNorm(x: tf.Tensor2D, g: tf.Tensor1D, eps: number): tf.Tensor2D | null {
  if (!ready() || x.dtype !== 'float32') return null;
  return runKernel<tf.Tensor2D>(FORWARD, { x, g }, { eps });
}
