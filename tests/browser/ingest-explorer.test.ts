// The explorer's list is virtualised: a few thousand tweets, yet only a screenful of rows
// in the DOM, every row reachable by scrolling, each the tweet the worker has at that index.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchiveZip, makeTweets } from '../../scripts/fixtures/archive.ts';
import { appUrl, launchBrowser, screenshot } from '../helpers/browser';

const N = 5000;

describe('the explorer list', () => {
  let browser: Browser;
  const zip = path.resolve('.fixtures/ingest-ui/explorer-5000.zip');

  beforeAll(async () => {
    fs.mkdirSync(path.dirname(zip), { recursive: true });
    // Every tweet numbered, so a row's text says which index it must sit at.
    const tweets = makeTweets(N, { seed: 3 }).map((t, i) => ({ ...t, text: `tweet number ${i} says ${t.text.replace(/^RT @/, 'rt ')}` }));
    fs.writeFileSync(zip, buildArchiveZip({ username: 'many', displayName: 'Many Tweets', tweets }));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('renders only the visible rows and fetches the rest by range as it scrolls', async () => {
    const page = await browser.newPage({ viewport: { width: 1000, height: 800 } });
    try {
      await page.goto(appUrl());
      await page.setInputFiles('[data-testid=archive-input]', [zip]);
      await page.waitForSelector(`[data-testid=explore-count][data-total="${N}"]`);
      const list = page.locator('[data-testid=tweet-list]');
      const rowsInDom = async () => list.locator('[role=listitem]').count();
      expect(await rowsInDom()).toBeGreaterThan(3);
      expect(await rowsInDom()).toBeLessThan(60);

      // Jump to places in the list: the rows there are the tweets with those numbers.
      for (const target of [2500, N - 1, 137]) {
        await list.evaluate((el, t) => {
          el.scrollTop = t * 80; // the fixed row height in TweetList.svelte
        }, target);
        const row = list.locator(`[role=listitem][data-index="${target}"] [data-testid=tweet-text]`);
        await row.waitFor();
        expect(await row.innerText()).toMatch(new RegExp(`^tweet number ${target} says`));
        expect(await rowsInDom()).toBeLessThan(60);
      }
      await screenshot(page, 'ingest-explorer-scrolled');

      // The keyboard scrolls it too.
      await list.evaluate((el) => (el.scrollTop = 0));
      await list.focus();
      await page.keyboard.press('End');
      await list.locator(`[role=listitem][data-index="${N - 1}"]`).waitFor();

      // Search narrows the list to matching tweets, from the start.
      await page.fill('[data-testid=explore-search]', 'tweet number 4321 says');
      await page.waitForSelector('[data-testid=explore-count][data-total="1"]');
      expect(await list.locator('[data-testid=tweet-text]').allInnerTexts()).toEqual([
        expect.stringMatching(/^tweet number 4321 says/),
      ]);
    } finally {
      await page.close();
    }
  });
});
