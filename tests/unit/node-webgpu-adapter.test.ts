// The WebGPU tests' setup (tests/helpers/node-webgpu.ts) with a Vulkan driver manifest that is
// present but cannot run (as when libvulkan1 or the driver's library is missing): Dawn finds no
// adapter, which fails under CI and skips elsewhere, rather than leaving tfjs to fail later and
// the tests that check it to skip.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tweetforge-icd-'));
const manifest = path.join(dir, 'no_driver_icd.json');
fs.writeFileSync(manifest, JSON.stringify({ file_format_version: '1.0.0', ICD: { library_path: '/nonexistent/libvk_nothing.so', api_version: '1.3.0' } }));

describe('setupNodeWebGPU with a driver that cannot run', () => {
  afterEach(() => vi.unstubAllEnvs());
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('throws under CI, saying no adapter answers', async () => {
    vi.stubEnv('CI', 'true');
    await expect(setupNodeWebGPU(manifest)).rejects.toThrow(/^CI is set and Dawn finds no WebGPU adapter through VK_ICD_FILENAMES=.*no_driver_icd\.json: install Debian's libvulkan1; WebGPU tests must not skip here$/);
  });

  it('answers false elsewhere, so the WebGPU tests skip', async () => {
    vi.stubEnv('CI', '');
    expect(await setupNodeWebGPU(manifest)).toBe(false);
  });
});
