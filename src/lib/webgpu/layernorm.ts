// LayerNorm as WebGPU kernels of our own: one dispatch forward where tfjs ops take nine (two
// means, centring, square, eps, rsqrt, scale, shift), and three backward (dx, the normalised
// input for dg, and the sums) instead of eleven. GPT-2 runs 13 of them per forward pass, and a
// training step with blocks recomputed runs the forward twice and the backward once.
// One workgroup per row: the row's mean and variance by trees in workgroup memory.
import * as tf from '@tensorflow/tfjs';
import { laneReduction, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const FORWARD = 'TweetforgeLayerNorm';
const NORMALIZED = 'TweetforgeLayerNormXhat';
const BACKWARD = 'TweetforgeLayerNormGrad';
const LANES = 128;

// Row statistics shared by every kernel: mean and 1 / sqrt(var + eps) of row `row` of X [N, C].
const ROW_STATS = `${laneReduction('sumLanes', LANES, 'vec2<f32>', 'sum')}
  fn rowStats(base : i32, lane : i32) -> vec2<f32> {
    let C = uniforms.C;
    var s = 0.0;
    for (var j = lane; j < C; j = j + ${LANES}) {
      s = s + X[base + j];
    }
    let mean = sumLanes(lane, vec2<f32>(s, 0.0)).x / f32(C);
    var q = 0.0;
    for (var j = lane; j < C; j = j + ${LANES}) {
      let d = X[base + j] - mean;
      q = q + d * d;
    }
    return vec2<f32>(mean, inverseSqrt(sumLanes(lane, vec2<f32>(q, 0.0)).x / f32(C) + uniforms.eps));
  }`;

// y = (x - mean) * rstd (* g + b when affine)
const normCode = (affine: boolean) => `${ROW_STATS}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let base = row * uniforms.C;
    let st = rowStats(base, lane);
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      let xh = (X[base + j] - st.x) * st.y;
      setOutputAtIndex(base + j, ${affine ? 'xh * G[j] + B[j]' : 'xh'});
    }
  }`;

// dx = rstd (dxhat - mean(dxhat) - xhat mean(dxhat xhat)), dxhat = dy g
const GRAD_CODE = `${ROW_STATS}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let base = row * uniforms.C;
    let st = rowStats(base, lane);
    var a = 0.0;
    var b = 0.0;
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      let dxh = DY[base + j] * G[j];
      a = a + dxh;
      b = b + dxh * (X[base + j] - st.x) * st.y;
    }
    let sums = sumLanes(lane, vec2<f32>(a, b)) / f32(uniforms.C);
    for (var j = lane; j < uniforms.C; j = j + ${LANES}) {
      let xh = (X[base + j] - st.x) * st.y;
      setOutputAtIndex(base + j, st.y * (DY[base + j] * G[j] - sums.x - xh * sums.y));
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

const ready = webgpuKernels('layernorm', () => {
  registerWebGPUKernel(FORWARD, ({ inputs, attrs, backend }) => {
    const { x, g, b } = inputs as Record<'x' | 'g' | 'b', tf.TensorInfo>;
    return rowProgram(backend, 'layernorm', { X: x, G: g, B: b }, x, (attrs as { eps: number }).eps, normCode(true));
  });
  registerWebGPUKernel(NORMALIZED, ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    return rowProgram(backend, 'layernorm_xhat', { X: x }, x, (attrs as { eps: number }).eps, normCode(false));
  });
  registerWebGPUKernel(BACKWARD, ({ inputs, attrs, backend }) => {
    const { dy, x, g } = inputs as Record<'dy' | 'x' | 'g', tf.TensorInfo>;
    return rowProgram(backend, 'layernorm_grad', { DY: dy, X: x, G: g }, x, (attrs as { eps: number }).eps, GRAD_CODE);
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x', 'g'],
    gradFunc: (dy, [x, g], attrs) => {
      const run = (name: string, inputs: tf.NamedTensorMap) => runKernel(name, inputs, attrs as tf.NamedAttrMap);
      return {
        x: () => run(BACKWARD, { dy: dy as tf.Tensor, x, g }),
        g: () => tf.sum(tf.mul(dy as tf.Tensor, run(NORMALIZED, { x })), 0),
        b: () => tf.sum(dy as tf.Tensor, 0),
      };
    },
  });
});

/** LayerNorm over the last axis of x [N, C] in one dispatch on WebGPU when the kernel passed the self-check, else null. */
export function gpuLayerNorm(x: tf.Tensor2D, g: tf.Tensor1D, b: tf.Tensor1D, eps: number): tf.Tensor2D | null {
  if (!ready() || x.dtype !== 'float32') return null;
  return runKernel<tf.Tensor2D>(FORWARD, { x, g, b }, { eps });
}
