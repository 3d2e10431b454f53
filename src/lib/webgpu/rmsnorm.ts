// Llama's RMSNorm as WebGPU kernels of our own: one dispatch forward where tfjs ops take six
// (square, mean, eps, rsqrt, two products), and three backward (dx; the rows' rstd, then dg's
// column sums) where autodiff takes a dozen, the mean's gradient uploading a tensor of ones and
// dg's sum over rows going through a transpose. A Llama block runs two RMSNorms per forward pass,
// and a training step with blocks recomputed runs the forward twice.
// One workgroup per row: the row's mean square by a tree in workgroup memory, in float32.
import * as tf from '@tensorflow/tfjs';
import { laneReduction, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const FORWARD = 'TweetforgeRMSNorm';
const RSTD = 'TweetforgeRMSNormRstd';
const BACKWARD = 'TweetforgeRMSNormGrad';
const GRAD_G = 'TweetforgeRMSNormGradG';
const LANES = 128;
const COLS = 16; // dg: columns per workgroup (64-byte reads along a row)
const ROWS = 16; // dg: lanes sharing one column's walk down the rows

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

// y = x rstd g
const FORWARD_CODE = `${ROW_RSTD}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let base = row * uniforms.C;
    let r = rowRstd(base, lane);
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      setOutputAtIndex(base + j, X[base + j] * r * G[j]);
    }
  }`;

// rstd of each row, [N]
const RSTD_CODE = `${ROW_RSTD}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let r = rowRstd(row * uniforms.C, lane);
    if (lane == 0) {
      setOutputAtIndex(row, r);
    }
  }`;

// dg_j = sum over rows of dy x rstd: COLS columns per workgroup, ROWS lanes down each.
const GRAD_G_CODE = `${laneReduction('sumLanes', COLS * ROWS, 'f32', 'sum', COLS)}
  fn main(index : i32) {
    let lane = index % ${COLS * ROWS};
    let first = lane / ${COLS};
    let j = (index / ${COLS * ROWS}) * ${COLS} + lane % ${COLS};
    let C = uniforms.C;
    var a = 0.0;
    if (j < C) {
      for (var r = first; r < uniforms.N; r = r + ${ROWS}) {
        a = a + DY[r * C + j] * X[r * C + j] * R[r];
      }
    }
    let total = sumLanes(lane, a);
    if (first == 0 && j < C) {
      setOutputAtIndex(j, total);
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

function rowProgram(backend: unknown, key: string, inputs: Record<string, tf.TensorInfo>, x: tf.TensorInfo, eps: number, code: string, shape = x.shape): tf.TensorInfo {
  const [N, C] = x.shape;
  return runProgram(backend, {
    key,
    inputs,
    shape,
    uniforms: [
      { name: 'C', type: 'i32', value: C },
      { name: 'eps', type: 'f32', value: eps },
    ],
    code,
    workgroupSize: LANES,
    workgroups: N,
  });
}

function gradGProgram(backend: unknown, inputs: Record<'DY' | 'X' | 'R', tf.TensorInfo>): tf.TensorInfo {
  const [N, C] = inputs.X.shape;
  return runProgram(backend, {
    key: 'rmsnorm_grad_g',
    inputs,
    shape: [C],
    uniforms: [
      { name: 'C', type: 'i32', value: C },
      { name: 'N', type: 'i32', value: N },
    ],
    code: GRAD_G_CODE,
    workgroupSize: COLS * ROWS,
    workgroups: Math.ceil(C / COLS),
  });
}

const ready = webgpuKernels('rmsnorm', () => {
  registerWebGPUKernel(FORWARD, ({ inputs, attrs, backend }) => {
    const { x, g } = inputs as Record<'x' | 'g', tf.TensorInfo>;
    return rowProgram(backend, 'rmsnorm', { X: x, G: g }, x, (attrs as { eps: number }).eps, FORWARD_CODE);
  });
  registerWebGPUKernel(RSTD, ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    return rowProgram(backend, 'rmsnorm_rstd', { X: x }, x, (attrs as { eps: number }).eps, RSTD_CODE, [x.shape[0]]);
  });
  registerWebGPUKernel(BACKWARD, ({ inputs, attrs, backend }) => {
    const { dy, x, g } = inputs as Record<'dy' | 'x' | 'g', tf.TensorInfo>;
    return rowProgram(backend, 'rmsnorm_grad', { DY: dy, X: x, G: g }, x, (attrs as { eps: number }).eps, GRAD_CODE);
  });
  registerWebGPUKernel(GRAD_G, ({ inputs, backend }) => {
    const { dy, x, rstd } = inputs as Record<'dy' | 'x' | 'rstd', tf.TensorInfo>;
    return gradGProgram(backend, { DY: dy, X: x, R: rstd });
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x', 'g'],
    gradFunc: (dy, [x, g], attrs) => {
      const run = (name: string, inputs: tf.NamedTensorMap) => runKernel(name, inputs, attrs as tf.NamedAttrMap);
      return {
        x: () => run(BACKWARD, { dy: dy as tf.Tensor, x, g }),
        g: () => run(GRAD_G, { dy: dy as tf.Tensor, x, rstd: run(RSTD, { x }) }),
      };
    },
  });
});

/** RMSNorm over the last axis of x [N, C] in one dispatch on WebGPU when the kernel passed the self-check, else null. */
export function gpuRmsNorm(x: tf.Tensor2D, g: tf.Tensor1D, eps: number): tf.Tensor2D | null {
  if (!ready() || x.dtype !== 'float32') return null;
  return runKernel<tf.Tensor2D>(FORWARD, { x, g }, { eps });
}
