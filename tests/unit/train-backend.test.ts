import { describe, it, expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { selectBackend, backendNotice, parseBackendName } from '../../src/lib/backend';
import { setupNodeWebGPU } from '../helpers/node-webgpu';

describe('backend selection', () => {
  it('falls back past WebGPU and WebGL with a notice saying what runs and how much slower', async () => {
    const gpu = (globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu;
    expect(gpu).toBeUndefined(); // plain Node: no WebGPU until the helper installs Dawn
    const choice = await selectBackend({ order: ['webgpu', 'webgl', 'cpu'] });
    expect(choice.name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(choice.skipped.map((s) => s.name)).toEqual(['webgpu', 'webgl']);
    expect(choice.notice).toBe('This browser does not offer WebGPU: training runs on plain JavaScript (CPU), roughly 2500x slower than on WebGPU.');
    expect(backendNotice('webgl')).toMatch(/WebGL, roughly 3x slower/);
  });

  it('tries the backend the page was asked for (?backend=) first, and says so', async () => {
    const choice = await selectBackend({ order: ['webgpu', 'cpu'], preferred: 'wasm' });
    expect(choice.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(choice.notice).toBe('Training runs on WebAssembly (CPU) on one thread (the page is not cross-origin isolated), as the page was asked (?backend=wasm): roughly 50x slower than on WebGPU.');
    expect(parseBackendName('wasm')).toBe('wasm');
    expect(parseBackendName('tpu')).toBeUndefined();
    await tf.setBackend('cpu');
  });

  it('picks WebGPU when a device exists (Dawn on SwiftShader), with no notice', async (ctx) => {
    if (!(await setupNodeWebGPU())) ctx.skip();
    const choice = await selectBackend();
    expect(choice).toMatchObject({ name: 'webgpu', notice: null, slowdown: 1 });
    expect(tf.getBackend()).toBe('webgpu');
  });
});
