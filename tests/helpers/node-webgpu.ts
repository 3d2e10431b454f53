// Gives Node a navigator.gpu from the npm package `webgpu` (Dawn) on SwiftShader,
// then registers tfjs' WebGPU backend (which only registers if navigator.gpu exists
// at import time, hence the dynamic import after the globals are set).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Set by CI systems (and `CI=1 npm test`): there, a test that would skip is a failure. */
const onCI = (): boolean => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

let warned = false;

/**
 * Under CI, throws: the WebGPU tests are the only tests of our kernels, and a suite that passes
 * with all of them skipped proves nothing. Elsewhere says why once, and answers false (a skip).
 */
function unavailable(reason: string): false {
  if (onCI()) throw new Error(`CI is set and ${reason}; WebGPU tests must not skip here`);
  if (!warned) console.warn(`skipping the WebGPU tests: ${reason}`);
  warned = true;
  return false;
}

/**
 * `icd`: a Vulkan driver manifest (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json on a machine with
 * a GPU); by default Chromium's SwiftShader unless VK_ICD_FILENAMES says otherwise; 'native'
 * lets Dawn find the system's own driver. True once a WebGPU adapter answers; false when the
 * manifest is missing or no adapter answers, so a developer's machine without them skips the
 * WebGPU tests; under CI that throws instead.
 */
export async function setupNodeWebGPU(icd?: string): Promise<boolean> {
  if (icd === undefined) {
    if (!fs.existsSync(ICD)) return unavailable(`SwiftShader's Vulkan driver (${ICD}) is missing: install Debian's chromium, which ships it`);
    process.env.VK_ICD_FILENAMES ??= ICD;
  } else if (icd !== 'native') {
    if (!fs.existsSync(icd)) return unavailable(`the Vulkan driver manifest ${icd} is missing`);
    process.env.VK_ICD_FILENAMES = icd;
  }
  const require = createRequire(import.meta.url);
  const { create, globals } = require('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  // An ICD that is present but cannot run (libvulkan1 missing, a broken manifest) leaves Dawn
  // without an adapter: tfjs would then fail to start, and tests that check for it would skip.
  if (!(await gpu.requestAdapter().catch(() => null))) {
    return unavailable(`Dawn finds no WebGPU adapter through VK_ICD_FILENAMES=${process.env.VK_ICD_FILENAMES ?? '(the system default)'}: install Debian's libvulkan1`);
  }
  if (!(globalThis as any).navigator) (globalThis as any).navigator = {};
  Object.defineProperty((globalThis as any).navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  return true;
}
