import { mount } from 'svelte';
import './app.css';
import App from './ui/App.svelte';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
export default mount(App, { target });

// The offline app shell (src/service-worker.js, built as sw.js), in built apps only: in dev it would cache modules
// that Vite rewrites on every change.
if (import.meta.env.PROD && 'serviceWorker' in navigator && window.isSecureContext) {
  navigator.serviceWorker.register('./sw.js').catch((e: unknown) => console.warn('service worker not registered:', e));
  reloadOnceIsolated();
}

/**
 * A static host that sends no isolation headers gets them from the service worker, which
 * controls the page only from its next load: reload once, as soon as it does, unless the
 * person has begun (a reload would drop the archives they dropped).
 */
function reloadOnceIsolated(): void {
  const KEY = 'tweetforge-isolation-reload';
  if (window.crossOriginIsolated || sessionStorage.getItem(KEY)) return;
  let touched = false;
  for (const type of ['pointerdown', 'keydown', 'drop', 'change']) addEventListener(type, () => (touched = true), { capture: true, once: true });
  const reload = () => {
    if (touched) return;
    sessionStorage.setItem(KEY, '1');
    location.reload();
  };
  if (navigator.serviceWorker.controller) reload(); // controlled, yet not isolated: the worker of an older build
  else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
}
