// tfjs-backend-wasm's GatherV2 walks its output element by element with a stride computation per
// element: the embedding's lookup of 1024 rows of 896 floats took 27 ms a chunk (Qwen2.5-0.5B at
// B4 x T256, 32 chunks: 1.7 s of a 54 s step). Taking rows of a matrix is a copy of each row:
// this kernel does that for the one case the models use (a float32 matrix, axis 0, int32 ids in
// range) and hands every other case, and any out-of-range id, to tfjs' kernel unchanged.
import * as tf from '@tensorflow/tfjs';

type Info = tf.TensorInfo;
type Backend = { makeOutput(shape: number[], dtype: 'float32'): Info; typedArrayFromHeap(x: Info): Float32Array | Int32Array };
type GatherArgs = { inputs: { x: Info; indices: Info }; backend: Backend; attrs: { axis: number; batchDims: number } };

let patched = false;

/** Whether every id is a row of a `rows`-row matrix. */
function inRange(ids: Int32Array, rows: number): boolean {
  for (let i = 0; i < ids.length; i++) if (ids[i] < 0 || ids[i] >= rows) return false;
  return true;
}

/** Replaces the wasm backend's GatherV2 with one that copies whole rows where it can. Idempotent. */
export function patchWasmGather(): void {
  if (patched) return;
  const original = tf.getKernel('GatherV2', 'wasm');
  if (!original) return; // the wasm backend is not imported: nothing to patch
  const gather = original.kernelFunc as unknown as (args: GatherArgs) => Info;
  const rowGather = (args: GatherArgs): Info => {
    const { inputs: { x, indices }, backend, attrs: { axis, batchDims } } = args;
    const rowsCase = x.dtype === 'float32' && indices.dtype === 'int32' && x.shape.length === 2 && (axis === 0 || axis === -2) && batchDims === 0;
    if (!rowsCase || indices.shape.includes(0) || !inRange(backend.typedArrayFromHeap(indices) as Int32Array, x.shape[0])) return gather(args);
    const C = x.shape[1];
    const out = backend.makeOutput([...indices.shape, C], 'float32');
    // Views taken after makeOutput: a grown heap detaches the earlier ones.
    const ids = backend.typedArrayFromHeap(indices) as Int32Array;
    const src = backend.typedArrayFromHeap(x) as Float32Array;
    const dst = backend.typedArrayFromHeap(out) as Float32Array;
    for (let n = 0; n < ids.length; n++) dst.set(src.subarray(ids[n] * C, ids[n] * C + C), n * C);
    return out;
  };
  tf.unregisterKernel('GatherV2', 'wasm');
  tf.registerKernel({ ...original, kernelFunc: rowGather as unknown as tf.KernelFunc });
  patched = true;
}
