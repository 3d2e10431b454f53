// Which tfjs backend trains: WebGPU first; where it is missing, WebGL, then WASM, then plain
// JavaScript (cpu). The choice comes with a notice saying what runs and roughly how much
// slower than WebGPU it is, so a person knows why an epoch takes an hour.
// Backends are imported lazily: WebGPU's registers itself only when navigator.gpu exists, and
// WASM's needs the URL of its .wasm files (the bundler knows it, not this module).
import * as tf from '@tensorflow/tfjs';
import { importWasmBackend } from './wasm-matmul.ts';
import { checkGpu, type NavigatorLike } from './gpu-info.ts';

import { BACKEND_ORDER, type BackendName } from './backend-names.ts';

export { BACKEND_ORDER, parseBackendName, parseThreads, type BackendName } from './backend-names.ts';

/**
 * Rough training-time multiples against WebGPU, from bench/train.ts (distilgpt2 B4xT256): an
 * H200 through Dawn took 0.1-0.17 s a step, WASM on one thread of a 2-core EPYC 29.6 s (~200x),
 * and the cpu backend is ~50x slower than WASM. A person's GPU is taken as ~4x slower than an
 * H200 (the step is bound by the CPU cost of dispatching kernels more than by the GPU), so
 * ~50x and ~2,500x. WebGL (no compute shaders, packs through textures) is unmeasured: a guess.
 */
export const SLOWDOWN: Record<BackendName, number> = { webgpu: 1, webgl: 3, wasm: 50, cpu: 2500 };

const LABEL: Record<BackendName, string> = { webgpu: 'WebGPU', webgl: 'WebGL', wasm: 'WebAssembly (CPU)', cpu: 'plain JavaScript (CPU)' };

export interface BackendChoice {
  name: BackendName;
  /** WASM's threads (1 unless the context is cross-origin isolated); null on other backends. */
  threads: number | null;
  /** Rough multiple of WebGPU's training time. */
  slowdown: number;
  /** null on WebGPU; otherwise one line for the page. */
  notice: string | null;
  /** Why the faster backends were passed over. */
  skipped: { name: BackendName; reason: string }[];
}

export interface SelectOptions {
  /** Backends to try, in order (default BACKEND_ORDER). */
  order?: readonly BackendName[];
  /** Tried first because the person asked for it (the page's ?backend=); the notice says so. */
  preferred?: BackendName;
  /** Where tfjs-backend-wasm's .wasm files are served (its setWasmPaths argument). */
  wasmPaths?: string | Record<string, string>;
  /** WASM threads asked for (the page's ?threads=); default: the cores, at most MAX_WASM_THREADS. */
  threads?: number;
}

/** Past 8, XNNPACK's threads gain little on a training step and take cores from the page and the tokenizer pool. */
export const MAX_WASM_THREADS = 8;

/**
 * Threads for tfjs' WASM backend: its threaded build needs SharedArrayBuffer, which only a
 * cross-origin-isolated context has; 1 means the single-threaded build. By default the cores:
 * on 2 cores the default run (distilgpt2 B4xT256) trained 1.76x faster on 2 threads, though a
 * B4xT64 step was slower (0.76x: its products are too small to share), docs/benchmarks.md.
 */
export function wasmThreads(asked: number | undefined, isolated: boolean, cores: number): number {
  if (!isolated) return 1;
  const wanted = asked !== undefined && Number.isInteger(asked) && asked >= 1 ? asked : cores;
  return Math.max(1, Math.min(wanted, MAX_WASM_THREADS));
}

function threadsPhrase(threads: number | null): string {
  if (threads === null) return '';
  if (threads > 1) return ` on ${threads} threads`;
  return globalThis.crossOriginIsolated ? ' on one thread' : ' on one thread (the page is not cross-origin isolated)';
}

export function backendNotice(name: BackendName, skipped: BackendChoice['skipped'] = [], threads: number | null = null): string | null {
  if (name === 'webgpu') return null;
  const why = skipped.find((s) => s.name === 'webgpu')?.reason ?? 'WebGPU is not available in this browser';
  return `${why}: training runs on ${LABEL[name]}${threadsPhrase(threads)}, roughly ${SLOWDOWN[name]}x slower than on WebGPU.`;
}

/** Why WebGPU cannot run here, in the words the page's GPU check uses; null when it can. */
async function webgpuMissing(): Promise<string | null> {
  const report = await checkGpu((globalThis as { navigator?: NavigatorLike }).navigator ?? {});
  return report.ok ? null : report.message.replace(/\.$/, '');
}

async function register(name: BackendName, opts: SelectOptions, threads: number): Promise<string | null> {
  if (name === 'webgpu') {
    const missing = await webgpuMissing();
    if (missing) return missing;
    await import('@tensorflow/tfjs-backend-webgpu');
  } else if (name === 'wasm') {
    const wasm = await importWasmBackend(); // with the matmul that keeps transposed products on XNNPACK
    if (opts.wasmPaths) wasm.setWasmPaths(opts.wasmPaths as Parameters<typeof wasm.setWasmPaths>[0]);
    // One thread is the single-threaded build, not the threaded one with a pool of one.
    if (threads === 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    else wasm.setThreadsCount(threads);
  } else if (name === 'webgl' && typeof OffscreenCanvas === 'undefined' && typeof document === 'undefined') {
    return 'WebGL needs a canvas, which this context lacks';
  }
  return null;
}

/** Sets the fastest backend that starts, and says what was chosen and why. */
export async function selectBackend(opts: SelectOptions = {}): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  const order = opts.order ?? BACKEND_ORDER;
  const preferred = opts.preferred;
  const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
  const threads = wasmThreads(opts.threads, globalThis.crossOriginIsolated === true, cores);
  for (const name of preferred ? [preferred, ...order.filter((n) => n !== preferred)] : order) {
    let reason = await register(name, opts, threads).catch((e: Error) => `${LABEL[name]} failed to load (${e.message})`);
    if (!reason) {
      const start = () => tf.setBackend(name).catch(() => false);
      const ok = name === 'wasm' ? await withLogicalCores(2 * threads, start) : await start();
      if (ok) {
        await tf.ready();
        const running = name === 'wasm' ? await wasmThreadsInUse() : null; // what XNNPACK started, not what was asked
        const notice = name === preferred && name !== 'webgpu'
          ? `Training runs on ${LABEL[name]}${threadsPhrase(running)}, as the page was asked (?backend=${name}): roughly ${SLOWDOWN[name]}x slower than on WebGPU.`
          : backendNotice(name, skipped, running);
        return { name, threads: running, slowdown: SLOWDOWN[name], notice, skipped };
      }
      reason = `${LABEL[name]} failed to initialise`;
    }
    skipped.push({ name, reason });
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => s.reason).join('; ')}`);
}

/**
 * Runs `start` while navigator.hardwareConcurrency reads `cores`. tfjs' wasm module caps its
 * thread pool at half the logical cores (tfjs-backend-wasm src/cc/backend.cc, num_cores:
 * "many x86-64 processors have 2 threads per core"), read once when the module starts: on a
 * 2-core machine it would run one thread whatever setThreadsCount asked.
 */
async function withLogicalCores<T>(cores: number, start: () => Promise<T>): Promise<T> {
  const nav = (globalThis as { navigator?: object }).navigator;
  if (!nav) return start();
  Object.defineProperty(nav, 'hardwareConcurrency', { value: cores, configurable: true });
  try {
    return await start();
  } finally {
    delete (nav as { hardwareConcurrency?: number }).hardwareConcurrency; // the prototype's getter again
  }
}

/** The threads the WASM backend started with (tfjs reads the count back from XNNPACK). */
async function wasmThreadsInUse(): Promise<number> {
  const wasm = await importWasmBackend();
  return tf.env().getBool('WASM_HAS_MULTITHREAD_SUPPORT') ? wasm.getThreadsCount() : 1;
}
