// Arrival without WebGPU, in headless Chromium with the API hidden from the page (or an
// adapter that never comes): the page says so before any work starts, tells this browser
// what to do, keeps training closed until the person chooses the slower fallback, and
// still reads archives meanwhile (that needs no GPU).
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTwoAccountArchives } from '../../scripts/fixtures/archive.ts';
import { appUrl, expectReadable, launchBrowser, recordPage, screenshot } from '../helpers/browser';

const DIR = path.resolve('.fixtures/journey-no-webgpu');
const FIREFOX_130_WINDOWS = 'Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:130.0) Gecko/20100101 Firefox/130.0';

describe('arriving without WebGPU', () => {
  let browser: Browser;
  let archives: string[];

  beforeAll(async () => {
    fs.mkdirSync(DIR, { recursive: true });
    archives = writeTwoAccountArchives(DIR);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('explains what to do for this browser and opens training only after "continue"', async () => {
    const context = await browser.newContext({ userAgent: FIREFOX_130_WINDOWS, viewport: { width: 1000, height: 900 } });
    // The page's navigator loses WebGPU (workers keep theirs; this is about what the page says).
    await context.addInitScript(() => Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true }));
    const page = await context.newPage();
    const rec = recordPage(page);
    try {
      await page.goto(appUrl());
      await page.waitForSelector('[data-testid=gpu-check][data-state=missing]');
      expect(await page.locator('[data-testid=gpu-missing]').innerText()).toContain('does not offer WebGPU');
      const advice = await page.locator('[data-testid=gpu-check]').innerText();
      expect(advice).toContain('Update Firefox: WebGPU shipped on Windows in version 141 (you have 130)');
      expect(advice).toMatch(/Chrome and Edge 113\+/);

      // Archives still load; training waits for the person's choice.
      await page.setInputFiles('[data-testid=archive-input]', archives);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=stats-table] thead th[data-user]').length === 2);
      expect(await page.locator('[data-testid=train-start]').isDisabled()).toBe(true);
      await screenshot(page, 'journey-no-webgpu-1-advice');
      await expectReadable(page);
      await page.click('[data-testid=gpu-continue]');
      await page.waitForSelector('[data-testid=gpu-continued]');
      expect(await page.locator('[data-testid=train-start]').isEnabled()).toBe(true);
      await screenshot(page, 'journey-no-webgpu-2-continued');
    } catch (e) {
      console.error(rec.logs.slice(-30).join('\n'));
      throw e;
    } finally {
      await context.close();
    }
  });

  it('names the missing adapter and, for Chrome on Linux, the flag to try', async () => {
    const context = await browser.newContext();
    await context.addInitScript(() => {
      const gpu = (navigator as unknown as { gpu?: { requestAdapter: () => Promise<null> } }).gpu;
      if (gpu) gpu.requestAdapter = async () => null;
    });
    const page = await context.newPage();
    try {
      await page.goto(appUrl());
      await page.waitForSelector('[data-testid=gpu-check][data-state=missing]');
      const text = await page.locator('[data-testid=gpu-check]').innerText();
      expect(text).toContain('found no usable graphics adapter');
      expect(text).toContain('chrome://flags/#enable-unsafe-webgpu'); // headless Chromium here runs on Linux
    } finally {
      await context.close();
    }
  });
});
