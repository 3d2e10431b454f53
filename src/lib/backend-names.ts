// The tfjs backends the app can train on, without importing tfjs (the page reads ?backend=).

export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Fastest first: the order the model worker tries them in. */
export const BACKEND_ORDER: readonly BackendName[] = ['webgpu', 'webgl', 'wasm', 'cpu'];

/** `?backend=` as the page got it: a backend name, or undefined (anything else is ignored). */
export function parseBackendName(value: string | null | undefined): BackendName | undefined {
  return BACKEND_ORDER.find((b) => b === value);
}
