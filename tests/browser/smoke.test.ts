import { describe, it, expect } from 'vitest';
import { launchBrowser, appUrl, recordPage, screenshot } from '../helpers/browser';

describe('the built app in headless Chromium', () => {
  it('loads from localhost and has WebGPU', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      await page.goto(appUrl());
      // The page mounted (the heading is the app's, not index.html's), once, without an uncaught error.
      expect(await page.locator('h1').innerText()).toContain('tweetforge');
      expect(await page.locator('h1').count()).toBe(1);
      await page.locator('[data-testid=archive-input]').waitFor({ state: 'attached' });
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]')), rec.logs.join('\n')).toEqual([]);
      const hasAdapter = await page.evaluate(async () => !!(await (navigator as any).gpu?.requestAdapter()));
      expect(hasAdapter, rec.logs.join('\n')).toBe(true);
      await screenshot(page, 'smoke');
    } finally {
      await browser.close();
    }
  });

  it('says why ?model= cannot be used, before any download, and starts with a malformed one', async () => {
    const browser = await launchBrowser();
    try {
      for (const [model, why] of [
        ['https://example.com/x/', /^the model URL https:\/\/example\.com\/x\/ is on example\.com: this page may download only from its own origin \(localhost:\d+\) or the Hugging Face Hub/],
        ['http://[', /^the model URL "http:\/\/\[" is not a URL/],
      ] as const) {
        const page = await browser.newPage();
        const rec = recordPage(page);
        await page.goto(`${appUrl()}?model=${encodeURIComponent(model)}`);
        await page.click('[data-testid=try-sample]');
        await page.click('[data-testid=train-prepare]', { timeout: 60_000 });
        const error = page.locator('[data-testid=train-panel] [data-testid=error]');
        await error.waitFor({ timeout: 30_000 });
        expect((await error.innerText()).trim(), model).toMatch(why);
        expect(rec.requests.filter((u) => u.includes('config.json')), model).toEqual([]);
        expect(rec.logs.filter((l) => l.startsWith('[pageerror]')), model).toEqual([]);
        await page.close();
      }
    } finally {
      await browser.close();
    }
  });
});
