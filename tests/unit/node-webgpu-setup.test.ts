// The WebGPU tests' setup (tests/helpers/node-webgpu.ts) must not let CI pass with every kernel
// test skipped: a missing Vulkan driver is an error when CI is set, a skip (false) otherwise.
import { afterEach, describe, expect, it } from 'vitest';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';

describe('setupNodeWebGPU without a driver', () => {
  const ci = process.env.CI;
  afterEach(() => {
    if (ci === undefined) delete process.env.CI;
    else process.env.CI = ci;
  });

  it('throws, naming what is missing, when CI is set', async () => {
    process.env.CI = 'true';
    await expect(setupNodeWebGPU('/nonexistent/icd.json')).rejects.toThrow(/\/nonexistent\/icd\.json is missing\. CI must run them, not skip them/);
  });

  it('returns false (the tests skip) when CI is not set', async () => {
    delete process.env.CI;
    expect(await setupNodeWebGPU('/nonexistent/icd.json')).toBe(false);
  });
});
