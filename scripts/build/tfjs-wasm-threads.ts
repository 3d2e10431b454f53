// tfjs-backend-wasm starts each thread of its threaded SIMD build from a Blob holding its
// Emscripten module factory, written as `factory.toString()` (backend_wasm.js, init()). That
// text must stand alone; once the bundler has minified the factory, it names variables of the
// bundle around it (`e is not defined` in every thread). This plugin puts the backend's own
// prebuilt factory file (wasm-out/tfjs-backend-wasm-threaded-simd.js, which declares
// `WasmBackendModuleThreadedSimd` itself) into that Blob instead, as a string the minifier
// leaves alone. The package is pinned exactly; if its code changes shape, the build stops here.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Plugin } from 'vite';

const BACKEND_FILE = /@tensorflow[\\/]tfjs-backend-wasm[\\/]dist[\\/]backend_wasm\.js$/;
const BLOB_TEXT = /`var WasmBackendModuleThreadedSimd = ` \+\s*wasmFactoryThreadedSimd\.toString\(\)/;

/** The prebuilt factory script, as shipped in the npm package. */
export function threadedFactorySource(): string {
  const pkg = createRequire(import.meta.url).resolve('@tensorflow/tfjs-backend-wasm/package.json');
  return fs.readFileSync(path.join(path.dirname(pkg), 'wasm-out/tfjs-backend-wasm-threaded-simd.js'), 'utf8');
}

/** Rewrites backend_wasm.js so its threads load the standalone factory text. */
export function rewriteThreadedFactory(code: string, source: string): string {
  if (!BLOB_TEXT.test(code)) {
    throw new Error('tfjs-backend-wasm: the threaded factory Blob was not found in backend_wasm.js; check the pinned version');
  }
  return code.replace(BLOB_TEXT, JSON.stringify(source));
}

export function tfjsWasmThreadsPlugin(): Plugin {
  let source: string | undefined;
  return {
    name: 'tweetforge-tfjs-wasm-threads',
    enforce: 'pre',
    transform(code, id) {
      if (!BACKEND_FILE.test(id.split('?')[0])) return null;
      source ??= threadedFactorySource();
      return { code: rewriteThreadedFactory(code, source), map: null };
    },
  };
}
