// SwiGLU's product silu(gate) * up as one WebGPU kernel forward and two backward (one per
// input), where tfjs ops take three forward and about eight in their gradient, each over the
// MLP's widest tensors ([N, intermediate_size], 4.9x the model width in Qwen2.5).
import * as tf from '@tensorflow/tfjs';
import { elementwise, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const FORWARD = 'TweetforgeSiluMul';
const GRAD_GATE = 'TweetforgeSiluMulGradGate';
const GRAD_UP = 'TweetforgeSiluMulGradUp';

// sigmoid as tfjs' WebGPU backend computes it (exp(-a) overflowing to inf gives 0, not NaN).
const HELPERS = `
  fn sigmoid(a : f32) -> f32 {
    return 1.0 / (1.0 + exp(-1.0 * a));
  }`;

function program(backend: unknown, key: string, inputs: Record<string, tf.TensorInfo>, body: string): tf.TensorInfo {
  return runProgram(backend, { key, inputs, shape: Object.values(inputs)[0].shape, code: elementwise(body, HELPERS) });
}

const ready = webgpuKernels('swiglu', () => {
  // y = gate sigmoid(gate) up
  registerWebGPUKernel(FORWARD, ({ inputs, backend }) => {
    const { gate, up } = inputs as Record<'gate' | 'up', tf.TensorInfo>;
    return program(backend, 'silu_mul', { G: gate, U: up }, 'let a = G[index]; setOutputAtIndex(index, a * sigmoid(a) * U[index]);');
  });
  // dgate = dy up (s + gate s (1 - s)), s = sigmoid(gate)
  registerWebGPUKernel(GRAD_GATE, ({ inputs, backend }) => {
    const { dy, gate, up } = inputs as Record<'dy' | 'gate' | 'up', tf.TensorInfo>;
    return program(
      backend, 'silu_mul_grad_gate', { DY: dy, G: gate, U: up },
      'let a = G[index]; let s = sigmoid(a); setOutputAtIndex(index, DY[index] * U[index] * (s + a * s * (1.0 - s)));',
    );
  });
  // dup = dy gate s
  registerWebGPUKernel(GRAD_UP, ({ inputs, backend }) => {
    const { dy, gate } = inputs as Record<'dy' | 'gate', tf.TensorInfo>;
    return program(backend, 'silu_mul_grad_up', { DY: dy, G: gate }, 'let a = G[index]; setOutputAtIndex(index, DY[index] * a * sigmoid(a));');
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['gate', 'up'],
    gradFunc: (dy, [gate, up]) => ({
      gate: () => runKernel(GRAD_GATE, { dy: dy as tf.Tensor, gate, up }),
      up: () => runKernel(GRAD_UP, { dy: dy as tf.Tensor, gate }),
    }),
  });
});

/** silu(gate) * up, gate and up of one shape, in one dispatch on WebGPU when the kernel passed the self-check, else null. */
export function gpuSiluMul<T extends tf.Tensor>(gate: T, up: T): T | null {
  if (!ready() || gate.dtype !== 'float32' || up.dtype !== 'float32' || gate.shape.join() !== up.shape.join()) return null;
  return runKernel<T>(FORWARD, { gate, up });
}
