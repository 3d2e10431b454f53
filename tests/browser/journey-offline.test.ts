// Offline after one visit, in headless Chromium: the first visit installs the service worker
// (which caches every file of the build) and downloads the base model (Cache Storage); with
// the network cut, a reload still opens the page, starts the model worker, loads the model
// from the cache and writes tweets.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';
import { appUrl, expectReadable, launchBrowser, recordPage, screenshot } from '../helpers/browser';
import { buildId } from '../../vite.config.ts';

const MODEL = 'tiny';

async function generateOne(page: Page, batch: number): Promise<string> {
  for (const [key, value] of [['maxNewTokens', '4'], ['minNewTokens', '1'], ['numSamples', '1']]) {
    await page.fill(`[data-testid=generate-panel] [data-setting=${key}]`, value);
  }
  await page.check('[data-testid=greedy]');
  await page.click('[data-testid=generate]');
  await page.waitForSelector(`[data-testid=samples][data-batch="${batch}"][data-state=done]`, { timeout: 120_000 });
  return page.locator('[data-testid=sample]').innerText();
}

describe('offline after the first visit', () => {
  let browser: Browser;

  beforeAll(async () => {
    tinyModelDir(MODEL);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('opens, loads the cached model and generates with no network', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const rec = recordPage(page);
    try {
      // An earlier build's cache, left in this origin (opened from a file of the app that starts no worker).
      await page.goto(`${appUrl()}favicon.svg`);
      await page.evaluate(async () => (await caches.open('tweetforge-shell-v2')).put('/old.js', new Response('old')));
      await page.goto(`${appUrl()}?model=/fixtures/models/${MODEL}/`);
      // The service worker is installed (its install step cached the build) and in control.
      await page.evaluate(() => navigator.serviceWorker.ready);
      await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 30_000 });
      // Its cache is named after this build's files, and the earlier build's is gone.
      const list = await (await fetch(`${appUrl()}precache.json`)).text();
      expect(await page.evaluate(async () => (await caches.keys()).filter((k) => k.startsWith('tweetforge-shell-')))).toEqual([`tweetforge-shell-${buildId(list)}`]);
      const online = await generateOne(page, 1); // downloads the base model into Cache Storage

      await context.setOffline(true);
      await page.reload();
      await page.waitForSelector('[data-testid=gpu-check][data-state=ok]');
      expect(await page.locator('h1').innerText()).toContain('tweetforge');
      const offline = await generateOne(page, 1);
      expect(offline).toBe(online); // same base model, greedy: the same words
      await screenshot(page, 'journey-offline');
      await expectReadable(page);
    } catch (e) {
      console.error(rec.logs.slice(-30).join('\n'));
      throw e;
    } finally {
      await context.close();
    }
  });
});
