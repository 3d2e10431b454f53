// Every kind of broken archive, dropped on the page together with a good one: each gets its
// own readable line in data-testid="error" naming its file, and the good one still loads.
// (too-large needs a cap far below the page's default, so it is covered by the unit and
// CLI tests only.)
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchiveZip, buildBadArchive, buildTwoAccountArchives, makeTweets, type BadArchiveKind } from '../../scripts/fixtures/archive.ts';
import { appUrl, expectReadable, launchBrowser, recordPage, screenshot } from '../helpers/browser';

const DIR = path.resolve('.fixtures/ingest-ui/bad');
const KINDS: BadArchiveKind[] = ['not-zip', 'truncated', 'no-tweet-files', 'no-tweets', 'bad-json', 'bad-shape', 'not-utf8', 'encrypted'];

describe('bad archives in the page', () => {
  let browser: Browser;
  const files = new Map<string, string>();

  beforeAll(async () => {
    fs.mkdirSync(DIR, { recursive: true });
    for (const k of KINDS) {
      const file = path.join(DIR, `bad-${k}.zip`);
      fs.writeFileSync(file, buildBadArchive(k));
      files.set(k, file);
    }
    const good = buildTwoAccountArchives()[1];
    files.set('good', path.join(DIR, good.name));
    fs.writeFileSync(files.get('good')!, good.bytes);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('gives each its own readable line and loads the good one beside them', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    const rec = recordPage(page);
    try {
      await page.goto(appUrl());
      // Bad ones first and last, so "a good one after a bad one" and "before" both happen.
      const order = [files.get('not-zip')!, ...KINDS.slice(1, 4).map((k) => files.get(k)!), files.get('good')!, ...KINDS.slice(4).map((k) => files.get(k)!)];
      await page.setInputFiles('[data-testid=archive-input]', order);
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=progress] li[data-phase=done], [data-testid=progress] li[data-phase=failed]').length === n, order.length);
      const lines = await page.locator('[data-testid=error] li').allInnerTexts();
      expect(lines.length).toBe(KINDS.length);
      for (const k of KINDS) {
        const line = lines.find((l) => l.includes(`bad-${k}.zip`));
        expect(line, `a line for bad-${k}.zip in:\n${lines.join('\n')}`).toBeDefined();
        // One readable sentence: no stack, no internal names, not empty beyond the file name.
        expect(line!).not.toMatch(/\n|at \w+ \(|\[object|undefined|not implemented/);
        expect(line!.replace(`bad-${k}.zip`, '').replace(/\W+/g, ' ').trim().length).toBeGreaterThan(15);
      }
      // What docs/design.md#hostile-inputs asks each message to say.
      expect(lines.find((l) => l.includes('bad-no-tweet-files'))).toMatch(/tweets?\.js/);
      expect(lines.find((l) => l.includes('bad-bad-json'))).toMatch(/tweets\.js/);
      expect(lines.find((l) => l.includes('bad-encrypted'))).toMatch(/is encrypted \(password-protected\)/);
      expect(await page.locator('[data-testid=stats-table] thead th[data-user]').count()).toBe(1);
      expect(await page.locator('[data-testid=stats-table] td[data-user="hiro_test"][data-stat="downloaded"]').innerText()).toBe('80');
      await screenshot(page, 'ingest-bad-archives');
      await expectReadable(page);
      // Dismissing clears the box; the table stays.
      await page.getByRole('button', { name: 'Dismiss' }).click();
      expect(await page.locator('[data-testid=error]').count()).toBe(0);
      expect(await page.locator('[data-testid=stats-table]').count()).toBe(1);
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('skips a member named ../ and says so under the archive, which loads', async () => {
    const trap = path.join(DIR, 'trap.zip');
    fs.writeFileSync(trap, buildArchiveZip({ username: 'trap_user', tweets: makeTweets(6), files: { '../evil.js': 'window.YTD.tweets.part9 = []' } }));
    const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    try {
      await page.goto(appUrl());
      await page.setInputFiles('[data-testid=archive-input]', trap);
      await page.waitForSelector('[data-testid=progress] li[data-phase=done]');
      expect(await page.locator('[data-testid=archive-warnings] li').allInnerTexts()).toEqual(['trap.zip: skipped "../evil.js": an unsafe name for a file in a zip']);
      expect(await page.locator('[data-testid=error]').count()).toBe(0);
      expect(await page.locator('[data-testid=stats-table] td[data-user="trap_user"][data-stat="downloaded"]').innerText()).toBe('6');
    } finally {
      await page.close();
    }
  });
});
