// The model worker's side of memory-estimate.ts: the limits of the device the WebGPU backend
// opened (tfjs asks for the adapter's own maxStorageBufferBindingSize and maxBufferSize, the
// limits gpu-info.ts shows the person), and the check load.ts runs on config.json before any
// weight is downloaded.
import type { GPT2Config } from './gpt2/config.ts';
import type { ModelFamily } from './family.ts';
import { webgpuDevice } from '../webgpu/device.ts';
import { deviceFit, estimateMemory, type DeviceLimits } from './memory-estimate.ts';

/** The active WebGPU device's limits; null on every other backend. */
export function activeDeviceLimits(): DeviceLimits | null {
  const device = webgpuDevice();
  if (!device) return null;
  return {
    maxStorageBufferBindingSize: device.limits.maxStorageBufferBindingSize ?? null,
    maxBufferSize: device.limits.maxBufferSize ?? null,
  };
}

/**
 * Throws the one line that refuses a model this device cannot hold; else returns the line to
 * show. The estimate covers GPT-2's shapes; another family loads unchecked (nothing to show).
 */
export function checkFitsActiveDevice(family: ModelFamily, config: unknown): string | void {
  if (family.modelType !== 'gpt2') return;
  const est = estimateMemory(config as GPT2Config); // at the default run's batch and block (train/config.ts's TRAIN_DEFAULTS)
  const fit = deviceFit(est, activeDeviceLimits());
  if (!fit.ok) throw new Error(fit.line);
  return fit.line;
}
