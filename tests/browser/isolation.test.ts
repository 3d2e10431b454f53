// Cross-origin isolation, which gives the page SharedArrayBuffer and so tfjs' threaded WASM
// build: from npm start's server (its headers), from the service worker on a static host that
// sends none (one reload), with the Hub's CORS download still working, and with threads
// training the same losses as one thread.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without types
import { startServer } from '../../scripts/serve.mjs';
import { appUrl, launchBrowser, openWithArchives, recordPage, startTraining, trainingFixtures } from '../helpers/browser';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';

const DIR = path.resolve('.fixtures/isolation');

/**
 * crossOriginIsolated in the page and in every worker of the app's own scripts (model, prep,
 * tokenizer pool). The WASM threads (blob: workers) are only counted: they wait in
 * Atomics.wait, so they would never answer, and they exist only because SharedArrayBuffer does.
 */
async function isolation(page: Page): Promise<{ page: boolean; workers: Record<string, boolean>; threads: number }> {
  const workers: Record<string, boolean> = {};
  const own = page.workers().filter((w) => !w.url().startsWith('blob:'));
  for (const w of own) workers[w.url()] = await w.evaluate(() => self.crossOriginIsolated);
  return { page: await page.evaluate(() => crossOriginIsolated), workers, threads: page.workers().length - own.length };
}

const modelWorker = (page: Page) => page.workers().find((w) => /model\.worker/.test(w.url()));

/** Records the model worker's step events in the page (window.__steps) before the app starts it. */
async function recordSteps(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const steps: { step: number; loss: number }[] = ((window as unknown as { __steps: unknown[] }).__steps = []) as never;
    const Native = window.Worker;
    window.Worker = class extends Native {
      constructor(url: string | URL, opts?: WorkerOptions) {
        super(url, opts);
        this.addEventListener('message', (ev: MessageEvent) => {
          const d = ev.data as { type?: string; step?: number; loss?: number };
          if (d?.type === 'step' && typeof d.loss === 'number') steps.push({ step: d.step!, loss: d.loss });
        });
      }
    };
  });
}

/** Trains the tiny model with `query` and returns the notice and the first `n` step losses. */
async function firstLosses(browser: Browser, archives: string[], query: string, n: number): Promise<{ notice: string; losses: number[] }> {
  const page = await browser.newPage();
  await recordSteps(page);
  const rec = recordPage(page);
  await openWithArchives(page, archives, query);
  await startTraining(page, { blockSize: 16, batchSize: 2, epochs: 1, lr: 0.01, checkpointEvery: 50, seed: 7 });
  await page.waitForFunction((n) => (window as unknown as { __steps: unknown[] }).__steps.length >= n, n, { timeout: 240_000, polling: 100 });
  const notice = (await page.textContent('[data-testid=train-notice]')) ?? '';
  const steps = await page.evaluate(() => (window as unknown as { __steps: { step: number; loss: number }[] }).__steps);
  await page.close();
  expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  return { notice, losses: steps.slice(0, n).map((s) => s.loss) };
}

describe('cross-origin isolation', () => {
  let browser: Browser;
  let archives: string[];
  beforeAll(async () => {
    archives = trainingFixtures(DIR);
    browser = await launchBrowser();
  });
  afterAll(async () => browser?.close());

  it("holds in the page and every worker under npm start's server", async () => {
    const page = await browser.newPage();
    await openWithArchives(page, archives, '&backend=wasm&threads=2');
    await page.waitForSelector('[data-testid=train-notice]', { timeout: 120_000 });
    const seen = await isolation(page);
    expect(seen.page).toBe(true);
    expect(modelWorker(page), Object.keys(seen.workers).join('\n')).toBeDefined();
    expect(Object.keys(seen.workers).some((u) => /prep\.worker/.test(u))).toBe(true);
    expect(Object.entries(seen.workers).filter(([, v]) => !v)).toEqual([]);
    expect(seen.threads).toBeGreaterThan(0); // tfjs' threaded build started its thread workers
    expect(await page.textContent('[data-testid=train-notice]')).toMatch(/WebAssembly \(CPU\) on 2 threads/);
    await page.close();
  });

  it('comes from the service worker on a host that sends no isolation headers (one reload)', async () => {
    const server = await startServer({ dir: path.resolve('dist'), isolate: false });
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      const res = await page.goto(`${server.url}?backend=wasm&threads=2&model=${encodeURIComponent('./no-model/')}`);
      expect(res?.headers()['cross-origin-embedder-policy']).toBeUndefined();
      await expect.poll(() => page.evaluate(() => crossOriginIsolated).catch(() => false), { timeout: 60_000, interval: 250 }).toBe(true);
      await page.waitForSelector('[data-testid=train-notice]', { timeout: 120_000 });
      expect(await modelWorker(page)!.evaluate(() => self.crossOriginIsolated)).toBe(true);
      expect(await page.textContent('[data-testid=train-notice]')).toMatch(/on 2 threads/);
      // Reloaded once, not in a loop.
      expect(await page.evaluate(() => sessionStorage.getItem('tweetforge-isolation-reload'))).toBe('1');
    } finally {
      await context.close();
      await server.close();
    }
  });

  it('still downloads a model from the Hub (a cross-origin CORS fetch from the model worker)', async () => {
    const tiny = tinyModelDir('tiny');
    const context = await browser.newContext();
    const served: string[] = [];
    try {
      // Answered as the Hub's CDN answers (Access-Control-Allow-Origin, no Cross-Origin-Resource-Policy).
      // The Hub's redirect to its CDN is left out: Playwright does not route a redirect's target
      // when a worker follows it.
      await context.route('https://huggingface.co/**', (route) => {
        const file = route.request().url().split('/resolve/main/')[1];
        const cors = { 'access-control-allow-origin': '*' };
        // The loader asks for the shard index and optional files too: a file the folder lacks is the Hub's 404.
        if (!fs.existsSync(path.join(tiny, file))) return route.fulfill({ status: 404, body: 'Entry not found', headers: cors });
        served.push(file);
        return route.fulfill({ status: 200, body: fs.readFileSync(path.join(tiny, file)), headers: cors });
      });
      const page = await context.newPage();
      const rec = recordPage(page);
      await page.goto(`${appUrl()}?model=${encodeURIComponent('tweetforge-test/tiny')}`);
      await page.setInputFiles('[data-testid=archive-input]', archives);
      await page.click('[data-testid=train-prepare]'); // loads the base model, then counts the sizes
      await page.waitForSelector('[data-testid=train-sizes]', { timeout: 120_000 });
      expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
      expect(served, rec.logs.join('\n')).toEqual(expect.arrayContaining(['config.json', 'model.safetensors', 'vocab.json', 'merges.txt']));
    } finally {
      await context.close();
    }
  });

  it('trains the same losses on 2 threads as on one (within 1e-4 over three steps)', async () => {
    const one = await firstLosses(browser, archives, '&backend=wasm&threads=1', 3);
    const two = await firstLosses(browser, archives, '&backend=wasm&threads=2', 3);
    expect(one.notice).toMatch(/on one thread/);
    expect(two.notice).toMatch(/on 2 threads/);
    expect(one.losses).toHaveLength(3);
    for (let i = 0; i < 3; i++) expect(Math.abs(two.losses[i] - one.losses[i]), `step ${i + 1}: ${one.losses[i]} vs ${two.losses[i]}`).toBeLessThan(1e-4);
  });
});
