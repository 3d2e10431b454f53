// The arrival check's logic, on fake navigators: every way WebGPU can be missing, a hardware
// and a software adapter, a phone-sized buffer limit, and advice per real user-agent string.
import { describe, it, expect } from 'vitest';
import { checkGpu, parseBrowser, browserAdvice, formatLimit, DISTILGPT2_WTE_BYTES, type AdapterLike } from '../../src/lib/gpu-info.ts';

const CHROME_LINUX = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36';
const SAFARI_17 = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15';
const FIREFOX_WIN_128 = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0';
const EDGE_WIN = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0';

const adapter = (info: AdapterLike['info'], limits: Record<string, number>): AdapterLike => ({ info, limits, features: ['shader-f16'] });

describe('checkGpu', () => {
  it('refuses an insecure page before asking for a GPU', async () => {
    const r = await checkGpu({ userAgent: CHROME_LINUX }, { secureContext: false });
    expect(r).toMatchObject({ ok: false, reason: 'insecure' });
  });

  it('says the API is missing, with advice for the browser in hand', async () => {
    const r = await checkGpu({ userAgent: SAFARI_17 });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.reason).toBe('no-api');
    expect(r.advice[0]).toMatch(/Update Safari.*26.*you have 17/);
  });

  it('tells a null adapter and a throwing requestAdapter apart', async () => {
    const none = await checkGpu({ userAgent: EDGE_WIN, gpu: { requestAdapter: async () => null } });
    expect(none).toMatchObject({ ok: false, reason: 'no-adapter' });
    const boom = await checkGpu({ userAgent: EDGE_WIN, gpu: { requestAdapter: async () => { throw new Error('device lost'); } } });
    expect(boom).toMatchObject({ ok: false, reason: 'error' });
    if (!boom.ok) expect(boom.message).toContain('device lost');
  });

  it('reports a hardware adapter by name with its limits and no warning', async () => {
    const limits = { maxStorageBufferBindingSize: 2 ** 31, maxBufferSize: 2 ** 32 };
    const r = await checkGpu({ gpu: { requestAdapter: async () => adapter({ vendor: 'nvidia', architecture: 'ada', description: 'NVIDIA GeForce RTX 4090' }, limits) } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.adapter.name).toBe('NVIDIA GeForce RTX 4090');
    expect(r.adapter.software).toBe(false);
    expect(r.adapter.limits.maxStorageBufferBindingSize).toBe(2 ** 31);
    expect(r.warnings).toEqual([]);
  });

  it('warns about a software adapter and a binding limit below the 154 MB embedding', async () => {
    const limits = { maxStorageBufferBindingSize: 128 * 2 ** 20, maxBufferSize: 256 * 2 ** 20 };
    const r = await checkGpu({ gpu: { requestAdapter: async () => adapter({ vendor: 'google', architecture: 'swiftshader' }, limits) } });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.adapter.software).toBe(true);
    expect(128 * 2 ** 20).toBeLessThan(DISTILGPT2_WTE_BYTES);
    expect(r.warnings.join(' ')).toMatch(/software adapter/);
    expect(r.warnings.join(' ')).toMatch(/128 MiB.*147 MiB|128 MiB.*embedding/);
  });

  it('falls back to requestAdapterInfo() on browsers without adapter.info', async () => {
    const old: AdapterLike = { limits: {}, requestAdapterInfo: async () => ({ vendor: 'intel', architecture: 'gen-12lp' }) };
    const r = await checkGpu({ gpu: { requestAdapter: async () => old } });
    expect(r.ok && r.adapter.name).toBe('intel gen-12lp');
  });
});

describe('parseBrowser, browserAdvice, formatLimit', () => {
  it('reads real user agents', () => {
    expect(parseBrowser(CHROME_LINUX)).toEqual({ name: 'chrome', version: 156, os: 'linux' });
    expect(parseBrowser(EDGE_WIN)).toEqual({ name: 'edge', version: 131, os: 'windows' });
    expect(parseBrowser(FIREFOX_WIN_128)).toEqual({ name: 'firefox', version: 128, os: 'windows' });
    expect(parseBrowser(SAFARI_17)).toEqual({ name: 'safari', version: 17, os: 'mac' });
  });

  it('gives the step most likely to help first', () => {
    expect(browserAdvice(CHROME_LINUX)[0]).toMatch(/enable-unsafe-webgpu/);
    expect(browserAdvice(FIREFOX_WIN_128)[0]).toMatch(/Update Firefox.*141.*128/);
  });

  it('shows sizes in binary units', () => {
    expect(formatLimit('maxStorageBufferBindingSize', 128 * 2 ** 20)).toBe('128 MiB');
    expect(formatLimit('maxBufferSize', 4 * 2 ** 30)).toBe('4 GiB');
    expect(formatLimit('maxBufferSize', null)).toBe('not reported');
  });
});
