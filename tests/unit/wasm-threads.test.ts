// The pieces of WASM threading that need no browser: how many threads the model worker asks
// for, the page's ?threads=, and the build's rewrite of tfjs-backend-wasm's thread bootstrap
// (checked on the installed package, so a tfjs upgrade that moves it fails here first).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { MAX_WASM_THREADS, wasmThreads } from '../../src/lib/backend.ts';
import { parseThreads } from '../../src/lib/backend-names.ts';
import { rewriteThreadedFactory, threadedFactorySource } from '../../scripts/build/tfjs-wasm-threads.ts';

describe('wasmThreads', () => {
  it('is 1 when the context is not cross-origin isolated, whatever was asked', () => {
    expect(wasmThreads(undefined, false, 16)).toBe(1);
    expect(wasmThreads(4, false, 16)).toBe(1);
  });
  it('defaults to the cores, at most 8', () => {
    expect(wasmThreads(undefined, true, 2)).toBe(2);
    expect(wasmThreads(undefined, true, 64)).toBe(MAX_WASM_THREADS);
  });
  it('takes what was asked within 1..8', () => {
    expect(wasmThreads(1, true, 8)).toBe(1);
    expect(wasmThreads(3, true, 2)).toBe(3);
    expect(wasmThreads(99, true, 2)).toBe(MAX_WASM_THREADS);
  });
});

describe('parseThreads (?threads=)', () => {
  it('reads positive integers and ignores the rest', () => {
    expect(parseThreads('4')).toBe(4);
    expect(parseThreads(null)).toBeUndefined();
    for (const bad of ['0', '-2', '1.5', 'two', '', ' 3']) expect(parseThreads(bad), bad).toBeUndefined();
  });
});

describe("the build's threaded-factory rewrite", () => {
  const pkg = path.dirname(createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json'));
  const backend = fs.readFileSync(path.join(pkg, 'dist/backend_wasm.js'), 'utf8');

  it("replaces the factory's toString() Blob text with the package's standalone factory file", () => {
    const out = rewriteThreadedFactory(backend, threadedFactorySource());
    expect(out).not.toMatch(/wasmFactoryThreadedSimd\.toString\(\)/);
    expect(out).toContain(JSON.stringify(threadedFactorySource()));
  });

  it('hands the threads a text that stands alone: it declares the factory a thread calls', () => {
    // As tfjs' worker.js does: importScripts(the Blob), then WasmBackendModuleThreadedSimd(Module).
    const context = vm.createContext({});
    vm.runInContext(threadedFactorySource(), context);
    expect(typeof context.WasmBackendModuleThreadedSimd).toBe('function');
  });

  it('stops the build when the pinned package no longer has that code', () => {
    expect(() => rewriteThreadedFactory('export const x = 1;', 'src')).toThrow(/threaded factory Blob was not found/);
  });
});
