// The wasm backend's matmul rewrite (src/lib/wasm-matmul.ts): every plan must give the same
// product as tfjs' cpu backend, for every combination of transposes, and free its copies.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { importWasmBackend, innerBlocks, planMatMul } from '../../src/lib/wasm-matmul.ts';
import { lcg } from '../helpers/synthetic.ts';

/** Deterministic values in [-1, 1) so the cpu and wasm runs see the same inputs. */
function values(n: number, seed: number): Float32Array {
  const rand = lcg(seed);
  return Float32Array.from({ length: n }, rand);
}

async function product(backend: string, a: [number[], Float32Array], b: [number[], Float32Array], ta: boolean, tb: boolean) {
  await tf.setBackend(backend);
  const out = tf.tidy(() => tf.matMul(tf.tensor(a[1], a[0]), tf.tensor(b[1], b[0]), ta, tb));
  const data = (await out.data()) as Float32Array;
  out.dispose();
  return data;
}

describe('planMatMul', () => {
  it('keeps plain products, swaps a thin product against a tall matrix, copies inputs for square ones', () => {
    expect(planMatMul(1024, 768, 3072, false, false)).toBe('as-is'); // tfjs' own fast path
    expect(planMatMul(32, 64, 7180, false, true)).toBe('swap'); // the tied head h W^T
    expect(planMatMul(768, 1024, 3072, true, false)).toBe('transpose-inputs'); // dW = x^T dy
    expect(planMatMul(1024, 3072, 768, false, true)).not.toBe('as-is'); // dx = dy W^T
    expect(planMatMul(256, 64, 256, false, true, 48)).not.toBe('as-is'); // attention scores, split per head
    expect(planMatMul(2, 2, 2, false, false, 48)).toBe('as-is'); // too small to split
  });

  it('cuts the inner size where op(b) outgrows the cache: the loss piece and MLP of Qwen2.5, not of distilgpt2', () => {
    expect(innerBlocks(4748, 896)).toBe(2); // dh = g W_p, 17 MB
    expect(innerBlocks(4864, 896)).toBe(2); // down_proj's input gradient
    expect(innerBlocks(3868, 768)).toBe(1); // distilgpt2's piece, 12 MB: halves gained nothing
    expect(innerBlocks(3072, 768)).toBe(1);
    expect(innerBlocks(5000, 1100)).toBe(3);
  });
});

describe('wasm BatchMatMul with planned transposes', () => {
  beforeAll(async () => {
    await importWasmBackend();
    expect(await tf.setBackend('wasm')).toBe(true);
    return () => tf.setBackend('cpu');
  });

  // [M, K, N]: one row (generation), thin (the head), square-ish (linear layers), wide inner.
  // The last two: op(b) over SPLIT_BYTES, summed over 2 and 3 slices of K (innerBlocks).
  const sizes: [number, number, number][] = [[1, 48, 300], [5, 16, 700], [33, 64, 257], [96, 80, 96], [40, 300, 24], [3, 4099, 1000], [7, 5000, 1100]];
  for (const [M, K, N] of sizes) {
    for (const [ta, tb] of [[false, false], [false, true], [true, false], [true, true]] as const) {
      it(`${M}x${K}x${N} transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
        const a: [number[], Float32Array] = [ta ? [K, M] : [M, K], values(M * K, M + K)];
        const b: [number[], Float32Array] = [tb ? [N, K] : [K, N], values(K * N, K + N + 1)];
        const live = () => tf.engine().backend.numDataIds(); // kernel temporaries too, not only tensors
        const before = live();
        const got = await product('wasm', a, b, ta, tb);
        expect(live()).toBe(before);
        const want = await product('cpu', a, b, ta, tb);
        await tf.setBackend('wasm');
        let worst = 0;
        for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])));
        expect(got.length).toBe(M * N);
        // Two float32 sums over K terms in different orders drift apart with K (5e-5 at K = 4099);
        // a slice of K lost or counted twice would be off by a third or more.
        expect(worst).toBeLessThan(1e-5 * Math.max(1, K / 400));
      });
    }
  }

  // Attention's [B, nh, T, hs] products (split into 2-D items), a rank-3 batch, and a broadcast batch (left to tfjs).
  const batched: [number[], number[], boolean, boolean][] = [
    [[2, 3, 40, 16], [2, 3, 40, 16], false, true], // q k^T
    [[2, 3, 40, 40], [2, 3, 40, 16], false, false], // att v
    [[2, 3, 40, 40], [2, 3, 40, 16], true, false], // its gradients
    [[2, 3, 40, 16], [2, 3, 16, 40], false, false],
    [[5, 7, 9], [5, 9, 11], false, false],
    [[3, 33, 20], [1, 20, 17], false, false],
  ];
  for (const [sa, sb, ta, tb] of batched) {
    it(`batched ${sa} x ${sb} transposeA=${ta} transposeB=${tb} matches cpu`, async () => {
      const size = (s: number[]) => s.reduce((n, d) => n * d, 1);
      const a: [number[], Float32Array] = [sa, values(size(sa), 3)];
      const b: [number[], Float32Array] = [sb, values(size(sb), 4)];
      const live = () => tf.engine().backend.numDataIds();
      const before = live();
      const got = await product('wasm', a, b, ta, tb);
      expect(live()).toBe(before);
      const want = await product('cpu', a, b, ta, tb);
      await tf.setBackend('wasm');
      expect(got.length).toBe(want.length);
      expect(Math.max(...Array.from(got).map((x, i) => Math.abs(x - want[i]) / (1 + Math.abs(want[i]))))).toBeLessThan(1e-5);
    });
  }

  it('gradients through a transposed product match cpu', async () => {
    const a = values(12 * 20, 9);
    const b = values(30 * 20, 10);
    const grads = async (backend: string) => {
      await tf.setBackend(backend);
      const [ga, gb] = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.square(tf.matMul(x, y, false, true))))([tf.tensor(a, [12, 20]), tf.tensor(b, [30, 20])]);
      const out = [(await ga.data()) as Float32Array, (await gb.data()) as Float32Array];
      tf.dispose([ga, gb]);
      return out;
    };
    const [wa, wb] = await grads('cpu');
    const [ga, gb] = await grads('wasm');
    const rel = (x: Float32Array, y: Float32Array) => Math.max(...Array.from(x).map((v, i) => Math.abs(v - y[i]) / (1 + Math.abs(y[i]))));
    expect(rel(ga, wa)).toBeLessThan(1e-5);
    expect(rel(gb, wb)).toBeLessThan(1e-5);
  });
});
