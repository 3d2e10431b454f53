// Next-token cross-entropy straight from token ids, computed over the vocabulary in chunks
// so the [N, 50257] logits and their gradient never sit whole in memory: for distilgpt2 at
// B4 x T256 that is 1024 x 50257 floats = 206 MB each, more than the whole model.
//
// Forward, per chunk c of the tied embedding W_c [Vc, C] (walked in pieces of <= LOSS_PIECE_ROWS rows):
//   logits_c = h W_c^T                      // [N, Vc]
//   lse      = logaddexp(lse, logsumexp(logits_c))   (running, numerically stable)
//   tgt     += logits_c[n, t_n - start_c]    where t_n falls in the chunk
// loss = mean_n(lse_n - tgt_n).
// Backward recomputes each chunk's logits rather than keeping them (one chunk alive at a time):
//   g_c = (softmax_c - onehot_c) * dy / N   // [N, Vc]
//   dh += g_c W_c                           // [N, C]
//   dW_c = g_c^T h                          // [Vc, C]
// Backward works on the transposed logits, W_c h^T [Vc, N], and g_c^T on every backend: dW_c = g_c^T h
// is then an untransposed product (tfjs-wasm's fast path with no copy, see wasm-matmul.ts; WebGPU's
// vec4 matmul) and only dh's product copies one [Vc, N] operand. With a frozen table (LoRA) there
// is no dW_c, and dh is gathered in the forward's walk instead (frozenTableWalk: no recomputed
// logits; WebGPU keeps its fused two-walk kernels). The forward is transposed too on
// WebGPU and wasm (see pieceLogits); wasm transposes each piece back before its reductions, since
// a reduction over axis 0 copies its input there anyway.
import * as tf from '@tensorflow/tfjs';
import { webgpuLoss } from '../webgpu/loss.ts';
import { embeddingLookup } from './embedding.ts';
import type { RowSlices } from './family.ts';

type Slice = RowSlices[number];

/** Stable log(exp(a) + exp(b)). */
function logAddExp(a: tf.Tensor1D, b: tf.Tensor1D): tf.Tensor1D {
  return tf.add(tf.maximum(a, b), tf.log1p(tf.exp(tf.neg(tf.abs(tf.sub(a, b)))))) as tf.Tensor1D;
}

/**
 * Rows of the vocabulary handled at once: a chunk wider than this is walked in pieces, so the
 * [B*T, rows] logits stay small (distilgpt2 at B4 x T256: 1024 x 4096 floats = 17 MB, three
 * alive in backward). 4096, not more: XNNPACK (tfjs' wasm matmul) runs [1024, 768] x [768, N]
 * at 27-31 GFLOP/s up to N = 4096 but 20 at N = 7180 (2-core EPYC); on a GPU either is big.
 */
export const LOSS_PIECE_ROWS = 4096;

/**
 * Sub-ranges of a chunk, weight rows [offset, offset + size): round(size / maxRows) equal pieces,
 * so a chunk a little over maxRows is taken whole (at most 1.5 maxRows rows). Qwen2.5's chunks
 * are 4748 rows (sized by its MLP, see trainingChunkBytes): walked as 4096 + 652 they cost a copy
 * of each piece (Slice) per product and a 652-row product, ~5 % slower on wasm than whole.
 */
function piecesOf(c: Slice, maxRows: number): { start: number; offset: number; size: number }[] {
  // A multiple of 4 rows, as vocabChunkSizes: tfjs' WebGPU matmul takes its vec4 path only then.
  const rows = Math.ceil(c.size / Math.max(1, Math.round(c.size / maxRows)) / 4) * 4;
  const out = [];
  for (let offset = 0; offset < c.size; offset += rows) out.push({ start: c.start + offset, offset, size: Math.min(rows, c.size - offset) });
  return out;
}

/** The piece's rows of the chunk weight (the weight itself when the piece is the whole chunk). */
function pieceWeight(w: tf.Tensor2D, p: { offset: number; size: number }, whole: boolean): tf.Tensor2D {
  return whole ? w : (tf.slice(w, [p.offset, 0], [p.size, -1]) as tf.Tensor2D); // [size, C]
}

/**
 * The target's one-hot within a chunk: rows whose target is outside the chunk are all zero.
 * Made as int32, then cast: tfjs-backend-wasm 4.22's OneHot writes int32 whatever the dtype, so
 * a float32 one-hot holds 1.4e-45 (the bits of int 1) where the 1 should be, and the loss
 * silently loses its target term.
 */
function chunkOneHot(targets: tf.Tensor1D, start: number, size: number): tf.Tensor2D {
  return tf.cast(tf.oneHot(tf.sub(targets, tf.scalar(start, 'int32')), size, 1, 0, 'int32'), 'float32') as tf.Tensor2D; // [N, Vc]
}

/**
 * chunkOneHot transposed, [Vc, N], scattered in place: N writes into zeros, where transposing
 * [N, Vc] or a broadcast comparison walk all Vc x N entries (slowly on wasm). Targets outside
 * the chunk write a 0 (clipped into range, masked).
 */
function chunkOneHotT(targets: tf.Tensor1D, start: number, size: number): tf.Tensor2D {
  const local = tf.sub(targets, tf.scalar(start, 'int32'));
  const inside = tf.logicalAnd(tf.greaterEqual(local, tf.scalar(0, 'int32')), tf.less(local, tf.scalar(size, 'int32')));
  // Clipped with int32 scalars: tfjs-wasm's ClipByValue reads an int32 tensor as float32.
  const row = tf.minimum(tf.maximum(local, tf.scalar(0, 'int32')), tf.scalar(size - 1, 'int32'));
  const at = tf.stack([row, tf.range(0, targets.shape[0], 1, 'int32')], 1); // [N, 2]: (vocab row, position)
  return tf.scatterND(at, tf.cast(inside, 'float32'), [size, targets.shape[0]]) as tf.Tensor2D; // [Vc, N]
}

/**
 * Per-position log-sum-exp over the vocabulary and the target's logit, chunk by chunk.
 * Returns [lse, tgt], both [N]; holds at most one chunk's logits at a time.
 */
export function chunkedLogits(
  h: tf.Tensor2D,
  chunks: RowSlices,
  targets: tf.Tensor1D,
  maxRows = LOSS_PIECE_ROWS,
): [tf.Tensor1D, tf.Tensor1D] {
  const fused = webgpuLoss();
  if (fused) {
    // One kernel per piece keeps (running lse, running target logit) as an [N, 2] state.
    const state = foldPieces<tf.Tensor2D>(h, chunks, maxRows, (prev, logitsT, start) => fused.pieceStats(prev, logitsT, targets, start), 'transposed');
    const [lse, tgt] = tf.unstack(state, 1) as tf.Tensor1D[];
    state.dispose();
    return [lse, tgt];
  }
  return foldPieces<[tf.Tensor1D, tf.Tensor1D]>(h, chunks, maxRows, (prev, logits, start, size) => {
    const pieceLse = tf.logSumExp(logits, 1) as tf.Tensor1D; // [N]
    const hit = targetLogit(logits, targets, start, size);
    return prev ? [logAddExp(prev[0], pieceLse), tf.add(prev[1], hit) as tf.Tensor1D] : [pieceLse, hit];
  });
}

/** Each position's logit of its target where the target falls in the piece, else 0: [N]. */
function targetLogit(logits: tf.Tensor2D, targets: tf.Tensor1D, start: number, size: number): tf.Tensor1D {
  return tf.sum(tf.mul(logits, chunkOneHot(targets, start, size)), 1) as tf.Tensor1D;
}

/**
 * How a walk wants each piece's logits: 'rows', h W_p^T [N, Vp]; 'transposed', W_p h^T [Vp, N],
 * the layout of the WebGPU kernels. tfjs' WebGPU matmul has a vec4 path only when B is not
 * transposed: h W_p^T ran at 0.25 GFLOP/s on SwiftShader, W_p h^T at 0.40, and both backward
 * products on the transposed gradient are vec4 too (whatever the piece's size).
 */
type Layout = 'rows' | 'transposed';

/**
 * A piece's logits in `layout`, from hT = h^T where the product is taken transposed. On wasm
 * 'rows' are (W_p h^T)^T too: W_p h^T ran at 295 ms against h W_p^T's 377 for Qwen2.5's 4748-row
 * pieces at B4 x T256 (XNNPACK streams the product's right-hand matrix, h^T the small one, once
 * per block of output rows), and one copy turns it back.
 */
function pieceLogits(h: tf.Tensor2D, hT: tf.Tensor2D | null, wp: tf.Tensor2D, layout: Layout): tf.Tensor2D {
  if (!hT) return tf.matMul(h, wp, false, true);
  const logitsT = tf.matMul(wp, hT) as tf.Tensor2D;
  return layout === 'transposed' ? logitsT : (tf.transpose(logitsT) as tf.Tensor2D);
}

/**
 * Folds each vocabulary piece's logits (pieceLogits, in `layout`) into a running state, piece by
 * piece: one piece's logits alive at a time, each previous state freed once the next is made.
 */
function foldPieces<S extends tf.Tensor | tf.Tensor[]>(
  h: tf.Tensor2D,
  chunks: RowSlices,
  maxRows: number,
  step: (prev: S | null, logits: tf.Tensor2D, start: number, size: number, wp: tf.Tensor2D) => S,
  layout: Layout = 'rows',
): S {
  const viaT = layout === 'transposed' || tf.getBackend() === 'wasm';
  const hT = viaT ? (tf.transpose(h) as tf.Tensor2D) : null; // [C, N]
  let state: S | null = null;
  for (const c of chunks) {
    const pieces = piecesOf(c, maxRows);
    for (const p of pieces) {
      const prev: S | null = state;
      state = tf.tidy(() => {
        const wp = pieceWeight(c.weight as tf.Tensor2D, p, pieces.length === 1);
        return step(prev, pieceLogits(h, hT, wp, layout), p.start, p.size, wp);
      });
      if (prev) tf.dispose(prev);
    }
  }
  hT?.dispose();
  if (!state) throw new Error('chunkedLogits: no vocabulary chunks');
  return state;
}

/** Per-position negative log-likelihood [N], no gradient (evaluation, scoring). */
export function chunkedNll(h: tf.Tensor2D, chunks: RowSlices, targets: tf.Tensor1D, maxRows = LOSS_PIECE_ROWS): tf.Tensor1D {
  const [lse, tgt] = chunkedLogits(h, chunks, targets, maxRows);
  const nll = tf.sub(lse, tgt) as tf.Tensor1D;
  lse.dispose();
  tgt.dispose();
  return nll;
}

/**
 * The loss's statistics and dh for a frozen table (LoRA) in one walk over the vocabulary. With no
 * table gradient wanted, dh = (sum_v softmax_v W_v - W_target) / N needs no second walk: per
 * piece, as flash attention keeps its softmax, a running row maximum m, Z = sum exp(l - m) and
 * S = sum exp(l - m) W_v, rescaled by exp(m_old - m_new) when m grows; then dh N = S / Z - W_t.
 * The head's products fall from three a piece (logits, recomputed logits, g W) to two.
 * Returns [lse, tgt] as chunkedLogits does, and dh N [N, C].
 */
function frozenTableWalk(h: tf.Tensor2D, chunks: RowSlices, targets: tf.Tensor1D, maxRows: number): [tf.Tensor1D, tf.Tensor1D, tf.Tensor2D] {
  type Walk = [m: tf.Tensor1D, z: tf.Tensor1D, s: tf.Tensor2D, tgt: tf.Tensor1D];
  const [m, z, sum, tgt] = foldPieces<Walk>(h, chunks, maxRows, (prev, logits, start, size, wp) => {
    const pieceMax = tf.max(logits, 1) as tf.Tensor1D;
    const mNew = prev ? (tf.maximum(prev[0], pieceMax) as tf.Tensor1D) : pieceMax;
    const e = tf.exp(tf.sub(logits, tf.expandDims(mNew, 1))) as tf.Tensor2D; // [N, Vp], <= 1
    const hit = targetLogit(logits, targets, start, size);
    const pieceZ = tf.sum(e, 1) as tf.Tensor1D;
    const pieceS = tf.matMul(e, wp) as tf.Tensor2D; // [N, C]
    if (!prev) return [mNew, pieceZ, pieceS, hit];
    const rescale = tf.exp(tf.sub(prev[0], mNew)) as tf.Tensor1D; // [N], <= 1
    return [mNew, tf.add(tf.mul(prev[1], rescale), pieceZ) as tf.Tensor1D, tf.add(tf.mul(prev[2], tf.expandDims(rescale, 1)), pieceS) as tf.Tensor2D, tf.add(prev[3], hit) as tf.Tensor1D];
  });
  const [lse, dhN] = tf.tidy(() => [tf.add(m, tf.log(z)) as tf.Tensor1D, tf.sub(tf.div(sum, tf.expandDims(z, 1)), embeddingLookup(chunks, targets)) as tf.Tensor2D]);
  tf.dispose([m, z, sum]);
  return [lse, tgt, dhN];
}

/**
 * Mean next-token cross-entropy, differentiable in h and in every chunk's weight, or in h only
 * when `frozenTable` (LoRA: the head is frozen, so its [V, C] weight-gradient products are skipped).
 * `targets` [N] int32 is not differentiated (closed over, not an input of the custom op).
 */
export function chunkedCrossEntropy(
  h: tf.Tensor2D, // [N, C]
  chunks: RowSlices,
  targets: tf.Tensor1D, // [N] int32
  maxRows = LOSS_PIECE_ROWS,
  frozenTable = false,
): tf.Scalar {
  const N = h.shape[0];
  if (frozenTable && !webgpuLoss()) {
    // One walk: the forward leaves dh ready (frozenTableWalk), the backward only scales it.
    const frozen = tf.customGrad(((hIn: tf.Tensor2D, save: tf.GradSaveFunc) => {
      const [lse, tgt, dhN] = frozenTableWalk(hIn, chunks, targets, maxRows);
      save([dhN]);
      const value = tf.mean(tf.sub(lse, tgt)) as tf.Scalar;
      tf.dispose([lse, tgt, dhN]); // save kept its own copy
      return { value, gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.mul(saved[0], tf.div(dy, N))] };
    }) as unknown as Parameters<typeof tf.customGrad>[0]);
    return frozen(h) as tf.Scalar;
  }
  const op = tf.customGrad(((...args: unknown[]) => {
    const save = args.pop() as tf.GradSaveFunc;
    const [hIn, ...inputs] = args as tf.Tensor2D[]; // args no longer holds save
    const ws = frozenTable ? chunks.map((c) => c.weight) : inputs;
    const [lse, tgt] = chunkedLogits(hIn, chunks.map((c, i) => ({ ...c, weight: ws[i] })), targets, maxRows);
    // The forward pass runs in a tidy that frees h once it returns: keep what backward reads
    // (clones share storage): the softmax normaliser lse [N], h, and any weight that is not a
    // variable (variables outlive the step).
    save([lse, hIn, ...ws.filter((w) => !(w instanceof tf.Variable))]);
    const value = tf.mean(tf.sub(lse, tgt)) as tf.Scalar;
    lse.dispose();
    tgt.dispose();
    return {
      value,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [lseKept, hIn, ...kept] = saved as tf.Tensor2D[];
        const wsKept = ws.map((w) => (w instanceof tf.Variable ? w : kept.shift()!));
        const scale = tf.div(dy, N); // d loss / d logit carries 1/N from the mean
        const fused = webgpuLoss();
        const lseRow = fused ? null : lseKept.expandDims(0); // [1, N]
        const hT = tf.transpose(hIn) as tf.Tensor2D; // [C, N]: transposed logits
        let dh: tf.Tensor2D = tf.zerosLike(hIn);
        const dws: tf.Tensor[] = [];
        wsKept.forEach((w, i) => {
          const pieces = piecesOf(chunks[i], maxRows);
          const dwPieces: tf.Tensor[] = [];
          for (const p of pieces) {
            const [dw, nextDh] = tf.tidy(() => {
              const wp = pieceWeight(w, p, pieces.length === 1); // [Vp, C]
              const logits = pieceLogits(hIn, hT, wp, 'transposed'); // recomputed, [Vp, N]
              // (softmax within the full vocabulary - one-hot) * dy / N
              if (fused) {
                const gT = fused.pieceGrad(logits, lseKept as tf.Tensor as tf.Tensor1D, targets, p.start, scale); // [Vp, N]
                return [frozenTable ? null : tf.matMul(gT, hIn), tf.add(dh, tf.matMul(gT, wp, true, false))]; // [Vp, C], [N, C]
              }
              const gT = tf.mul(tf.sub(tf.exp(tf.sub(logits, lseRow!)), chunkOneHotT(targets, p.start, p.size)), scale); // [Vp, N]
              return [frozenTable ? null : tf.matMul(gT, hIn), tf.add(dh, tf.matMul(gT, wp, true, false))]; // [Vp, C], [N, C]
            });
            dh.dispose();
            dh = nextDh as tf.Tensor2D;
            if (dw) dwPieces.push(dw);
          }
          if (frozenTable) return;
          dws.push(dwPieces.length === 1 ? dwPieces[0] : tf.concat(dwPieces, 0)); // [Vc, C]
          if (dwPieces.length > 1) tf.dispose(dwPieces);
        });
        lseRow?.dispose();
        hT.dispose();
        scale.dispose();
        return [dh, ...dws];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return (frozenTable ? op(h) : op(h, ...chunks.map((c) => c.weight))) as tf.Scalar;
}
