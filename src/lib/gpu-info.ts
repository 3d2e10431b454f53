// What the page learns about WebGPU on arrival, before any work starts: the adapter (name,
// vendor, architecture) and the limits that decide how a model is laid out on it, or, where
// WebGPU is missing, why and what to do about it. Pure logic over a navigator-like object, so
// Node tests can hand it a fake and the page hands it the real one.
//
// The facts below (which browsers ship WebGPU) are as of late 2025; they only shape advice.

/** The part of GPUAdapterInfo we show (Chrome 127+ has adapter.info; older: requestAdapterInfo()). */
export interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

/** The structural slice of GPUAdapter this module reads. */
export interface AdapterLike {
  info?: AdapterInfoLike;
  requestAdapterInfo?: () => Promise<AdapterInfoLike>;
  isFallbackAdapter?: boolean;
  limits: Record<string, number | undefined> | object;
  features?: Iterable<string>;
}

export interface NavigatorLike {
  gpu?: { requestAdapter(opts?: { powerPreference?: 'high-performance' | 'low-power' }): Promise<AdapterLike | null> };
  userAgent?: string;
}

/** The limits that matter for training: buffer sizes bound how big one weight tensor may be. */
export const KEY_LIMITS = [
  'maxStorageBufferBindingSize', // largest tensor one shader can bind (the vocab head is chunked to fit it)
  'maxBufferSize', // largest GPU buffer at all
  'maxComputeWorkgroupStorageSize', // shared memory per workgroup (tiled matmuls)
  'maxComputeInvocationsPerWorkgroup',
] as const;
export type KeyLimit = (typeof KEY_LIMITS)[number];

export interface GpuAdapterReport {
  /** A name a person recognises: description, else vendor + architecture, else "unknown adapter". */
  name: string;
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  /** A software rasteriser (SwiftShader, WARP, llvmpipe) or the browser's fallback adapter. */
  software: boolean;
  limits: Record<KeyLimit, number | null>;
  features: string[];
}

export type GpuReport =
  | { ok: true; adapter: GpuAdapterReport; warnings: string[] }
  | { ok: false; reason: 'insecure' | 'no-api' | 'no-adapter' | 'error'; message: string; advice: string[] };

/** distilgpt2's token embedding, 50257 x 768 float32: the largest single tensor of the default model. */
export const DISTILGPT2_WTE_BYTES = 50257 * 768 * 4;

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|softpipe|warp|basic render|microsoft basic/i;

function limitOf(limits: object, key: KeyLimit): number | null {
  const v = (limits as Record<string, unknown>)[key];
  return typeof v === 'number' || typeof v === 'bigint' ? Number(v) : null;
}

/** Summarises an adapter: name, vendor, limits, and whether it is a software one. */
export function describeAdapter(adapter: AdapterLike, info: AdapterInfoLike = adapter.info ?? {}): GpuAdapterReport {
  const vendor = info.vendor ?? '';
  const architecture = info.architecture ?? '';
  const device = info.device ?? '';
  const description = info.description ?? '';
  const name = description || [vendor, architecture, device].filter(Boolean).join(' ') || 'unknown adapter';
  const software = !!(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || SOFTWARE.test(`${description} ${architecture} ${vendor}`);
  const limits = Object.fromEntries(KEY_LIMITS.map((k) => [k, limitOf(adapter.limits, k)])) as Record<KeyLimit, number | null>;
  return { name, vendor, architecture, device, description, software, limits, features: [...(adapter.features ?? [])].sort() };
}

/** What a person may want to know before training on this adapter. */
export function adapterWarnings(a: GpuAdapterReport): string[] {
  const out: string[] = [];
  if (a.software) {
    out.push('This is a software adapter (the GPU is emulated on the CPU): training works but is very slow. A browser with hardware WebGPU is much faster.');
  }
  const binding = a.limits.maxStorageBufferBindingSize;
  if (binding !== null && binding < DISTILGPT2_WTE_BYTES) {
    out.push(
      `The largest buffer a shader can bind here is ${mib(binding)}, smaller than distilgpt2's ${mib(DISTILGPT2_WTE_BYTES)} embedding: it is split into chunks that fit (a little slower).`,
    );
  }
  return out;
}

function mib(n: number): string {
  return `${Math.round(n / 2 ** 20)} MiB`;
}

/** A browser name and major version from a user-agent string ('' and 0 where unknown). */
export function parseBrowser(ua: string): { name: 'chrome' | 'edge' | 'firefox' | 'safari' | 'other'; version: number; os: 'windows' | 'mac' | 'linux' | 'android' | 'ios' | 'chromeos' | 'other' } {
  const os = /android/i.test(ua)
    ? 'android'
    : /iphone|ipad|ipod/i.test(ua)
      ? 'ios'
      : /cros/i.test(ua)
        ? 'chromeos'
        : /windows/i.test(ua)
          ? 'windows'
          : /mac os x|macintosh/i.test(ua)
            ? 'mac'
            : /linux/i.test(ua)
              ? 'linux'
              : 'other';
  const m = (re: RegExp) => Number(re.exec(ua)?.[1] ?? 0);
  if (/edg\//i.test(ua)) return { name: 'edge', version: m(/edg\/(\d+)/i), os };
  if (/firefox\//i.test(ua)) return { name: 'firefox', version: m(/firefox\/(\d+)/i), os };
  if (/chrom(e|ium)\//i.test(ua)) return { name: 'chrome', version: m(/chrom(?:e|ium)\/(\d+)/i), os };
  if (/safari\//i.test(ua) && /version\//i.test(ua)) return { name: 'safari', version: m(/version\/(\d+)/i), os };
  return { name: 'other', version: 0, os };
}

/** Where WebGPU ships, and the one step most likely to help this browser. */
export function browserAdvice(ua: string): string[] {
  const b = parseBrowser(ua);
  const out: string[] = [];
  if (b.name === 'chrome' || b.name === 'edge') {
    const label = b.name === 'edge' ? 'Edge' : 'Chrome';
    const min = b.os === 'android' ? 121 : 113;
    if (b.version && b.version < min) out.push(`Update ${label}: WebGPU arrived in version ${min} on this system (you have ${b.version}).`);
    else if (b.os === 'linux') out.push(`On Linux, ${label} may keep WebGPU behind a flag: enable chrome://flags/#enable-unsafe-webgpu (and Vulkan), then restart.`);
    else out.push(`${label} supports WebGPU here; it may be blocked for this GPU or driver: update the graphics driver, and check chrome://gpu.`);
  } else if (b.name === 'firefox') {
    out.push(b.os === 'windows' && b.version < 141 ? `Update Firefox: WebGPU shipped on Windows in version 141 (you have ${b.version}).` : 'Firefox ships WebGPU on Windows (141+) and is bringing it to other systems; Chrome or Edge has it today.');
  } else if (b.name === 'safari') {
    if (b.version < 26) out.push(`Update Safari: WebGPU shipped in Safari 26 (macOS, iOS and iPadOS 26; you have ${b.version || 'an older one'}).`);
  }
  out.push('WebGPU works in Chrome and Edge 113+ (Windows, macOS, ChromeOS), Chrome 121+ on Android, Safari 26+ and Firefox 141+ on Windows.');
  return out;
}

/** Asks the browser for a WebGPU adapter and reports what it found, or why there is none. */
export async function checkGpu(nav: NavigatorLike, opts: { secureContext?: boolean } = {}): Promise<GpuReport> {
  const ua = nav.userAgent ?? '';
  if (opts.secureContext === false) {
    return {
      ok: false,
      reason: 'insecure',
      message: 'WebGPU needs a secure page (https:// or localhost), and this one is not.',
      advice: ['Open the app over https://, or on localhost.'],
    };
  }
  if (!nav.gpu) {
    return { ok: false, reason: 'no-api', message: 'This browser does not offer WebGPU.', advice: browserAdvice(ua) };
  }
  let adapter: AdapterLike | null;
  try {
    adapter = await nav.gpu.requestAdapter({ powerPreference: 'high-performance' });
  } catch (e) {
    return { ok: false, reason: 'error', message: `WebGPU failed to start: ${(e as Error).message}`, advice: browserAdvice(ua) };
  }
  if (!adapter) {
    return {
      ok: false,
      reason: 'no-adapter',
      message: 'WebGPU is here, but it found no usable graphics adapter (often a blocked GPU or an outdated driver).',
      advice: browserAdvice(ua),
    };
  }
  let info = adapter.info;
  if (!info && adapter.requestAdapterInfo) info = await adapter.requestAdapterInfo().catch(() => undefined);
  const report = describeAdapter(adapter, info ?? {});
  return { ok: true, adapter: report, warnings: adapterWarnings(report) };
}

/** A limit as the page shows it: sizes in binary units ("128 MiB", "4 GiB"), counts as numbers. */
export function formatLimit(key: KeyLimit, n: number | null): string {
  if (n === null) return 'not reported';
  if (key === 'maxComputeInvocationsPerWorkgroup') return String(n);
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return String(n);
}
