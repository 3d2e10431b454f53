import { defineConfig, type Plugin } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { sampleArchives } from './scripts/fixtures/sample-archive';

/** Ships the sample archives (made by a project script, not committed) under sample/. */
function sampleArchivePlugin(): Plugin {
  const files = () => sampleArchives();
  return {
    name: 'tweetforge-sample-archives',
    configureServer(server) {
      const built = files();
      server.middlewares.use((req, res, next) => {
        const name = req.url?.match(/\/sample\/([\w.-]+\.zip)$/)?.[1];
        const bytes = name ? built.get(name) : undefined;
        if (!bytes) return next();
        res.setHeader('content-type', 'application/zip');
        res.end(Buffer.from(bytes));
      });
    },
    generateBundle() {
      const names: string[] = [];
      for (const [name, bytes] of files()) {
        this.emitFile({ type: 'asset', fileName: `sample/${name}`, source: bytes });
        names.push(name);
      }
      this.emitFile({ type: 'asset', fileName: 'sample/index.json', source: JSON.stringify(names) });
    },
  };
}

export default defineConfig({
  plugins: [svelte(), sampleArchivePlugin()],
  // Relative base so the built app works from any folder a static server gives it.
  base: './',
  worker: { format: 'es' },
  build: { target: 'es2022', outDir: 'dist', sourcemap: true, chunkSizeWarningLimit: 4000 },
  server: { port: 5173 },
});
