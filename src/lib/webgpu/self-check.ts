// The start-up self-check of our WebGPU kernels. They build tfjs-backend-webgpu's private
// program objects and rely on the WGSL preamble it generates, and a GPU's driver compiles them:
// either may change under us. So once per device, each kernel runs on small deterministic
// inputs beside its tfjs-ops twin (self-check-cases.ts); a kernel that disagrees beyond a
// tolerance, throws, or raises a GPU error (a shader that no longer compiles, a binding that no
// longer validates) is disabled in the registry, and its dispatch sites take the tfjs-ops path
// for the session: slower, still right.
import * as tf from '@tensorflow/tfjs';
import { webgpuDevice } from './device.ts';
import { disableKernel, enableAllKernels, kernelNotice, type KernelName } from './registry.ts';
import { SELF_CHECKS } from './self-check-cases.ts';

export interface KernelCheckResult {
  name: KernelName;
  ok: boolean;
  /** Why the kernel was disabled; null when it passed. */
  reason: string | null;
  ms: number;
}

export interface SelfCheckReport {
  results: KernelCheckResult[];
  /** One line for the page when a kernel was disabled, else null. */
  notice: string | null;
}

const SCOPES = ['validation', 'internal', 'out-of-memory'] as const;

const firstLine = (s: string) => s.trim().split('\n')[0].trim();

/**
 * Runs `check` inside the device's error scopes (every command it queued is submitted by the
 * read-backs it awaits). Returns why it failed: the first GPU error (the root cause when a shader
 * does not compile, the values being garbage then), else its exception or its mismatch; null
 * when it passed.
 */
async function guarded(check: () => Promise<string | null>): Promise<string | null> {
  const device = webgpuDevice();
  const scoped = typeof device?.pushErrorScope === 'function' && typeof device.popErrorScope === 'function';
  if (scoped) for (const filter of SCOPES) device.pushErrorScope!(filter);
  let failure: string | null;
  try {
    failure = await check();
  } catch (e) {
    failure = `threw: ${firstLine(e instanceof Error ? e.message : String(e))}`;
  }
  let gpuError: string | null = null;
  if (scoped) {
    for (let i = 0; i < SCOPES.length; i++) {
      const error = await device.popErrorScope!().catch(() => null);
      if (error && gpuError === null) gpuError = `GPU error: ${firstLine(error.message) || 'unnamed'}`;
    }
  }
  return gpuError ?? failure;
}

/**
 * Compares each kernel with its tfjs-ops twin on the current WebGPU device, enabling the ones
 * that agree and disabling the others (see registry.ts). Does nothing off WebGPU. Run it once
 * a backend is set up (and again on a new device): it compiles a few dozen tiny shaders.
 */
export async function runKernelSelfCheck(): Promise<SelfCheckReport> {
  if (tf.getBackend() !== 'webgpu') return { results: [], notice: null };
  enableAllKernels();
  const results: KernelCheckResult[] = [];
  for (const { name, check } of SELF_CHECKS) {
    const t0 = performance.now();
    const reason = await guarded(check);
    results.push({ name, ok: reason === null, reason, ms: performance.now() - t0 });
    if (reason !== null) {
      disableKernel(name, reason);
      console.warn(`tweetforge: WebGPU kernel ${name} failed its self-check, using tfjs ops: ${reason}`);
    }
  }
  return { results, notice: kernelNotice() };
}
