// Seeded dropout: on tfjs' WebGPU backend the mask is drawn in the shader; elsewhere tf.dropout.
//
// tf.dropout draws its mask with tf.randomUniform, which fills the array in JavaScript (one
// seeded PRNG call per element) and uploads it: for distilgpt2 at B4 x T256 that is ~56 M
// numbers and ~220 MB of uploads per training step (blocks recomputed), measured at over a
// third of a step's CPU time on an H200. Here each element's keep/drop comes from a hash of
// (seed, element index), computed in the shader: nothing is drawn in JavaScript, nothing is
// uploaded, and no mask is stored, because the backward pass recomputes it from the same seed.
import * as tf from '@tensorflow/tfjs';
import { elementwise, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const KERNEL = 'TweetforgeDropout';

// PCG hash (Jarzynski & Olano, "Hash Functions for GPU Rendering", 2020), two rounds over the
// index mixed with the hashed seed; the top 24 bits make a uniform number in [0, 1).
const PCG = `
  fn pcg(v : u32) -> u32 {
    let s = v * 747796405u + 2891336453u;
    let w = ((s >> ((s >> 28u) + 4u)) ^ s) * 277803737u;
    return (w >> 22u) ^ w;
  }`;
const BODY = `
  let u = f32(pcg(pcg(u32(index) ^ pcg(uniforms.seed))) >> 8u) / 16777216.0;
  setOutputAtIndex(index, select(0.0, X[index] * uniforms.scale, u >= uniforms.rate));`;

/** The kernel (WebGPU only) and its gradient, registered on first use. */
const ready = webgpuKernels('dropout', () => {
  registerWebGPUKernel(KERNEL, ({ inputs, attrs, backend }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { rate, seed } = attrs as { rate: number; seed: number };
    return runProgram(backend, {
      key: 'dropout',
      inputs: { X: x },
      shape: x.shape,
      uniforms: [
        { name: 'rate', type: 'f32', value: rate },
        { name: 'scale', type: 'f32', value: 1 / (1 - rate) },
        { name: 'seed', type: 'u32', value: seed >>> 0 },
      ],
      code: elementwise(BODY, PCG),
    });
  });
  // d/dx of x * keep * scale is keep * scale: the same kernel on dy with the same seed.
  tf.registerGradient({
    kernelName: KERNEL,
    gradFunc: (dy, _saved, attrs) => ({ x: () => runKernel(KERNEL, { x: dy as tf.Tensor }, attrs as tf.NamedAttrMap) }),
  });
});

/**
 * Inverted dropout with the mask hashed on the GPU, or null off WebGPU or when the kernel failed
 * the self-check (callers then use tf.dropout). `seed` picks the mask: the same seed, shape and rate
 * give the same mask, so a recomputed forward pass drops the same elements.
 */
export function gpuDropout(x: tf.Tensor, rate: number, seed: number): tf.Tensor | null {
  if (!ready() || x.dtype !== 'float32') return null;
  return runKernel(KERNEL, { x }, { rate, seed });
}

/**
 * Inverted dropout whose mask depends only on (seed, shape, rate), so that a recomputed forward
 * pass or a resumed run drops the same elements; no seed draws a fresh mask.
 */
export function seededDropout(x: tf.Tensor, rate: number, seed?: number): tf.Tensor {
  return gpuDropout(x, rate, seed ?? Math.floor(Math.random() * 2 ** 32)) ?? tf.dropout(x, rate, undefined, seed);
}
