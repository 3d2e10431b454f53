// Serves the built app (dist/) on localhost and prints its URL.
// Usage: node scripts/serve.mjs [--port N] [--dir DIR]
// Also used by the browser tests, which import startServer().
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8', '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8', '.zip': 'application/zip', '.map': 'application/json',
  '.webmanifest': 'application/manifest+json',
};

/**
 * Cross-origin isolation, so the page gets SharedArrayBuffer and tfjs' threaded WASM build.
 * `credentialless` rather than `require-corp`: the Hub download is a CORS fetch either way, and
 * nothing cross-origin the page loads needs a Cross-Origin-Resource-Policy header.
 */
export const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'credentialless',
};

/**
 * Static file server. `isolate: false` leaves out the isolation headers (as a static host
 * that cannot set headers would), for the tests of the service worker's isolation. `mounts` maps URL prefixes (e.g. '/models/tiny/') to folders,
 * so tests can serve a tiny model beside the app. Resolves to { url, close }.
 */
export function startServer({ dir, port = 0, mounts = {}, isolate = true }) {
  const roots = [...Object.entries(mounts), ['/', dir]].map(([prefix, root]) => [prefix, path.resolve(root)]);
  const csp = contentSecurityPolicy(dir);
  const server = http.createServer((req, res) => {
    let urlPath;
    try {
      urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    } catch {
      // "/%%" once threw out of this handler and stopped the server (a page asking ?model=%%%).
      res.writeHead(400, { 'content-type': 'text/plain' });
      return res.end('bad request: malformed URL');
    }
    for (const [prefix, root] of roots) {
      if (!urlPath.startsWith(prefix)) continue;
      let file = path.join(root, urlPath.slice(prefix.length));
      // Inside root itself, not merely beside it: /dist-private starts with /dist too.
      const rel = path.relative(root, file);
      if (rel.startsWith('..') || path.isAbsolute(rel)) break;
      if (fs.existsSync(file) && fs.statSync(file).isDirectory()) file = path.join(file, 'index.html');
      if (!fs.existsSync(file)) continue;
      const stat = fs.statSync(file);
      res.writeHead(200, {
        'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream',
        'content-length': stat.size,
        'cache-control': 'no-cache',
        // Sent on every file, not only in index.html's <meta>: a worker script takes its
        // policy from its own response, so this is what keeps the workers' fetches in bounds.
        ...(csp ? { 'content-security-policy': csp } : {}),
        ...(isolate ? ISOLATION_HEADERS : {}),
      });
      if (req.method === 'HEAD') return res.end();
      fs.createReadStream(file).on('error', () => res.destroy()).pipe(res);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({ url: `http://localhost:${actual}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** The policy index.html declares in its <meta> tag: one source of truth for page and workers. */
function contentSecurityPolicy(dir) {
  const html = fs.existsSync(path.join(dir, 'index.html')) ? fs.readFileSync(path.join(dir, 'index.html'), 'utf8') : '';
  return html.match(/http-equiv="Content-Security-Policy"\s+content="([^"]+)"/)?.[1];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (name, dflt) => { const i = args.indexOf(name); return i >= 0 ? args[i + 1] : dflt; };
  const dir = path.resolve(opt('--dir', 'dist'));
  if (!fs.existsSync(path.join(dir, 'index.html'))) {
    console.error(`No built app in ${dir}: run "npm run build" first.`);
    process.exit(1);
  }
  const asked = opt('--port', process.env.PORT || undefined);
  const first = Number(asked ?? 8080);
  // The default port may be taken by another dev server: try the next few. A port asked for is kept.
  for (let port = first; ; port++) {
    try {
      const { url } = await startServer({ dir, port });
      console.log(`tweetforge is served at ${url}  (Ctrl+C to stop)`);
      break;
    } catch (e) {
      if (e.code !== 'EADDRINUSE' || asked !== undefined || port >= first + 9) {
        console.error(e.code === 'EADDRINUSE'
          ? `Port ${port} is in use: stop what uses it, or choose another with PORT=N npm start (or --port N).`
          : `Cannot serve on port ${port}: ${e.message}`);
        process.exit(1);
      }
    }
  }
}
