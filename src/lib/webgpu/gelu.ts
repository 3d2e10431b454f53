// GPT-2's gelu_new as one WebGPU kernel forward and one backward, instead of tfjs' 8 ops
// forward and ~15 in their gradient (each layer runs it three times per training step with
// blocks recomputed): on a real GPU a step is bound by the CPU cost of each dispatch.
import * as tf from '@tensorflow/tfjs';
import { elementwise, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const FORWARD = 'TweetforgeGeluNew';
const BACKWARD = 'TweetforgeGeluNewGrad';

// tanh as tfjs' WebGPU backend computes it: exp of a non-positive number cannot overflow.
const HELPERS = `
  fn safeTanh(a : f32) -> f32 {
    let e2x = exp(-2.0 * abs(a));
    return sign(a) * (1.0 - e2x) / (1.0 + e2x);
  }
  const K = ${Math.sqrt(2 / Math.PI)};
  const A = 0.044715;`;

const ready = webgpuKernels('gelu_new', () => {
  // y = 0.5 x (1 + tanh(K (x + A x^3)))
  registerWebGPUKernel(FORWARD, ({ inputs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    return runProgram(backend, {
      key: 'gelu_new',
      inputs: { X: x },
      shape: x.shape,
      code: elementwise('let v = X[index]; setOutputAtIndex(index, 0.5 * v * (1.0 + safeTanh(K * (v + A * v * v * v))));', HELPERS),
    });
  });
  // dy/dx = 0.5 (1 + t) + 0.5 x (1 - t^2) K (1 + 3 A x^2), t = tanh(K (x + A x^3))
  registerWebGPUKernel(BACKWARD, ({ inputs, backend }) => {
    const { dy, x } = inputs as Record<'dy' | 'x', tf.TensorInfo>;
    return runProgram(backend, {
      key: 'gelu_new_grad',
      inputs: { DY: dy, X: x },
      shape: x.shape,
      code: elementwise(
        `let v = X[index];
         let t = safeTanh(K * (v + A * v * v * v));
         setOutputAtIndex(index, DY[index] * (0.5 * (1.0 + t) + 0.5 * v * (1.0 - t * t) * K * (1.0 + 3.0 * A * v * v)));`,
        HELPERS,
      ),
    });
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x'],
    gradFunc: (dy, saved) => ({ x: () => runKernel(BACKWARD, { dy: dy as tf.Tensor, x: saved[0] }) }),
  });
});

/** gelu_new(x) in one dispatch on WebGPU when the kernel passed the self-check, else null (callers use tfjs ops). */
export function gpuGeluNew(x: tf.Tensor): tf.Tensor | null {
  if (!ready() || x.dtype !== 'float32') return null;
  return runKernel(FORWARD, { x });
}
