// The model worker's start-up self-check of our WebGPU kernels, in the page (headless Chromium,
// WebGPU on SwiftShader): on a sound device every kernel passes, so the train panel shows no
// kernel notice and the console names no failed kernel. (A failing kernel is forced in
// tests/unit/kernel-self-check-webgpu.test.ts, through the same session code.)
import { describe, expect, it } from 'vitest';
import { appUrl, launchBrowser, recordPage } from '../helpers/browser';

describe('kernel self-check in the page', () => {
  it('passes every kernel on Chromium\'s WebGPU: no kernel notice', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      await page.goto(appUrl());
      await page.click('[data-testid=try-sample]');
      // 'resumable' follows the backend choice and the self-check in the worker's init.
      await page.locator('[data-testid=train-panel][data-resume-checked=true]').waitFor({ timeout: 120_000 });
      expect(await page.locator('[data-testid=train-notice]').count(), rec.logs.join('\n')).toBe(0); // WebGPU was chosen
      expect(await page.locator('[data-testid=train-kernel-notice]').count(), rec.logs.join('\n')).toBe(0);
      expect(rec.logs.filter((l) => l.includes('failed its self-check'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
