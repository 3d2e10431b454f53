// The one place that reaches into tfjs' WebGPU backend for its GPUDevice (a field the backend
// does not document): the device's limits, its loss, and the error scopes of the kernels'
// self-check all come from here.
import * as tf from '@tensorflow/tfjs';

/** What this project uses of a GPUDevice (the WebGPU DOM types are not in the build's lib). */
export interface WebGPUDeviceLike {
  limits: { maxStorageBufferBindingSize: number; maxBufferSize: number };
  lost?: Promise<{ message?: string; reason?: string }>;
  pushErrorScope?(filter: 'validation' | 'internal' | 'out-of-memory'): void;
  popErrorScope?(): Promise<{ message: string } | null>;
}

/** The GPUDevice tfjs runs on, or null when the current backend is not WebGPU. */
export function webgpuDevice(): WebGPUDeviceLike | null {
  if (tf.getBackend() !== 'webgpu') return null;
  return (tf.backend() as unknown as { device?: WebGPUDeviceLike }).device ?? null;
}

/**
 * Calls `onLost` once if the WebGPU device goes away (driver reset, GPU process crash, the
 * OS reclaiming it). Returns false when the current backend is not WebGPU.
 */
export function watchDeviceLoss(onLost: (message: string) => void): boolean {
  const device = webgpuDevice();
  if (!device?.lost) return false;
  void device.lost.then((info) => onLost(info?.message || info?.reason || 'the GPU device was lost'));
  return true;
}
