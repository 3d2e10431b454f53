// AdamW and the gradient norm on WebGPU run kernels of our own (src/lib/webgpu/adamw.ts); on the cpu
// backend, tfjs ops. The two must agree: the same three steps of AdamW with clipping on both
// backends from the same start, and the sum of squares against tf.sum at awkward sizes.
import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { AdamW, clipCoefficient } from '../../src/lib/train/adamw.ts';
import { GROUPS, webgpuAdamW } from '../../src/lib/webgpu/adamw.ts';

const available = await setupNodeWebGPU();

function randomArray(n: number, seed: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: n }, () => ((s = (s * 1103515245 + 12345) >>> 0) / 2 ** 32) * 2 - 1);
}

/** Three clipped AdamW steps on `backend` from fixed weights and gradients; the final weights. */
async function threeSteps(backend: string): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  const shapes = [[37, 5], [300], [4, 4, 3]];
  const params = shapes.map((shape, i) => ({ key: `p${i}`, variable: tf.variable(tf.tensor(randomArray(tf.util.sizeFromShape(shape), i + 1), shape)), decay: shape.length > 1 }));
  const opt = new AdamW(params, { weightDecay: 0.01 });
  for (let step = 0; step < 3; step++) {
    const grads = new Map(params.map((p, i) => [p.key, tf.mul(tf.tensor(randomArray(p.variable.size, 100 * step + i), p.variable.shape), 3)] as const));
    const { norm, coef } = clipCoefficient([...grads.values()], 1);
    opt.apply(grads, 1e-3 * (step + 1), { scale: coef, consume: true });
    tf.dispose([norm, coef]);
  }
  const out = await Promise.all(params.map((p) => p.variable.data() as Promise<Float32Array>));
  params.forEach((p) => p.variable.dispose());
  opt.dispose();
  return out;
}

describe.skipIf(!available)('AdamW kernels on WebGPU', () => {
  it('sum of squares equals tf.sum(tf.square(g)) at sizes around the workgroups\' reach', async () => {
    await tf.setBackend('webgpu');
    const fused = webgpuAdamW()!;
    expect(fused).not.toBeNull();
    // One workgroup's lanes, all workgroups' lanes (65,536), and past it so lanes loop.
    for (const n of [1, 255, 257, 256 * 37 + 5, 65_535, 65_537, 3001 * 77]) {
      const g = tf.tensor(randomArray(n, n));
      // Distinct starting partials: a slot dropped or copied from the wrong place shows.
      const start = tf.range(1, GROUPS + 1) as tf.Tensor1D;
      const out = fused.addSumOfSquares(start, g);
      const added = Array.from(await tf.sub(out, start).data());
      const want = (await tf.sum(tf.square(g)).data())[0];
      expect(Math.min(...added)).toBeGreaterThanOrEqual(0);
      expect(Math.abs(added.reduce((a, b) => a + b, 0) - want)).toBeLessThan(1e-5 * want + 1e-4);
      out.dispose();
      tf.dispose([g, start]);
    }
  });

  it('three clipped AdamW steps give the same weights as the cpu backend (tfjs ops)', async () => {
    const cpu = await threeSteps('cpu');
    const gpu = await threeSteps('webgpu');
    for (let i = 0; i < cpu.length; i++) {
      let worst = 0;
      for (let j = 0; j < cpu[i].length; j++) worst = Math.max(worst, Math.abs(cpu[i][j] - gpu[i][j]));
      expect(worst).toBeLessThan(1e-6);
    }
  });

  it('is not used on other backends', async () => {
    await tf.setBackend('cpu');
    expect(webgpuAdamW()).toBeNull();
  });
});
