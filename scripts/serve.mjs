// Serves the built app (dist/) on localhost and prints its URL.
// Usage: node scripts/serve.mjs [--port N] [--dir DIR]
// Also used by the browser tests, which import startServer().
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream';
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
 * Static file server. `mounts` maps URL prefixes (e.g. '/models/tiny/') to folders, so tests
 * can serve a tiny model beside the app; `isolate: false` leaves out the isolation headers, as
 * a static host that cannot set headers would (the service worker's isolation is tested so).
 * Resolves to { url, close }.
 */
export function startServer({ dir, port = 0, mounts = {}, isolate = true }) {
  const roots = [...Object.entries(mounts), ['/', dir]].map(([prefix, root]) => [prefix, path.resolve(root)]);
  const headers = { ...securityHeaders(dir), ...(isolate ? ISOLATION_HEADERS : {}) };
  const send = (res, status, text) => {
    res.writeHead(status, { ...headers, 'content-type': 'text/plain' });
    res.end(text);
  };
  const server = http.createServer((req, res) => {
    serve(req, res, roots, headers, send).catch(() => {
      // Whatever a request meets (a file gone, unreadable, a read error), the server goes on.
      if (res.headersSent) res.destroy();
      else send(res, 500, 'server error');
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const { port: actual } = server.address();
      resolve({ url: `http://localhost:${actual}/`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/**
 * Every header that is the same on every response, in one place: the page's policy, which a
 * worker script takes from its own response (so the workers' fetches stay in bounds too), and
 * what only a header can say (no framing, no sniffing a file into another type).
 */
function securityHeaders(dir) {
  const csp = [contentSecurityPolicy(dir), "frame-ancestors 'none'"].filter(Boolean).join('; ');
  return {
    'content-security-policy': csp,
    'x-content-type-options': 'nosniff',
  };
}

async function serve(req, res, roots, headers, send) {
  let urlPath;
  try {
    urlPath = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
  } catch {
    // "/%%" once threw out of this handler and stopped the server (a page asking ?model=%%%).
    return send(res, 400, 'bad request: malformed URL');
  }
  for (const [prefix, root] of roots) {
    if (!urlPath.startsWith(prefix)) continue;
    const file = path.join(root, urlPath.slice(prefix.length));
    // Inside root itself, not merely beside it: /dist-private starts with /dist too.
    if (!inside(root, file)) break;
    const opened = await openServed(file, await fs.promises.realpath(root).catch(() => root));
    if (!opened) continue;
    const { handle, stat: { size } } = opened;
    res.writeHead(200, {
      ...headers,
      'content-type': TYPES[path.extname(opened.file)] ?? 'application/octet-stream',
      'content-length': size,
      'cache-control': 'no-cache',
    });
    if (req.method === 'HEAD' || size === 0) {
      await handle.close();
      return res.end();
    }
    // The size fstat gave is what is sent, even if the file grows meanwhile; pipeline closes
    // the handle and the response together, however either ends.
    pipeline(handle.createReadStream({ start: 0, end: size - 1 }), res, () => {});
    return;
  }
  send(res, 404, 'not found');
}

function inside(root, file) {
  const rel = path.relative(root, file);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

/** The regular file at `file`, or a folder's index.html, opened; null when there is none to serve. */
async function openServed(file, real) {
  let opened = await openChecked(file, real);
  if (opened?.stat.isDirectory()) {
    await opened.handle.close();
    opened = await openChecked(path.join(file, 'index.html'), real);
  }
  if (opened && !opened.stat.isFile()) {
    await opened.handle.close();
    return null;
  }
  return opened;
}

/**
 * Opens `file` and fstats the handle, so what is checked is what is sent (a file removed or
 * replaced in between is simply not found). Only what lies, by its real path, inside `real`
 * (the root's real path) is opened: a symlink out of the root is not found, one inside is
 * followed. O_NONBLOCK keeps a FIFO from stalling the open; it changes nothing for a file.
 */
async function openChecked(file, real) {
  let handle;
  try {
    handle = await fs.promises.open(file, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
  } catch {
    return null; // gone, unreadable, a symlink loop
  }
  try {
    const stat = await handle.stat();
    const resolved = await fs.promises.realpath(file);
    const named = await fs.promises.stat(resolved);
    // The path may have been swapped after the open: the handle must be the file it names now.
    if (inside(real, resolved) && named.ino === stat.ino && named.dev === stat.dev) return { handle, stat, file };
  } catch {
    // removed between the open and the checks
  }
  await handle.close();
  return null;
}

/**
 * The policy index.html declares in its <meta> tag: one source of truth for page and workers.
 * frame-ancestors is added by securityHeaders, as a <meta> policy cannot carry it.
 */
function contentSecurityPolicy(dir) {
  let html = '';
  try {
    html = fs.readFileSync(path.join(dir, 'index.html'), 'utf8');
  } catch {
    // no built app: no page policy to repeat
  }
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
