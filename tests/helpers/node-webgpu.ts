// Gives Node a navigator.gpu from the npm package `webgpu` (Dawn) on SwiftShader,
// then registers tfjs' WebGPU backend (which only registers if navigator.gpu exists
// at import time, hence the dynamic import after the globals are set).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Set by CI systems (and `CI=1 npm test`): there, a test that would skip is a failure. */
const onCI = (): boolean => !['', '0', 'false'].includes((process.env.CI ?? '').toLowerCase());

/**
 * `icd`: a Vulkan driver manifest (e.g. /usr/share/vulkan/icd.d/nvidia_icd.json on a machine with
 * a GPU); by default Chromium's SwiftShader unless VK_ICD_FILENAMES says otherwise; 'native'
 * lets Dawn find the system's own driver. False when the manifest is missing, so a developer's
 * machine without it skips the WebGPU tests; under CI the default's absence throws instead.
 */
export async function setupNodeWebGPU(icd?: string): Promise<boolean> {
  if (icd === undefined) {
    if (!fs.existsSync(ICD)) {
      if (onCI()) throw new Error(`CI is set and SwiftShader's Vulkan driver (${ICD}) is missing: install Debian's chromium, which ships it; WebGPU tests must not skip here`);
      return false;
    }
    process.env.VK_ICD_FILENAMES ??= ICD;
  } else if (icd !== 'native') {
    if (!fs.existsSync(icd)) return false;
    process.env.VK_ICD_FILENAMES = icd;
  }
  const require = createRequire(import.meta.url);
  const { create, globals } = require('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if (!(globalThis as any).navigator) (globalThis as any).navigator = {};
  Object.defineProperty((globalThis as any).navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  return true;
}
