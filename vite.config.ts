import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { sampleArchives } from './scripts/fixtures/sample-archive';
import { tfjsWasmThreadsPlugin } from './scripts/build/tfjs-wasm-threads';

/** Ships the sample archives (made by a project script, not committed) under sample/, with their index. */
function sampleArchivePlugin(): Plugin {
  const sampleFiles = (): Map<string, Uint8Array | string> => {
    const archives = sampleArchives();
    return new Map<string, Uint8Array | string>([...archives, ['index.json', JSON.stringify([...archives.keys()])]]);
  };
  return {
    name: 'tweetforge-sample-archives',
    // The dev server serves the same files the build emits (the page fetches index.json first).
    configureServer(server) {
      const files = sampleFiles();
      server.middlewares.use((req, res, next) => {
        const name = req.url?.match(/\/sample\/([\w.-]+)$/)?.[1];
        const body = name ? files.get(name) : undefined;
        if (body === undefined) return next();
        res.setHeader('content-type', name!.endsWith('.json') ? 'application/json' : 'application/zip');
        res.end(typeof body === 'string' ? body : Buffer.from(body));
      });
    },
    generateBundle() {
      for (const [name, source] of sampleFiles()) this.emitFile({ type: 'asset', fileName: `sample/${name}`, source });
    },
  };
}

/**
 * Lists every file of the build in precache.json, so the service worker can cache the whole app
 * at install: the page's own bundle and the workers load before the service worker controls
 * the page, so caching only what passes through it would miss them on the first visit. Emits
 * the service worker (src/service-worker.js) as sw.js, its cache named after that list.
 */
function serviceWorkerPlugin(): Plugin {
  return {
    name: 'tweetforge-service-worker',
    apply: 'build',
    generateBundle: {
      order: 'post', // after the sample archives and index.html are emitted
      handler(_options, bundle) {
        const files = Object.keys(bundle).filter((f) => !f.endsWith('.map') && f !== 'precache.json' && f !== 'sw.js');
        const list = JSON.stringify(files.sort());
        this.emitFile({ type: 'asset', fileName: 'precache.json', source: list });
        const sw = fs.readFileSync(path.resolve('src/service-worker.js'), 'utf8');
        this.emitFile({ type: 'asset', fileName: 'sw.js', source: sw.replace('__BUILD_ID__', buildId(list)) });
      },
    },
  };
}

/** The build's id: a hash of its file list, whose names carry their contents' hashes. */
export function buildId(precacheList: string): string {
  return createHash('sha256').update(precacheList).digest('hex').slice(0, 12);
}

export default defineConfig({
  plugins: [svelte(), sampleArchivePlugin(), serviceWorkerPlugin()],
  // Relative base so the built app works from any folder a static server gives it.
  base: './',
  // tfjs (and so its wasm backend) is bundled only into the model worker.
  worker: { format: 'es', plugins: () => [tfjsWasmThreadsPlugin()] },
  build: { target: 'es2022', outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 4000 },
  server: { port: 5173 },
});
