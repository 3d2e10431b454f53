// The wasm backend's row gather (src/lib/wasm-gather.ts) against tfjs' cpu backend: the rows of a
// matrix by id, and every case it hands back to tfjs' own kernel (other axes, dtypes, ranks,
// out-of-range ids) unchanged.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { importWasmBackend } from '../../src/lib/wasm-matmul.ts';
import { lcg } from '../helpers/synthetic.ts';

type Case = { x: [number[], Float32Array | Int32Array, 'float32' | 'int32']; ids: [number[], Int32Array]; axis: number };

/** tf.gather on `backend`, the values read back. */
async function gatherOn(backend: string, c: Case): Promise<{ shape: number[]; values: number[] }> {
  await tf.setBackend(backend);
  const out = tf.tidy(() => tf.gather(tf.tensor(c.x[1], c.x[0], c.x[2]), tf.tensor(c.ids[1], c.ids[0], 'int32'), c.axis));
  const r = { shape: out.shape, values: Array.from(await out.data()) };
  out.dispose();
  return r;
}

const values = (n: number, seed: number) => Float32Array.from({ length: n }, lcg(seed));
const ids = (n: number, rows: number, seed: number) => {
  const rand = lcg(seed);
  return Int32Array.from({ length: n }, () => Math.floor(((rand() + 1) / 2) * rows));
};

describe('wasm GatherV2 with the row copy', () => {
  beforeAll(async () => {
    await importWasmBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    return () => tf.setBackend('cpu');
  });

  it('is the kernel tfjs runs for GatherV2 on wasm', () => {
    expect(tf.getKernel('GatherV2', 'wasm')?.kernelFunc.name).toBe('rowGather');
  });

  const cases: [string, Case][] = [
    ['rows of a matrix (the embedding lookup), repeats included', { x: [[50, 7], values(350, 1), 'float32'], ids: [[40], ids(40, 50, 2)], axis: 0 }],
    ['rows, axis -2', { x: [[9, 3], values(27, 3), 'float32'], ids: [[5], Int32Array.from([8, 0, 0, 4, 8])], axis: -2 }],
    ['rows by a 2-D id matrix', { x: [[9, 3], values(27, 4), 'float32'], ids: [[2, 3], Int32Array.from([1, 2, 3, 8, 7, 6])], axis: 0 }],
    ['columns (tfjs kernel)', { x: [[4, 6], values(24, 5), 'float32'], ids: [[3], Int32Array.from([5, 0, 2])], axis: 1 }],
    ['int32 rows (tfjs kernel)', { x: [[4, 2], Int32Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 'int32'], ids: [[2], Int32Array.from([3, 1])], axis: 0 }],
    ['rank 3 (tfjs kernel)', { x: [[3, 2, 2], values(12, 6), 'float32'], ids: [[2], Int32Array.from([2, 0])], axis: 0 }],
  ];
  it.each(cases)('%s: equals the cpu backend', async (_, c) => {
    const want = await gatherOn('cpu', c);
    const got = await gatherOn('wasm', c);
    expect(got).toEqual(want);
  });

  it('leaves no tensor behind', () => {
    const x = tf.tensor2d(values(60, 7), [20, 3]);
    const i = tf.tensor1d([3, 19, 0], 'int32');
    const before = tf.memory().numTensors;
    tf.dispose(tf.gather(x, i));
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, i]);
  });
});
