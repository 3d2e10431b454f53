// AdamW's updates and the gradient norm's sum of squares as WebGPU kernels of our own.
//
// On a real GPU a training step of distilgpt2 is bound by the CPU cost of dispatching kernels
// (measured on an H200: ~4,800 dispatches, 1.4 s of CPU, 0.18 s of GPU), and the optimizer was
// a third of them: 12 tfjs ops per parameter for AdamW, 3 for its share of the norm. Here it is
// 3 + 1, with the same arithmetic in the same order as adamw.ts' tfjs path.
import * as tf from '@tensorflow/tfjs';
import { elementwise, laneReduction, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const MOMENT = 'TweetforgeAdamWMoment';
const PARAM = 'TweetforgeAdamWParam';
const SUM_SQUARES = 'TweetforgeAddSumOfSquares';
const LANES = 256;
/** A small gradient's workgroups: enough that each lane sums at least this many squares. */
const MIN_PER_LANE = 64;
/** Workgroups sharing one gradient's sum of squares: the partial sums run [GROUPS] long. */
export const GROUPS = 256;

// partials'[w] = partials[w] + (workgroup w's strided share of sum(g^2)): every gradient adds
// into the same GROUPS partial sums, one dispatch each, and one tf.sum at the end makes the
// total. A single workgroup per gradient (and tfjs' own Sum to a scalar) ran at ~1-2 GB/s on
// an H200: 120 ms a step for distilgpt2's 82 M gradients. A small gradient gets only the
// workgroups it fills (uniforms.groups), whose lanes copy the slots no workgroup adds to:
// SwiftShader (and any CPU-emulated WebGPU) pays for every invocation and barrier, and 65,536
// of them for a 64-wide bias took a third of a tiny model's step there.
const SUM_SQUARES_CODE = `${laneReduction('sumLanes', LANES, 'f32', 'sum')}
  fn main(index : i32) {
    let lane = index % ${LANES};
    let group = index / ${LANES};
    var acc = 0.0;
    for (var i = index; i < uniforms.n; i = i + ${LANES} * uniforms.groups) {
      let g = G[i];
      acc = acc + g * g;
    }
    let total = sumLanes(lane, acc);
    if (lane == 0) {
      setOutputAtIndex(group, PARTIALS[group] + total);
    }
    for (var slot = group + uniforms.groups * (lane + 1); slot < ${GROUPS}; slot = slot + uniforms.groups * ${LANES}) {
      setOutputAtIndex(slot, PARTIALS[slot]);
    }
  }`;

const ready = webgpuKernels('adamw', () => {
  // moment' = beta * moment + s * g (first moment) or s * g^2 (second); s a device scalar.
  registerWebGPUKernel(MOMENT, ({ inputs, attrs, backend }) => {
    const { x, g, s } = inputs as Record<'x' | 'g' | 's', tf.TensorInfo>;
    const { beta, square } = attrs as { beta: number; square: boolean };
    return runProgram(backend, {
      key: square ? 'adamw_v' : 'adamw_m',
      inputs: { X: x, G: g, S: s },
      shape: x.shape,
      uniforms: [{ name: 'beta', type: 'f32', value: beta }],
      code: elementwise(`setOutputAtIndex(index, uniforms.beta * X[index] + S[0] * ${square ? 'G[index] * G[index]' : 'G[index]'});`),
    });
  });
  // p' = decay * p - lrTerm * m / (sqrt(v) + epsTerm)
  registerWebGPUKernel(PARAM, ({ inputs, attrs, backend }) => {
    const { p, m, v } = inputs as Record<'p' | 'm' | 'v', tf.TensorInfo>;
    const { decay, lrTerm, epsTerm } = attrs as { decay: number; lrTerm: number; epsTerm: number };
    return runProgram(backend, {
      key: 'adamw_p',
      inputs: { P: p, M: m, V: v },
      shape: p.shape,
      uniforms: [
        { name: 'decay', type: 'f32', value: decay },
        { name: 'lrTerm', type: 'f32', value: lrTerm },
        { name: 'epsTerm', type: 'f32', value: epsTerm },
      ],
      code: elementwise('setOutputAtIndex(index, uniforms.decay * P[index] - uniforms.lrTerm * M[index] / (sqrt(V[index]) + uniforms.epsTerm));'),
    });
  });
  registerWebGPUKernel(SUM_SQUARES, ({ inputs, backend }) => {
    const { partials, g } = inputs as Record<'partials' | 'g', tf.TensorInfo>;
    const n = tf.util.sizeFromShape(g.shape);
    const groups = Math.min(GROUPS, Math.ceil(n / (LANES * MIN_PER_LANE)));
    return runProgram(backend, {
      key: 'sum_squares',
      inputs: { PARTIALS: partials, G: g },
      shape: [GROUPS],
      uniforms: [
        { name: 'n', type: 'i32', value: n },
        { name: 'groups', type: 'i32', value: groups },
      ],
      code: SUM_SQUARES_CODE,
      workgroupSize: LANES,
      workgroups: groups,
    });
  });
});

export interface FusedAdamW {
  /** beta * x + s * g, or s * g^2 with `square` (s: a scalar tensor, e.g. with the clipping factor). */
  moment(x: tf.Tensor, g: tf.Tensor, s: tf.Scalar, beta: number, square: boolean): tf.Tensor;
  /** decay * p - lrTerm * m / (sqrt(v) + epsTerm). */
  param(p: tf.Tensor, m: tf.Tensor, v: tf.Tensor, decay: number, lrTerm: number, epsTerm: number): tf.Tensor;
  /** partials [GROUPS] plus g's squares, spread over them (sum the result for the total). */
  addSumOfSquares(partials: tf.Tensor1D, g: tf.Tensor): tf.Tensor1D;
}

/** The fused kernels when tfjs runs on WebGPU and they passed the self-check, else null (AdamW then uses tfjs ops). */
export function webgpuAdamW(): FusedAdamW | null {
  if (!ready()) return null;
  return {
    moment: (x, g, s, beta, square) => runKernel(MOMENT, { x, g, s }, { beta, square }),
    param: (p, m, v, decay, lrTerm, epsTerm) => runKernel(PARAM, { p, m, v }, { decay, lrTerm, epsTerm }),
    addSumOfSquares: (partials, g) => runKernel<tf.Tensor1D>(SUM_SQUARES, { partials, g }),
  };
}
