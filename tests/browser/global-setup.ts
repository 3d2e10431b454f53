// Builds the app once, serves dist/ (plus generated fixtures under /fixtures/) on
// localhost, and hands the URL to the browser tests through TWEETFORGE_URL.
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
// @ts-expect-error plain ESM script without types
import { startServer } from '../../scripts/serve.mjs';

export default async function setup(): Promise<() => Promise<void>> {
  // Vitest sets NODE_ENV=test, which would make Vite build a development app (Svelte's dev
  // runtime, import.meta.env.PROD false, so no service worker): test what ships instead.
  execSync('npx vite build --logLevel error', { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  const fixtures = path.resolve('.fixtures');
  fs.mkdirSync(fixtures, { recursive: true });
  const server = await startServer({ dir: path.resolve('dist'), mounts: { '/fixtures/': fixtures } });
  process.env.TWEETFORGE_URL = server.url;
  return async () => { await server.close(); };
}
