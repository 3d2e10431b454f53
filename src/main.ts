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
}
