// gelu_new on WebGPU is one kernel of ours forward and one backward (src/lib/webgpu/gelu.ts); on the
// cpu backend it is tfjs ops. Values and gradients must agree, large |x| included (where a
// naive tanh overflows to NaN).
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { activation } from '../../src/lib/model/attention.ts';
import { gpuGeluNew } from '../../src/lib/webgpu/gelu.ts';

const available = await setupNodeWebGPU();

async function valueAndGrad(backend: string, xs: number[]): Promise<[Float32Array, Float32Array]> {
  await tf.setBackend(backend);
  const x = tf.tensor(xs);
  const w = tf.linspace(-1, 2, xs.length);
  const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(tf.mul(activation('gelu_new', t), w)))(x);
  const y = activation('gelu_new', x);
  const out: [Float32Array, Float32Array] = [(await y.data()) as Float32Array, (await grad.data()) as Float32Array];
  tf.dispose([x, w, value, grad, y]);
  return out;
}

describe.skipIf(!available)('gelu_new on WebGPU', () => {
  it('equals the tfjs-ops version (cpu backend) in value and gradient', async () => {
    const xs = [-60, -20, -6, -3.2, -1, -0.5, -1e-3, 0, 1e-3, 0.3, 0.7, 1, 2.5, 5, 20, 60];
    for (let i = 0; i < 200; i++) xs.push(-8 + (16 * i) / 199);
    const [cpuY, cpuG] = await valueAndGrad('cpu', xs);
    const [gpuY, gpuG] = await valueAndGrad('webgpu', xs);
    for (let i = 0; i < xs.length; i++) {
      expect(Math.abs(gpuY[i] - cpuY[i])).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(cpuY[i])));
      expect(Math.abs(gpuG[i] - cpuG[i])).toBeLessThanOrEqual(1e-5);
    }
  });

  it('runs as one kernel on WebGPU and not at all elsewhere', async () => {
    await tf.setBackend('webgpu');
    const x = tf.ones([8]);
    const prof = await tf.profile(() => activation('gelu_new', x));
    expect(prof.kernels.map((k) => k.name)).toEqual(['TweetforgeGeluNew']);
    await tf.setBackend('cpu');
    expect(gpuGeluNew(x)).toBeNull();
    x.dispose();
  });
});
