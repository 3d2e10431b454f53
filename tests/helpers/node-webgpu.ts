// Gives Node a navigator.gpu from the npm package `webgpu` (Dawn) on SwiftShader,
// then registers tfjs' WebGPU backend (which only registers if navigator.gpu exists
// at import time, hence the dynamic import after the globals are set).
//
// Under CI (the CI environment variable set) a missing piece is an error, not a skip: the
// WebGPU tests are the only tests of our kernels, and a suite that passes with all of them
// skipped proves nothing. Elsewhere they skip, saying why once.
import fs from 'node:fs';
import { createRequire } from 'node:module';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

let warned = false;

/** Under CI, throws `reason`; elsewhere says it once on stderr. Returns false for the caller to skip. */
function unavailable(reason: string): false {
  const line = `WebGPU tests need Dawn (the npm package webgpu) on SwiftShader (Debian's chromium and libvulkan1): ${reason}`;
  if (process.env.CI) throw new Error(`${line}. CI must run them, not skip them.`);
  if (!warned) console.warn(`${line}: skipping the WebGPU tests.`);
  warned = true;
  return false;
}

/**
 * `icd`: a Vulkan driver manifest (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json on a machine with
 * a GPU); by default Chromium's SwiftShader unless VK_ICD_FILENAMES says otherwise; 'native'
 * lets Dawn find the system's own driver. True when a WebGPU adapter answers; false (a skip)
 * when something is missing, which under CI throws instead.
 */
export async function setupNodeWebGPU(icd?: string): Promise<boolean> {
  if (icd === undefined) {
    if (!process.env.VK_ICD_FILENAMES && !fs.existsSync(ICD)) return unavailable(`${ICD} is missing`);
    process.env.VK_ICD_FILENAMES ??= ICD;
  } else if (icd !== 'native') {
    if (!fs.existsSync(icd)) return unavailable(`${icd} is missing`);
    process.env.VK_ICD_FILENAMES = icd;
  }
  const require = createRequire(import.meta.url);
  let webgpu: { create(flags: string[]): unknown; globals: object };
  try {
    webgpu = require('webgpu');
  } catch (e) {
    return unavailable(`the webgpu package does not load (${(e as Error).message.split('\n')[0]})`);
  }
  Object.assign(globalThis, webgpu.globals);
  const gpu = webgpu.create([]) as { requestAdapter(): Promise<unknown> };
  if (!(await gpu.requestAdapter().catch(() => null))) return unavailable(`no WebGPU adapter through VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? '(native)'}`);
  if (!(globalThis as any).navigator) (globalThis as any).navigator = {};
  Object.defineProperty((globalThis as any).navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  return true;
}
