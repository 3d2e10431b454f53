// Dropout with the mask hashed in a WebGPU shader (Node + Dawn on SwiftShader): the drop rate,
// the inverted scaling, the same mask for the same seed (forward, backward and a recomputed
// forward), and a tensor big enough that its dispatch is split over two dimensions.
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { gpuDropout } from '../../src/lib/webgpu/dropout.ts';

const available = await setupNodeWebGPU();

describe.skipIf(!available)('gpuDropout on the WebGPU backend', () => {
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    await tf.ready();
  });

  const drop = (x: tf.Tensor, rate: number, seed: number) => gpuDropout(x, rate, seed)!;

  it('drops about `rate` of the elements and scales the rest by 1 / (1 - rate)', async () => {
    const n = 200_000;
    const x = tf.range(1, n + 1, 1, 'float32');
    for (const rate of [0.1, 0.5]) {
      const y = await drop(x, rate, 7).data();
      let dropped = 0;
      for (let i = 0; i < n; i++) {
        if (y[i] === 0) dropped++;
        else expect(Math.abs(y[i] - (i + 1) / (1 - rate))).toBeLessThanOrEqual(1e-6 * y[i]);
      }
      const sigma = Math.sqrt(n * rate * (1 - rate));
      expect(Math.abs(dropped - n * rate)).toBeLessThan(5 * sigma);
    }
    x.dispose();
  });

  it('gives the same mask for the same seed and another for another seed', async () => {
    const x = tf.ones([64, 64]);
    const a = await drop(x, 0.3, 11).data();
    const b = await drop(x, 0.3, 11).data();
    const c = await drop(x, 0.3, 12).data();
    expect(Array.from(b)).toEqual(Array.from(a));
    let differ = 0;
    for (let i = 0; i < a.length; i++) if ((a[i] === 0) !== (c[i] === 0)) differ++;
    // Two independent masks at rate 0.3 disagree on 2 * 0.3 * 0.7 = 42 % of elements.
    expect(differ / a.length).toBeGreaterThan(0.35);
    expect(differ / a.length).toBeLessThan(0.49);
    x.dispose();
  });

  it('passes the gradient through the kept elements only, with the same scaling', async () => {
    const x = tf.randomNormal([32, 48], 0, 1, 'float32', 3);
    const w = tf.randomNormal([32, 48], 0, 1, 'float32', 4);
    const rate = 0.25;
    const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(drop(t, rate, 5), w)))(x);
    const [g, y, wv] = await Promise.all([grad.data(), drop(x, rate, 5).data(), w.data()]);
    for (let i = 0; i < g.length; i++) expect(g[i]).toBeCloseTo(y[i] === 0 ? 0 : wv[i] / (1 - rate), 5);
    tf.dispose([x, w, grad]);
  });

  it('covers every element of a tensor larger than one dispatch dimension holds', async () => {
    // 65,535 workgroups of 128 cover 8,388,480 elements; this needs a second dimension.
    const n = 9_000_000;
    const y = drop(tf.ones([n]), 0.5, 1);
    const [kept, lastKept] = await Promise.all([tf.sum(tf.notEqual(y, 0).toInt()).data(), tf.sum(tf.notEqual(y.slice(8_388_480), 0).toInt()).data()]);
    // Elements past the first dimension's reach are written too (about half kept, not all 0).
    expect(Math.abs(kept[0] - n / 2)).toBeLessThan(5 * Math.sqrt(n / 4));
    expect(lastKept[0]).toBeGreaterThan(0.45 * (n - 8_388_480));
    y.dispose();
  });

  it('is null on other backends, so callers fall back to tf.dropout', async () => {
    await tf.setBackend('cpu');
    expect(gpuDropout(tf.ones([4]), 0.5, 1)).toBeNull();
    await tf.setBackend('webgpu');
  });
});
