// The chunked cross-entropy's per-piece arithmetic (loss.ts) as WebGPU kernels of our own. Per
// vocabulary piece, tfjs ops take ~18 dispatches forward (log-sum-exp, the target's logit
// through a one-hot, the running log-add-exp) and 6 backward (softmax minus one-hot, scaled);
// here 1 and 1, next to the piece's matmuls. distilgpt2 has 13 pieces: ~280 dispatches fewer a
// step, on a GPU where each dispatch costs more CPU time than its arithmetic costs GPU time.
import * as tf from '@tensorflow/tfjs';
import { elementwise, laneReduction, registerWebGPUKernel, runProgram, webgpuKernels } from '../model/webgpu-programs.ts';

const STATS = 'TweetforgeLossPieceStats';
const STATS_NEXT = 'TweetforgeLossPieceStatsNext';
const GRAD = 'TweetforgeLossPieceGrad';
const LANES = 256; // one workgroup per row of logits

/**
 * One workgroup per row n of the piece's logits L [N, V]: lse_n = max + log(sum(exp(L - max)))
 * by a tree in workgroup memory, and the target's logit when the target falls in the piece.
 * The output [N, 2] holds (running lse, running target logit), combined with PREV's when given.
 */
const statsCode = (next: boolean) => `${laneReduction('maxLanes', LANES, 'f32', 'max')}${laneReduction('sumLanes', LANES, 'f32', 'sum')}
  fn main(index : i32) {
    let row = index / ${LANES};
    let lane = index % ${LANES};
    let base = row * uniforms.V;
    var m = -3.0e38;
    for (var j = lane; j < uniforms.V; j = j + ${LANES}) {
      m = max(m, L[base + j]);
    }
    let mx = maxLanes(lane, m);
    var s = 0.0;
    for (var j = lane; j < uniforms.V; j = j + ${LANES}) {
      s = s + exp(L[base + j] - mx);
    }
    let total = sumLanes(lane, s);
    if (lane == 0) {
      var lse = mx + log(total);
      let t = T[row] - uniforms.start;
      var hit = 0.0;
      if (t >= 0 && t < uniforms.V) {
        hit = L[base + t];
      }
      ${next ? `
      let prev = PREV[row * 2];
      lse = max(prev, lse) + log(1.0 + exp(-abs(prev - lse)));
      hit = hit + PREV[row * 2 + 1];` : ''}
      setOutputAtIndex(row * 2, lse);
      setOutputAtIndex(row * 2 + 1, hit);
    }
  }`;

const ready = webgpuKernels(() => {
  for (const next of [false, true]) {
    registerWebGPUKernel(next ? STATS_NEXT : STATS, ({ inputs, attrs, backend }) => {
      const { prev, logits, targets } = inputs as Record<'prev' | 'logits' | 'targets', tf.TensorInfo>;
      const [N, V] = logits.shape;
      return runProgram(backend, {
        key: next ? 'loss_stats_next' : 'loss_stats',
        inputs: next ? { PREV: prev, L: logits, T: targets } : { L: logits, T: targets },
        shape: [N, 2],
        uniforms: [
          { name: 'V', type: 'i32', value: V },
          { name: 'start', type: 'i32', value: (attrs as { start: number }).start },
        ],
        code: statsCode(next),
        workgroupSize: LANES,
        workgroups: N,
      });
    });
  }
  // g[n, v] = (exp(L[n, v] - lse[n]) - [v == t_n - start]) * s
  registerWebGPUKernel(GRAD, ({ inputs, attrs, backend }) => {
    const { logits, lse, targets, scale } = inputs as Record<'logits' | 'lse' | 'targets' | 'scale', tf.TensorInfo>;
    const V = logits.shape[1];
    return runProgram(backend, {
      key: 'loss_grad',
      inputs: { L: logits, LSE: lse, T: targets, S: scale },
      shape: logits.shape,
      uniforms: [
        { name: 'V', type: 'i32', value: V },
        { name: 'start', type: 'i32', value: (attrs as { start: number }).start },
      ],
      code: elementwise(`
        let n = index / uniforms.V;
        let hit = select(0.0, 1.0, index % uniforms.V == T[n] - uniforms.start);
        setOutputAtIndex(index, (exp(L[index] - LSE[n]) - hit) * S[0]);`),
    });
  });
});

export interface FusedLoss {
  /** [N, 2] running (lse, target logit) after one more piece of logits [N, V] starting at `start`. */
  pieceStats(prev: tf.Tensor2D | null, logits: tf.Tensor2D, targets: tf.Tensor1D, start: number): tf.Tensor2D;
  /** (softmax - one-hot) * scale for a piece of logits, given the full vocabulary's lse [N]. */
  pieceGrad(logits: tf.Tensor2D, lse: tf.Tensor1D, targets: tf.Tensor1D, start: number, scale: tf.Tensor): tf.Tensor2D;
}

/** The fused kernels when tfjs runs on WebGPU, else null (loss.ts then uses tfjs ops). */
export function webgpuLoss(): FusedLoss | null {
  if (!ready()) return null;
  const run = (name: string, inputs: tf.NamedTensorMap, start: number) => tf.engine().runKernel(name, inputs, { start }) as tf.Tensor2D;
  return {
    pieceStats: (prev, logits, targets, start) => (prev ? run(STATS_NEXT, { prev, logits, targets }, start) : run(STATS, { logits, targets }, start)),
    pieceGrad: (logits, lse, targets, start, scale) => run(GRAD, { logits, lse, targets, scale }, start),
  };
}
