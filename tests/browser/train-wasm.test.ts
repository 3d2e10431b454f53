// Training on tfjs' wasm backend in the page (`?backend=wasm`, the fallback of browsers without
// WebGPU or WebGL), with the page's bundled .wasm files and the planned matmul of
// src/lib/wasm-matmul.ts (transposed and batched products rewritten for XNNPACK). The page says
// what runs and how much slower; a dozen steps of the tiny model train and the loss falls.
// (Headless Chromium keeps WebGL in workers even with --disable-3d-apis, so the URL picks it.)
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { launchBrowser, openWithArchives, recordPage, screenshot, startTraining, trainingFixtures, waitForStep } from '../helpers/browser';

const DIR = path.resolve('.fixtures/train-wasm');

describe('training on the WebAssembly fallback', () => {
  it('says it runs on WebAssembly, trains, and the loss falls', async () => {
    const archives = trainingFixtures(DIR);
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      await openWithArchives(page, archives, '&backend=wasm');

      await startTraining(page, { blockSize: 16, batchSize: 2, epochs: 1, lr: 0.01, checkpointEvery: 50, seed: 7 });
      await page.waitForSelector('[data-testid=train-progress]', { timeout: 240_000 });
      const notice = await page.textContent('[data-testid=train-notice]');
      expect(notice, rec.logs.join('\n')).toMatch(/Training runs on WebAssembly \(CPU\) on \d+ threads, as the page was asked \(\?backend=wasm\): roughly \d+x slower/);
      await waitForStep(page, 12);
      await page.click('[data-testid=train-pause]');
      await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 120_000 });
      // No GPU holds the tensors here: the memory is the tab's.
      expect(await page.locator('[data-testid=train-memory]').locator('..').innerText()).toMatch(/· tfjs memory [\d.]+ [kMG]B in [\d,]+ tensors/);
      await screenshot(page, 'train-wasm-paused');
      const first = Number(await page.getAttribute('[data-testid=train-loss]', 'data-first-loss'));
      const last = Number(await page.getAttribute('[data-testid=train-loss]', 'data-loss'));
      expect(first).toBeGreaterThan(5); // ~ln(50257) for an untrained head
      expect(last, `first ${first}, last ${last}`).toBeLessThan(first - 0.1);
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
