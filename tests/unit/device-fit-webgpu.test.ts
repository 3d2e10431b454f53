// The model worker's device check on a real WebGPU device (Dawn on SwiftShader): the limits it
// reads are those of the device tfjs opened, a model with a tensor past them is refused in one
// line naming it, and the cpu backend reports no limits.
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { activeDeviceLimits, checkFitsActiveDevice } from '../../src/lib/model/device-fit.ts';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { gpt2Family } from '../../src/lib/model/gpt2/index.ts';
import { formatSize } from '../../src/lib/model/memory-estimate.ts';

const available = await setupNodeWebGPU();

describe.skipIf(!available && !process.env.CI)('device fit on WebGPU', () => {
  it('reads the opened device’s limits and refuses a tensor past them; no limits on cpu', async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
    const device = (tf.backend() as unknown as { device: { limits: Record<string, number> } }).device;
    const limits = activeDeviceLimits()!;
    expect(limits).toEqual({ maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize, maxBufferSize: device.limits.maxBufferSize });
    const binding = Math.min(limits.maxStorageBufferBindingSize!, limits.maxBufferSize!);
    expect(binding).toBeGreaterThan(0);

    const tiny = parseConfig({ model_type: 'gpt2', n_embd: 64, n_head: 4, n_layer: 2, n_positions: 64 });
    expect(checkFitsActiveDevice(gpt2Family, tiny)).toMatch(new RegExp(`this GPU's buffers stop at ${formatSize(binding)} \\(its largest tensor: `));
    // One MLP weight a little over the binding: C x F floats with F chosen past it, for the
    // narrowest width whose F the config bounds admit and whose attention weight [C, 3C] still fits.
    const C = [1024, 2048, 4096, 8192, 16384].find((c) => binding / (4 * c) + 4 <= 65536 && 12 * c * c < binding)!;
    expect(C).toBeDefined();
    const F = Math.floor(binding / (4 * C)) + 4;
    const wide = parseConfig({ model_type: 'gpt2', n_embd: C, n_head: 16, n_layer: 1, n_positions: 64, n_inner: F });
    expect(() => checkFitsActiveDevice(gpt2Family, wide)).toThrow(
      `this model cannot run on this GPU: h.0.mlp.c_fc.weight [${C}, ${F}] is ${formatSize(4 * C * F)} in one buffer, and this GPU's buffers stop at ${formatSize(binding)}`,
    );

    await tf.setBackend('cpu');
    expect(activeDeviceLimits()).toBeNull();
    expect(() => checkFitsActiveDevice(gpt2Family, wide)).not.toThrow();
  });
});
