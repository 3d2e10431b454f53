// tfjs' wasm backend multiplies with XNNPACK (SIMD, threads) only when neither input is
// transposed and both have batch size 1; every other matmul falls to a scalar, single-thread
// triple loop, 10-30x slower (tfjs-backend-wasm cc/kernels/BatchMatMul.cc). Training asks
// for transposes everywhere: the tied head h W^T, and the backward pass of every linear
// layer (dA = dy B^T, dB = A^T dy); attention's products are batched over [B, nh]. So on
// wasm a matmul with a transposed input is rewritten into explicit Transposes (memory
// copies) around the fast path, and a batched one into one 2-D product per batch item,
// choosing the cheapest rewrite from a rough cost model, or keeping tfjs' kernel when the
// copies would cost more than they save (a tiny product against a big matrix).
import * as tf from '@tensorflow/tfjs';
import { patchWasmGather } from './wasm-gather.ts';

type Info = tf.TensorInfo;
// The wasm backend's own kernel helpers: a fresh output in its heap, and a view of a tensor's bytes.
type Backend = { disposeData(id: object): void; makeOutput(shape: number[], dtype: 'float32'): Info; typedArrayFromHeap(x: Info): Float32Array };
type MatMulArgs = { inputs: { a: Info; b: Info }; backend: Backend; attrs: { transposeA: boolean; transposeB: boolean } };

// Rough costs in ns (measured on a 2-core EPYC, 2026-11): a multiply-add in the slow loop
// and in XNNPACK, copying one element in Transpose, and XNNPACK packing one element of its
// weight matrix (it packs b on every call with a new b tensor).
const SLOW_MAC = 0.8;
const FAST_MAC = 0.1;
const COPY = 9;
const PACK = 4;
const MEMCPY = 1; // a contiguous copy (one batch item in or out)
const CALL = 40_000; // one fast-path product: XNNPACK creates (and packs) an operator each time

/**
 * XNNPACK streams the whole packed right-hand matrix op(b) [K, N] once per block of output rows;
 * past the CPU's cache that costs a fifth of the product. Measured on the 2-core EPYC at M = 1024:
 * a 17 MB op(b) (Qwen2.5-0.5B's loss piece, 4748 x 896, and its MLP's 4864 x 896) ran at 19-21
 * GFLOP/s whole and 345-365 ms instead of 413-456 as two products over halves of K summed; at
 * 12 MB (distilgpt2's pieces, 3868 x 768) halves gained nothing (bench/matmul-split.ts). So past SPLIT_BYTES the inner
 * size is cut into blocks whose op(b) holds at most BLOCK_BYTES, and their products are summed.
 */
const SPLIT_BYTES = 14 * 2 ** 20;
const BLOCK_BYTES = 10 * 2 ** 20;

/** What bench/matmul-split.ts switches off to time the whole products against the split ones. */
export const wasmMatMulOptions = { splitInner: true };

/** Blocks to cut a product's inner size K into (1: whole). */
export function innerBlocks(K: number, N: number): number {
  const bytes = 4 * K * N;
  return bytes > SPLIT_BYTES && wasmMatMulOptions.splitInner ? Math.min(Math.ceil(bytes / BLOCK_BYTES), Math.floor(K / 256)) : 1;
}

/**
 * How to compute a product: 'as-is' hands it to tfjs' kernel unchanged; the others take the
 * fast path after copying transposed inputs into place ('transpose-inputs'; for a batch item
 * with no transposes, no copy at all) or computing the transposed product ('swap').
 */
export type MatMulPlan = 'as-is' | 'transpose-inputs' | 'swap';

/**
 * Chooses for out[M, N] = op(a) op(b) with inner size K. 'transpose-inputs' copies each
 * transposed input into place; 'swap' computes out^T = op(b)^T op(a)^T, which needs b
 * untransposed-as-stored when b was transposed, and copies the [N, M] result once.
 */
export function planMatMul(M: number, K: number, N: number, transposeA: boolean, transposeB: boolean, batch = 1): MatMulPlan {
  if (batch === 1 && !transposeA && !transposeB) return 'as-is'; // the original kernel already takes the fast path
  const slow = SLOW_MAC * M * K * N;
  // A batch is split into 2-D products: each item's inputs and output are copied once more.
  const fast = CALL + FAST_MAC * M * K * N + (batch > 1 ? MEMCPY * (M * K + K * N + M * N) : 0);
  // transpose-inputs: copy what is transposed, pack b (a fresh tensor when it was copied).
  const inputs = fast + (transposeA ? COPY * M * K : 0) + (transposeB ? COPY * K * N : 0) + PACK * K * N;
  // swap: out^T[N, M] = b' a' where b' = op(b)^T (as stored when transposeB) and a' = op(a)^T
  // (as stored when transposeA); copies the untransposed one(s) and the result, packs a'.
  const swap = fast + (transposeB ? 0 : COPY * K * N) + (transposeA ? 0 : COPY * M * K) + PACK * K * M + COPY * M * N;
  const best = Math.min(slow, inputs, swap); // with no transposes, 'inputs' copies nothing (a batch item)
  return best === slow ? 'as-is' : best === swap ? 'swap' : 'transpose-inputs';
}

let patched = false;

/** Batch size of a shape (1 for a plain matrix). */
const batchOf = (shape: readonly number[]) => shape.slice(0, -2).reduce((n, d) => n * d, 1);

/** Replaces the wasm backend's BatchMatMul with one that plans transposed products. Idempotent. */
export function patchWasmMatMul(): void {
  if (patched) return;
  const original = tf.getKernel('BatchMatMul', 'wasm');
  const transposeKernel = tf.getKernel('Transpose', 'wasm');
  if (!original || !transposeKernel) return; // the wasm backend is not imported: nothing to patch
  const matMul = original.kernelFunc as unknown as (args: MatMulArgs) => Info;
  const transposeK = transposeKernel.kernelFunc as unknown as (args: { inputs: { x: Info }; backend: Backend; attrs: { perm: number[] } }) => Info;
  const transpose2d = (x: Info, backend: Backend) => transposeK({ inputs: { x }, backend, attrs: { perm: [1, 0] } });

  /** op(a) op(b) for matrices, by plan; frees every temporary. */
  const product2d = (a: Info, b: Info, transposeA: boolean, transposeB: boolean, backend: Backend, plan: MatMulPlan): Info => {
    const temps: Info[] = [];
    const t = (x: Info) => {
      const y = transpose2d(x, backend);
      temps.push(y);
      return y;
    };
    const plain = (x: Info, y: Info) => matMul({ inputs: { a: x, b: y }, backend, attrs: { transposeA: false, transposeB: false } });
    let out: Info;
    if (plan === 'as-is') {
      out = matMul({ inputs: { a, b }, backend, attrs: { transposeA, transposeB } });
    } else if (plan === 'transpose-inputs') {
      out = plain(transposeA ? t(a) : a, transposeB ? t(b) : b);
    } else {
      // out^T = op(b)^T op(a)^T: op(b)^T is b as stored when transposeB, else b's transpose.
      const outT = plain(transposeB ? b : t(b), transposeA ? a : t(a)); // [N, M]
      temps.push(outT);
      out = transpose2d(outT, backend);
    }
    for (const x of temps) backend.disposeData(x.dataId);
    return out;
  };

  /** x's elements [from, from + size of shape), copied into a fresh matrix of that shape: a batch item, or rows. */
  const copyRange = (x: Info, from: number, shape: [number, number], backend: Backend): Info => {
    const y = backend.makeOutput(shape, 'float32'); // may grow the heap: take views after it
    backend.typedArrayFromHeap(y).set(backend.typedArrayFromHeap(x).subarray(from, from + shape[0] * shape[1]));
    return y;
  };
  /** Rows [r0, r0 + n) of a stored matrix. */
  const rowsOf = (x: Info, r0: number, n: number, backend: Backend): Info => copyRange(x, r0 * x.shape[1], [n, x.shape[1]], backend);
  /** Columns [c0, c0 + n) of a stored matrix, copied row by row. */
  const colsOf = (x: Info, c0: number, n: number, backend: Backend): Info => {
    const [r, c] = x.shape;
    const y = backend.makeOutput([r, n], 'float32');
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(y);
    for (let i = 0; i < r; i++) dst.set(src.subarray(i * c + c0, i * c + c0 + n), i * n);
    return y;
  };

  /** op(a) op(b) as the sum of `blocks` products over slices of the inner size K (see SPLIT_BYTES). */
  const splitProduct = (a: Info, b: Info, transposeA: boolean, transposeB: boolean, backend: Backend, M: number, K: number, N: number, blocks: number): Info => {
    const kb = Math.ceil(K / blocks);
    let out: Info | null = null;
    for (let k0 = 0; k0 < K; k0 += kb) {
      const n = Math.min(kb, K - k0);
      // Each block as stored: op(a)'s columns k0.. are a's rows when a is transposed; op(b)'s rows are b's columns when b is.
      const ai = transposeA ? rowsOf(a, k0, n, backend) : colsOf(a, k0, n, backend);
      const bi = transposeB ? colsOf(b, k0, n, backend) : rowsOf(b, k0, n, backend);
      const part = product2d(ai, bi, transposeA, transposeB, backend, planMatMul(M, n, N, transposeA, transposeB));
      backend.disposeData(ai.dataId);
      backend.disposeData(bi.dataId);
      if (!out) {
        out = part;
        continue;
      }
      const acc = backend.typedArrayFromHeap(out);
      const add = backend.typedArrayFromHeap(part);
      for (let i = 0; i < acc.length; i++) acc[i] += add[i];
      backend.disposeData(part.dataId);
    }
    return out!;
  };

  const kernelFunc = (args: MatMulArgs): Info => {
    const { inputs: { a, b }, backend, attrs: { transposeA, transposeB } } = args;
    const [ra, ca] = a.shape.slice(-2);
    const [rb, cb] = b.shape.slice(-2);
    const [M, K] = transposeA ? [ca, ra] : [ra, ca];
    const N = transposeB ? rb : cb;
    const batch = batchOf(a.shape);
    if (batch !== batchOf(b.shape)) return matMul(args); // broadcast batches: the original kernel
    if (batch === 1) {
      const [a2, b2] = [{ ...a, shape: [ra, ca] }, { ...b, shape: [rb, cb] }];
      const blocks = a.dtype === 'float32' && b.dtype === 'float32' ? innerBlocks(K, N) : 1;
      if (blocks > 1) return splitProduct(a2, b2, transposeA, transposeB, backend, M, K, N, blocks);
      return product2d(a2, b2, transposeA, transposeB, backend, planMatMul(M, K, N, transposeA, transposeB));
    }
    const plan = planMatMul(M, K, N, transposeA, transposeB, batch);
    if (plan === 'as-is') return matMul(args);
    // Batched (attention's [B, nh, T, hs] products): one 2-D product per batch item, each
    // copied straight from and into the heap (tfjs' Slice would copy the whole input each time).
    const out = backend.makeOutput([batch * M, N], 'float32');
    const itemPlan = planMatMul(M, K, N, transposeA, transposeB);
    for (let i = 0; i < batch; i++) {
      const ai = copyRange(a, i * ra * ca, [ra, ca], backend);
      const bi = copyRange(b, i * rb * cb, [rb, cb], backend);
      const oi = product2d(ai, bi, transposeA, transposeB, backend, itemPlan);
      backend.typedArrayFromHeap(out).set(backend.typedArrayFromHeap(oi), i * M * N);
      for (const x of [ai, bi, oi]) backend.disposeData(x.dataId);
    }
    out.shape = [...a.shape.slice(0, -2), M, N];
    return out;
  };
  tf.unregisterKernel('BatchMatMul', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: kernelFunc as unknown as tf.KernelFunc });
  patched = true;
}

/** Imports tfjs' wasm backend with the planned matmul and the row gather in place; returns the module (for setWasmPaths). */
export async function importWasmBackend(): Promise<typeof import('@tensorflow/tfjs-backend-wasm')> {
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  patchWasmMatMul();
  patchWasmGather();
  return wasm;
}
