// Hugging Face's apply_rotary_pos_emb (rotate_half layout) as one WebGPU kernel forward and one
// backward, where tfjs ops take six forward (two slices, a negation, a concat, two products and
// a sum) and about as many again in their gradient. Every Llama layer runs it on q and k.
// The cos / sin tables stay inputs, computed in float64 on the CPU (llama/forward.ts'
// ropeTables): angles of positions in the thousands lose digits in a float32 shader.
import * as tf from '@tensorflow/tfjs';
import { elementwise, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const FORWARD = 'TweetforgeRope';
const BACKWARD = 'TweetforgeRopeGrad';

// Element `index` of x [B, n, T, hd]: its column i and its position t, the tables' row.
const POSITION = `
  let hd = uniforms.hd;
  let half = hd / 2;
  let i = index % hd;
  let row = ((index / hd) % uniforms.T) * hd;`;

// y = x cos + rotate_half(x) sin, rotate_half(x) = cat(-x2, x1)
const FORWARD_CODE = elementwise(`${POSITION}
  var rot = 0.0;
  if (i < half) {
    rot = -X[index + half];
  } else {
    rot = X[index - half];
  }
  setOutputAtIndex(index, X[index] * COS[row + i] + rot * SIN[row + i]);`);

// dx = dy cos + rotate_half^T(dy sin): rotate_half's transpose sends column j + half to j and
// column j - half, negated, to j.
const BACKWARD_CODE = elementwise(`${POSITION}
  var rot = 0.0;
  if (i < half) {
    rot = DY[index + half] * SIN[row + i + half];
  } else {
    rot = -DY[index - half] * SIN[row + i - half];
  }
  setOutputAtIndex(index, DY[index] * COS[row + i] + rot);`);

function program(backend: unknown, key: string, code: string, inputs: Record<string, tf.TensorInfo>, x: tf.TensorInfo): tf.TensorInfo {
  return runProgram(backend, {
    key,
    inputs,
    shape: x.shape,
    uniforms: [
      { name: 'T', type: 'i32', value: x.shape[2] },
      { name: 'hd', type: 'i32', value: x.shape[3] },
    ],
    code,
  });
}

/** rotate_half in tfjs ops, for the tables' gradients (they are constants in the model: never asked for there). */
function rotateHalf(x: tf.Tensor): tf.Tensor {
  const [x1, x2] = tf.split(x, 2, 3);
  return tf.concat([tf.neg(x2), x1], 3);
}

const ready = webgpuKernels('rope', () => {
  registerWebGPUKernel(FORWARD, ({ inputs, backend }) => {
    const { x, cos, sin } = inputs as Record<'x' | 'cos' | 'sin', tf.TensorInfo>;
    return program(backend, 'rope', FORWARD_CODE, { X: x, COS: cos, SIN: sin }, x);
  });
  registerWebGPUKernel(BACKWARD, ({ inputs, backend }) => {
    const { dy, cos, sin } = inputs as Record<'dy' | 'cos' | 'sin', tf.TensorInfo>;
    return program(backend, 'rope_grad', BACKWARD_CODE, { DY: dy, COS: cos, SIN: sin }, dy);
  });
  tf.registerGradient({
    kernelName: FORWARD,
    inputsToSave: ['x', 'cos', 'sin'],
    gradFunc: (dy, [x, cos, sin]) => {
      const d = dy as tf.Tensor;
      const overHeads = (t: tf.Tensor) => tf.sum(tf.reshape(t, [-1, ...cos.shape]), 0);
      return {
        x: () => runKernel(BACKWARD, { dy: d, cos, sin }),
        cos: () => overHeads(tf.mul(d, x)),
        sin: () => overHeads(tf.mul(d, rotateHalf(x))),
      };
    },
  });
});

/**
 * apply_rotary_pos_emb on x [B, n, T, hd] with cos, sin [T, hd] in one dispatch on WebGPU when
 * the kernel passed the self-check, else null.
 */
export function gpuRope(x: tf.Tensor4D, cos: tf.Tensor2D, sin: tf.Tensor2D): tf.Tensor4D | null {
  if (!ready() || x.dtype !== 'float32' || x.shape[3] % 2 !== 0) return null;
  return runKernel<tf.Tensor4D>(FORWARD, { x, cos, sin });
}
