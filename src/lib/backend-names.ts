// The tfjs backends the app can train on, without importing tfjs (the page reads ?backend=).

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Fastest first: the order the model worker tries them in. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** `?backend=` as the page got it: a backend name, or undefined (anything else is ignored). */
export function parseBackendName(value: string | null | undefined): BackendName | undefined {
  return BACKEND_ORDER.find((b) => b === value);
}

/** Reads ?threads=N; undefined when absent or not a positive integer. */
export function parseThreads(value: string | null): number | undefined {
  if (value === null || !/^\d+$/.test(value)) return undefined;
  const n = Number(value);
  return n >= 1 ? n : undefined;
}
