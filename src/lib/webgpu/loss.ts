// The chunked cross-entropy's per-piece arithmetic (loss.ts) as WebGPU kernels of our own. Per
// vocabulary piece, tfjs ops take ~18 dispatches forward (log-sum-exp, the target's logit
// through a one-hot, the running log-add-exp) and 6 backward (softmax minus one-hot, scaled);
// here 1 and 1, next to the piece's matmuls. distilgpt2 has 13 pieces: ~280 dispatches fewer a
// step, on a GPU where each dispatch costs more CPU time than its arithmetic costs GPU time.
import * as tf from '@tensorflow/tfjs';
import { elementwise, laneReduction, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const STATS = 'TweetforgeLossPieceStats';
const STATS_NEXT = 'TweetforgeLossPieceStatsNext';
const GRAD = 'TweetforgeLossPieceGrad';
const COLS = 16; // positions (columns of the transposed logits) per workgroup: 64-byte reads, and N / 16 workgroups to fill a GPU
const ROWS = 16; // lanes sharing one position's walk down the vocabulary
const LANES = COLS * ROWS;

/**
 * The piece's logits arrive transposed, L = W_p h^T [V, N] (see loss.ts: tfjs' WebGPU matmul
 * has a vec4 path only for untransposed operands). Each workgroup takes COLS positions n; for
 * each, ROWS lanes walk the vocabulary rows (reads along n are contiguous) and reduce: lse_n =
 * max + log(sum(exp(L - max))), and the target's logit when the target falls in the piece.
 * The output [N, 2] holds (running lse, running target logit), combined with PREV's when given.
 */
const statsCode = (next: boolean) => `${laneReduction('maxLanes', LANES, 'f32', 'max', COLS)}${laneReduction('sumLanes', LANES, 'f32', 'sum', COLS)}
  fn main(index : i32) {
    let lane = index % ${LANES};
    let row = lane / ${COLS};
    let n = (index / ${LANES}) * ${COLS} + lane % ${COLS};
    let inside = n < uniforms.N;
    var m = -3.0e38;
    if (inside) {
      for (var v = row; v < uniforms.V; v = v + ${ROWS}) {
        m = max(m, L[v * uniforms.N + n]);
      }
    }
    let mx = maxLanes(lane, m);
    var s = 0.0;
    if (inside) {
      for (var v = row; v < uniforms.V; v = v + ${ROWS}) {
        s = s + exp(L[v * uniforms.N + n] - mx);
      }
    }
    let total = sumLanes(lane, s);
    if (row == 0 && inside) {
      var lse = mx + log(total);
      let t = T[n] - uniforms.start;
      var hit = 0.0;
      if (t >= 0 && t < uniforms.V) {
        hit = L[t * uniforms.N + n];
      }
      ${next ? `
      let prev = PREV[n * 2];
      lse = max(prev, lse) + log(1.0 + exp(-abs(prev - lse)));
      hit = hit + PREV[n * 2 + 1];` : ''}
      setOutputAtIndex(n * 2, lse);
      setOutputAtIndex(n * 2 + 1, hit);
    }
  }`;

const ready = webgpuKernels('cross_entropy', () => {
  for (const next of [false, true]) {
    registerWebGPUKernel(next ? STATS_NEXT : STATS, ({ inputs, attrs, backend }) => {
      const { prev, logitsT, targets } = inputs as Record<'prev' | 'logitsT' | 'targets', tf.TensorInfo>;
      const [V, N] = logitsT.shape;
      return runProgram(backend, {
        key: next ? 'loss_stats_t_next' : 'loss_stats_t',
        inputs: next ? { PREV: prev, L: logitsT, T: targets } : { L: logitsT, T: targets },
        shape: [N, 2],
        uniforms: [
          { name: 'V', type: 'i32', value: V },
          { name: 'N', type: 'i32', value: N },
          { name: 'start', type: 'i32', value: (attrs as { start: number }).start },
        ],
        code: statsCode(next),
        workgroupSize: LANES,
        workgroups: Math.ceil(N / COLS),
      });
    });
  }
  // g^T[v, n] = (exp(L[v, n] - lse[n]) - [v == t_n - start]) * s, on the transposed logits
  registerWebGPUKernel(GRAD, ({ inputs, attrs, backend }) => {
    const { logitsT, lse, targets, scale } = inputs as Record<'logitsT' | 'lse' | 'targets' | 'scale', tf.TensorInfo>;
    const N = logitsT.shape[1];
    return runProgram(backend, {
      key: 'loss_grad_t',
      inputs: { L: logitsT, LSE: lse, T: targets, S: scale },
      shape: logitsT.shape,
      uniforms: [
        { name: 'N', type: 'i32', value: N },
        { name: 'start', type: 'i32', value: (attrs as { start: number }).start },
      ],
      code: elementwise(`
        let n = index % uniforms.N;
        let hit = select(0.0, 1.0, index / uniforms.N == T[n] - uniforms.start);
        setOutputAtIndex(index, (exp(L[index] - LSE[n]) - hit) * S[0]);`),
    });
  });
});

export interface FusedLoss {
  /** [N, 2] running (lse, target logit) after one more piece of transposed logits [V, N] starting at `start`. */
  pieceStats(prev: tf.Tensor2D | null, logitsT: tf.Tensor2D, targets: tf.Tensor1D, start: number): tf.Tensor2D;
  /** (softmax - one-hot) * scale, transposed [V, N], for a piece of transposed logits, given the full vocabulary's lse [N]. */
  pieceGrad(logitsT: tf.Tensor2D, lse: tf.Tensor1D, targets: tf.Tensor1D, start: number, scale: tf.Tensor): tf.Tensor2D;
}

/** The fused kernels when tfjs runs on WebGPU and they passed the self-check, else null (loss.ts then uses tfjs ops). */
export function webgpuLoss(): FusedLoss | null {
  if (!ready()) return null;
  const run = (name: string, inputs: tf.NamedTensorMap, start: number) => runKernel<tf.Tensor2D>(name, inputs, { start });
  return {
    pieceStats: (prev, logitsT, targets, start) => (prev ? run(STATS_NEXT, { prev, logitsT, targets }, start) : run(STATS, { logitsT, targets }, start)),
    pieceGrad: (logitsT, lse, targets, start, scale) => run(GRAD, { logitsT, lse, targets, scale }, start),
  };
}
