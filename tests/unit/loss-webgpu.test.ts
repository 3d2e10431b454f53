// The chunked cross-entropy on WebGPU runs kernels of our own on transposed logits
// (src/lib/webgpu/loss.ts); on the cpu backend, tfjs ops on whole logits are the reference. Shapes are
// chosen to reach every edge of the kernels: 70 positions (four full workgroups of 16 and a
// partial one, and not a multiple of 4, so tfjs takes its scalar matmul), uneven chunks cut
// into uneven pieces, and targets on the first and last row of a piece.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { chunkedCrossEntropy, chunkedNll } from '../../src/lib/model/loss.ts';

const available = await setupNodeWebGPU();
const N = 70, C = 12, V = 1000, CHUNK = 300, PIECE = 128;

function data(n: number, seed: number, scale: number): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => (((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1) * scale);
}
const TARGETS = Array.from({ length: N }, (_, i) => (i * 337 + 5) % V);
TARGETS.splice(0, 4, 0, 127, 128, V - 1); // a piece's first and last rows, the vocabulary's last

/** Loss, dL/dh, dL/dW and per-position NLL of the chunked loss on `backend`. */
async function run(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const h = tf.tensor2d(data(N * C, 2, 2), [N, C]);
  const w = tf.tensor2d(data(V * C, 1, 0.5), [V, C]);
  const targets = tf.tensor1d(TARGETS, 'int32');
  const chunks: { start: number; size: number; weight: tf.Variable<tf.Rank.R2> }[] = [];
  for (let start = 0; start < V; start += CHUNK) {
    const size = Math.min(CHUNK, V - start);
    const rows = tf.slice(w, [start, 0], [size, -1]) as tf.Tensor2D;
    chunks.push({ start, size, weight: tf.variable(rows) });
    rows.dispose(); // the variable holds its own reference
  }
  const { value, grads } = tf.valueAndGrads((x: tf.Tensor) => chunkedCrossEntropy(x as tf.Tensor2D, chunks, targets, PIECE))([h]);
  const dW = tf.variableGrads(() => chunkedCrossEntropy(h, chunks, targets, PIECE), chunks.map((c) => c.weight));
  const dWhole = tf.concat(chunks.map((c) => dW.grads[c.weight.name]), 0);
  const nll = chunkedNll(h, chunks, targets, PIECE);
  const out = await Promise.all([value, grads[0], dWhole, nll].map((t) => t.data() as Promise<Float32Array>));
  tf.dispose([h, w, targets, value, grads[0], dWhole, nll, dW.value, ...Object.values(dW.grads), ...chunks.map((c) => c.weight)]);
  return out;
}

describe.skipIf(!available)('chunked cross-entropy on WebGPU (transposed logits)', () => {
  it('equals the cpu backend in value, per-position NLL, dL/dh and dL/dW, and frees what it makes', async () => {
    const cpu = await run('cpu');
    const live = tf.memory().numTensors;
    const gpu = await run('webgpu');
    expect(tf.memory().numTensors).toBe(live); // nothing left behind (h^T, pieces, gradients)
    const names = ['loss', 'dL/dh', 'dL/dW', 'per-position NLL'];
    cpu.forEach((want, k) => {
      let worst = 0;
      for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(gpu[k][i] - want[i]) / Math.max(1e-3, Math.abs(want[i])));
      expect(worst, names[k]).toBeLessThan(1e-4);
    });
  });
});
