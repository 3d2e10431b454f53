// The tied token embedding / output head, split into vocabulary chunks so that no single
// tensor (and so no GPU buffer) exceeds the device's maxStorageBufferBindingSize: 50257 x 768
// floats is 154 MB, more than the 128 MiB many phones and laptops allow.
//
// The lookup is a gather per chunk with clipped ids and a mask. Its gradient is written by
// hand (tf.customGrad) as a scatter-add (tf.scatterND sums duplicate rows) because tfjs'
// own gather gradient uses UnsortedSegmentSum, which the wasm backend lacks; ScatterNd
// exists on cpu, wasm, webgl and webgpu. No one-hot matrix is ever built.
import * as tf from '@tensorflow/tfjs';
import { gpuChunkedLookup } from '../webgpu/embedding.ts';
import type { RowSlices } from './family.ts';

/** One row slice of a vocabulary table. */
type Slice = RowSlices[number];

const F32 = 4;

/**
 * Chunk sizes for a [V, C] float32 matrix under `maxBufferBytes`: as few as possible, equal but
 * for the last, and a multiple of 4 rows where the limit allows. tfjs' WebGPU matmul takes its
 * vec4 path only when the sizes it walks are multiples of 4: with 3866-row chunks (distilgpt2's
 * 50257 / 13) both backward products of the tied head, g W and g^T h, ran at half the speed of
 * 3868-row ones on SwiftShader.
 */
export function vocabChunkSizes(V: number, C: number, maxBufferBytes: number): number[] {
  const maxRows = Math.max(1, Math.floor(maxBufferBytes / (C * F32)));
  const n = Math.ceil(V / maxRows);
  const even = Math.ceil(V / n);
  const aligned = Math.ceil(even / 4) * 4;
  const base = aligned <= maxRows ? aligned : even;
  const sizes: number[] = [];
  for (let start = 0; start < V; start += base) sizes.push(Math.min(base, V - start));
  return sizes;
}

/** Looks rows of one chunk up; rows whose id falls outside the chunk come back as zeros. */
function lookupChunk(chunk: Slice, ids: tf.Tensor1D, whole: boolean): tf.Tensor2D {
  const { start, size } = chunk;
  // Intermediates here are freed by the enclosing tidy (forward) or the tape's (backward).
  const local = (ids: tf.Tensor1D) => {
    const shifted = start === 0 ? ids : tf.sub(ids, tf.scalar(start, 'int32')); // [N]
    const clipped = (whole ? shifted : tf.minimum(tf.maximum(shifted, tf.scalar(0, 'int32')), tf.scalar(size - 1, 'int32'))) as tf.Tensor1D; // [N] in [0, size)
    const mask = whole
      ? null
      : (tf.logicalAnd(tf.greaterEqual(shifted, tf.scalar(0, 'int32')), tf.less(shifted, tf.scalar(size, 'int32'))).cast('float32').expandDims(1) as tf.Tensor2D); // [N, 1]
    return { clipped, mask };
  };
  const C = chunk.weight.shape[1] as number;
  const f = tf.customGrad(((w: tf.Tensor, idsIn: tf.Tensor, save: tf.GradSaveFunc) => {
    save([idsIn]);
    const { clipped, mask } = local(idsIn as tf.Tensor1D);
    const rows = tf.gather(w, clipped); // [N, C]
    const value = mask ? tf.mul(rows, mask) : rows;
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const { clipped, mask } = local(saved[0] as tf.Tensor1D);
        const g = mask ? tf.mul(dy as tf.Tensor, mask) : (dy as tf.Tensor); // [N, C], zero where id is elsewhere
        const dw = tf.scatterND(clipped.expandDims(1), g, [size, C]); // [size, C], duplicates summed
        // ids are integers: never differentiated (the tape prunes them), but a gradient is required.
        return [dw, tf.zerosLike(saved[0])];
      },
    };
  }) as unknown as Parameters<typeof tf.customGrad>[0]);
  return f(chunk.weight, ids) as tf.Tensor2D;
}

/** wte[ids] over the chunks: ids [N] int32 -> [N, C]. */
export function embeddingLookup(chunks: RowSlices, ids: tf.Tensor1D): tf.Tensor2D {
  return tf.tidy(() => {
    const fused = gpuChunkedLookup([...chunks], ids);
    if (fused) return fused;
    if (chunks.length === 1) return lookupChunk(chunks[0], ids, true);
    let out = lookupChunk(chunks[0], ids, false);
    for (let i = 1; i < chunks.length; i++) out = tf.add(out, lookupChunk(chunks[i], ids, false));
    return out; // [N, C]
  });
}

/** Logits of the tied head: h [N, C] -> [N, V], one vocabulary chunk at a time. */
export function headLogits(chunks: RowSlices, h: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const parts = chunks.map((c) => tf.matMul(h, c.weight, false, true)); // [N, Vc] each
    return (parts.length === 1 ? parts[0] : tf.concat(parts, 1)) as tf.Tensor2D; // [N, V]
  });
}
