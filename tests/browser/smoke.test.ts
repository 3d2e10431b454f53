import { describe, it, expect } from 'vitest';
import { launchBrowser, appUrl, recordPage, screenshot } from '../helpers/browser';

describe('the built app in headless Chromium', () => {
  it('loads from localhost and has WebGPU', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      await page.goto(appUrl());
      await expect(page.locator('h1')).toBeDefined();
      expect(await page.locator('h1').innerText()).toContain('tweetforge');
      const hasAdapter = await page.evaluate(async () => !!(await (navigator as any).gpu?.requestAdapter()));
      expect(hasAdapter, rec.logs.join('\n')).toBe(true);
      await screenshot(page, 'smoke');
    } finally {
      await browser.close();
    }
  });
});
