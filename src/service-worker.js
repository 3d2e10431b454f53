// tweetforge's service worker: keeps the app shell (HTML, JS, CSS, wasm, sample archives)
// so the page opens with no network after a first visit. Network first, so a new build is
// picked up at once when online; the cache answers only when the network cannot.
// Base models are cached separately by the model loader (Cache Storage 'tweetforge-models'),
// and tweets are never fetched at all: they come from the person's own files.
// Named after the build (vite.config.ts writes the id of its file list here, and emits this file
// as sw.js): a new build changes this file, so the browser installs it, which caches the new build
// whole, and its activation deletes the caches of builds before it.
const SHELL = 'tweetforge-shell-__BUILD_ID__';

// Every file of the build (precache.json, listed by vite.config.ts): the page's bundle and the
// workers have loaded before this worker controls the page, so without the list a first
// visit would leave them uncached and the page would not open offline.
async function precache() {
  const cache = await caches.open(SHELL);
  await cache.addAll(['./', './index.html', './favicon.svg']);
  const res = await fetch('./precache.json', { cache: 'no-store' }).catch(() => null);
  if (res && res.ok) await cache.addAll((await res.json()).map((f) => './' + f));
}

self.addEventListener('install', (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('tweetforge-shell-') && k !== SHELL).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

// Cross-origin isolation (SharedArrayBuffer, so WASM trains on every core) for static hosts
// that cannot send these headers: the app's own responses get them here. The same values as
// scripts/serve.mjs sends.
const ISOLATION_HEADERS = {
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-embedder-policy': 'credentialless',
};

function isolated(res) {
  if (res.type !== 'basic' && res.type !== 'default') return res; // opaque or errors: nothing to add to
  const headers = new Headers(res.headers);
  for (const [k, v] of Object.entries(ISOLATION_HEADERS)) headers.set(k, v);
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  // Only the app's own files; models and test fixtures have their own caching.
  if (req.method !== 'GET' || url.origin !== self.location.origin || url.pathname.includes('/fixtures/')) return;
  event.respondWith(
    fetch(req)
      .then((res) => {
        if (res.ok && res.type === 'basic') {
          const copy = res.clone();
          caches.open(SHELL).then((c) => c.put(req, copy));
        }
        return isolated(res);
      })
      .catch(async () => {
        const cached = await caches.match(req, { ignoreSearch: req.mode === 'navigate' });
        return cached ? isolated(cached) : Response.error();
      }),
  );
});
