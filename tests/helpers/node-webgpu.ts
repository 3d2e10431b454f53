// Gives Node a navigator.gpu from the npm package `webgpu` (Dawn) on SwiftShader,
// then registers tfjs' WebGPU backend (which only registers if navigator.gpu exists
// at import time, hence the dynamic import after the globals are set).
import fs from 'node:fs';
import { createRequire } from 'node:module';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

export async function setupNodeWebGPU(): Promise<boolean> {
  if (!fs.existsSync(ICD)) return false;
  process.env.VK_ICD_FILENAMES ??= ICD;
  const require = createRequire(import.meta.url);
  const { create, globals } = require('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  if (!(globalThis as any).navigator) (globalThis as any).navigator = {};
  Object.defineProperty((globalThis as any).navigator, 'gpu', { value: gpu, configurable: true });
  await import('@tensorflow/tfjs-backend-webgpu');
  return true;
}
