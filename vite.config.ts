import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { sampleArchives } from './scripts/fixtures/sample-archive';

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
 * Lists every file of the build in precache.json, so public/sw.js can cache the whole app at
 * install: the page's own bundle and the workers load before the service worker controls
 * the page, so caching only what passes through it would miss them on the first visit.
 */
function precacheManifestPlugin(): Plugin {
  return {
    name: 'tweetforge-precache-manifest',
    apply: 'build',
    generateBundle: {
      order: 'post', // after the sample archives and index.html are emitted
      handler(_options, bundle) {
        const files = Object.keys(bundle).filter((f) => !f.endsWith('.map') && f !== 'precache.json');
        this.emitFile({ type: 'asset', fileName: 'precache.json', source: JSON.stringify(files.sort()) });
      },
    },
  };
}

export default defineConfig({
  plugins: [svelte(), sampleArchivePlugin(), precacheManifestPlugin()],
  // Relative base so the built app works from any folder a static server gives it.
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 4000 },
  server: { port: 5173 },
});
