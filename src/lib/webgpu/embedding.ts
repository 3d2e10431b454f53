// The chunked embedding lookup (embedding.ts) as WebGPU kernels of our own: one dispatch per
// vocabulary chunk forward, where tfjs ops take nine (shift, clip, mask, gather, multiply) plus
// an add, and three backward instead of ten. distilgpt2 has 13 chunks and a training step
// looks them up three times (forward, recomputed forward, backward): ~300 dispatches fewer,
// on a GPU where each dispatch costs more CPU time than its arithmetic costs GPU time.
import * as tf from '@tensorflow/tfjs';
import { elementwise, registerWebGPUKernel, runKernel, runProgram, webgpuKernels } from './programs.ts';

const GATHER = 'TweetforgeChunkGather';
const GATHER_ADD = 'TweetforgeChunkGatherAdd';
const LOCAL_IDS = 'TweetforgeChunkLocalIds';
const MASK_ROWS = 'TweetforgeChunkMaskRows';

interface ChunkAttrs {
  start: number;
  size: number;
}

const chunkUniforms = ({ start, size }: ChunkAttrs, C?: number) => [
  { name: 'start', type: 'i32' as const, value: start },
  { name: 'rows', type: 'i32' as const, value: size },
  ...(C === undefined ? [] : [{ name: 'C', type: 'i32' as const, value: C }]),
];

// out[n, c] = (PREV[n, c] +) W[id - start, c] when start <= id < start + rows, else (PREV or) 0.
const gatherCode = (add: boolean) =>
  elementwise(`
    let n = index / uniforms.C;
    let local = IDS[n] - uniforms.start;
    var v = 0.0;
    if (local >= 0 && local < uniforms.rows) {
      v = W[local * uniforms.C + index % uniforms.C];
    }
    setOutputAtIndex(index, ${add ? 'PREV[index] + v' : 'v'});`);

const ready = webgpuKernels('embedding', () => {
  for (const add of [false, true]) {
    registerWebGPUKernel(add ? GATHER_ADD : GATHER, ({ inputs, attrs, backend }) => {
      const { prev, w, ids } = inputs as Record<'prev' | 'w' | 'ids', tf.TensorInfo>;
      const C = w.shape[1];
      return runProgram(backend, {
        key: add ? 'chunk_gather_add' : 'chunk_gather',
        inputs: add ? { PREV: prev, W: w, IDS: ids } : { W: w, IDS: ids },
        shape: [ids.shape[0], C],
        uniforms: chunkUniforms(attrs as unknown as ChunkAttrs, C),
        code: gatherCode(add),
      });
    });
  }
  // Backward: rows of dy whose id is in the chunk, scattered (summed) onto the chunk's rows.
  registerWebGPUKernel(LOCAL_IDS, ({ inputs, attrs, backend }) =>
    runProgram(backend, {
      key: 'chunk_local_ids',
      inputs: { IDS: (inputs as { ids: tf.TensorInfo }).ids },
      shape: [(inputs as { ids: tf.TensorInfo }).ids.shape[0], 1],
      uniforms: chunkUniforms(attrs as unknown as ChunkAttrs),
      code: elementwise('setOutputAtIndexI32(index, clamp(IDS[index] - uniforms.start, 0, uniforms.rows - 1));'),
      dtype: 'int32',
    }),
  );
  registerWebGPUKernel(MASK_ROWS, ({ inputs, attrs, backend }) => {
    const { dy, ids } = inputs as Record<'dy' | 'ids', tf.TensorInfo>;
    const C = dy.shape[1];
    return runProgram(backend, {
      key: 'chunk_mask_rows',
      inputs: { DY: dy, IDS: ids },
      shape: dy.shape,
      uniforms: chunkUniforms(attrs as unknown as ChunkAttrs, C),
      code: elementwise(`
        let local = IDS[index / uniforms.C] - uniforms.start;
        setOutputAtIndex(index, select(0.0, DY[index], local >= 0 && local < uniforms.rows));`),
    });
  });
  for (const name of [GATHER, GATHER_ADD]) {
    tf.registerGradient({
      kernelName: name,
      inputsToSave: ['ids'],
      gradFunc: (dy, saved, attrs) => {
        const [ids] = saved;
        const { start, size } = attrs as unknown as ChunkAttrs;
        const C = (dy as tf.Tensor).shape[1] as number;
        const run = (k: string, inputs: tf.NamedTensorMap) => runKernel(k, inputs, { start, size });
        return {
          prev: () => dy as tf.Tensor,
          w: () => tf.scatterND(run(LOCAL_IDS, { ids }), run(MASK_ROWS, { dy: dy as tf.Tensor, ids }), [size, C]),
          ids: () => tf.zerosLike(ids),
        };
      },
    });
  }
});

/**
 * wte[ids] over vocabulary chunks ({start, size, weight [size, C]}) in one dispatch per chunk
 * when tfjs runs on WebGPU and the kernel passed the self-check, else null (embedding.ts then
 * uses tfjs ops). ids [N] int32.
 */
export function gpuChunkedLookup(chunks: { start: number; size: number; weight: tf.Tensor }[], ids: tf.Tensor1D): tf.Tensor2D | null {
  if (!ready() || ids.dtype !== 'int32') return null;
  let out: tf.Tensor | null = null;
  for (const { start, size, weight: w } of chunks) {
    const attrs = { start, size };
    out = out ? runKernel(GATHER_ADD, { prev: out, w, ids }, attrs) : runKernel(GATHER, { w, ids }, attrs);
  }
  return out as tf.Tensor2D;
}
