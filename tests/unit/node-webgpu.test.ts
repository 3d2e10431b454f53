// The WebGPU unit tests skip on a machine without SwiftShader, but fail under CI: a suite that
// passes with every kernel test skipped says nothing (tests/helpers/node-webgpu.ts).
import fs from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';

describe('setupNodeWebGPU without SwiftShader', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.unstubAllEnvs();
  });

  it('throws under CI, naming the missing driver', async () => {
    vi.spyOn(fs, 'existsSync').mockReturnValue(false);
    for (const ci of ['true', '1']) {
      vi.stubEnv('CI', ci);
      await expect(setupNodeWebGPU()).rejects.toThrow(/^CI is set and SwiftShader's Vulkan driver \(\/usr\/lib\/chromium\/vk_swiftshader_icd\.json\) is missing/);
    }
  });

  it('answers false elsewhere, so the WebGPU tests skip', async () => {
    vi.spyOn(fs, 'existsSync').mockReturnValue(false);
    for (const ci of ['', 'false', '0']) {
      vi.stubEnv('CI', ci);
      expect(await setupNodeWebGPU()).toBe(false);
    }
  });
});
