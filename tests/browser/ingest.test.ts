// The page's ingest half, in headless Chromium against the built app: archives in through
// the file input, the stats table out, compared cell by cell with the CLI (the same
// modules run in Node); a refused archive shows an error and the others stay; tweet text
// that looks like HTML stays text.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { strToU8, zipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildBadArchive, writeTwoAccountArchives } from '../../scripts/fixtures/archive.ts';
import { appUrl, launchBrowser, recordPage, screenshot } from '../helpers/browser';

const run = promisify(execFile);
const DIR = path.resolve('.fixtures/ingest-ui');
const STATS = ['downloaded', 'retweets', 'short', 'kept'] as const;
type Stat = (typeof STATS)[number];
interface CliUser { username: string; displayName: string; downloaded: number; retweets: number; short: number; kept: number }

/** The CLI's table for these archives under a rule: the reference the page must equal. */
async function cliStats(rule: string, files: string[]): Promise<CliUser[]> {
  const { stdout } = await run('npx', ['tsx', 'scripts/cli.ts', 'stats', '--rule', rule, ...files], { maxBuffer: 1 << 26 });
  return (JSON.parse(stdout) as { users: CliUser[] }).users;
}

/** Every account cell of the page's table, as numbers, keyed by username. */
async function pageStats(page: Page): Promise<Map<string, Record<Stat, number>>> {
  const cells = await page.$$eval('[data-testid=stats-table] td[data-user][data-stat]', (tds) =>
    tds.map((td) => ({ user: td.getAttribute('data-user')!, stat: td.getAttribute('data-stat')!, text: td.textContent ?? '' })),
  );
  const out = new Map<string, Record<Stat, number>>();
  for (const c of cells) {
    const row = out.get(c.user) ?? ({} as Record<Stat, number>);
    // Counts are shown with thousands separators: read the digits back.
    row[c.stat as Stat] = Number(c.text.replace(/[^\d]/g, ''));
    out.set(c.user, row);
  }
  return out;
}

function expectSameTable(actual: Map<string, Record<Stat, number>>, expected: CliUser[]): void {
  expect([...actual.keys()].sort()).toEqual(expected.map((u) => u.username).sort());
  for (const u of expected) {
    for (const s of STATS) expect(actual.get(u.username)?.[s], `${u.username} ${s}`).toBe(u[s]);
  }
}

/**
 * A one-account archive whose tweets are HTML and script look-alikes, written here with
 * fflate so the test owns exactly what the page receives. Twitter escapes < > & in
 * full_text, so the cleaned text the page shows is the literal markup.
 */
function hostileArchive(): Uint8Array {
  const account = [{ account: { username: 'mallory', accountDisplayName: 'Mallory <b onmouseover=x>Bold</b>', accountId: '999' } }];
  const texts = [
    '&lt;img src=x onerror="window.__pwned=1"&gt; look at this picture',
    '&lt;script&gt;window.__pwned=2&lt;/script&gt; totally harmless words',
    '<img src=y onerror="window.__pwned=3"> unescaped markup too',
    'an ordinary tweet with enough words to be kept',
  ];
  const tweets = texts.map((full_text, i) => ({
    tweet: {
      id_str: String(7000 + i), id: String(7000 + i), created_at: `Mon Jan 0${i + 1} 10:00:00 +0000 2024`,
      full_text, lang: 'en', retweeted: false, favorite_count: '0', retweet_count: '0',
    },
  }));
  return zipSync({
    'data/account.js': strToU8(`window.YTD.account.part0 = ${JSON.stringify(account, null, 2)}`),
    'data/tweets.js': strToU8(`window.YTD.tweets.part0 = ${JSON.stringify(tweets, null, 2)}`),
  });
}

describe('ingest in the page', () => {
  let browser: Browser;
  let goodZips: string[];
  const badZip = path.join(DIR, 'bad.zip');
  const truncatedZip = path.join(DIR, 'truncated.zip');
  const hostileZip = path.join(DIR, 'mallory.zip');

  beforeAll(async () => {
    // Built fresh on every run (CI starts from a clean clone); same bytes each time.
    fs.mkdirSync(DIR, { recursive: true });
    goodZips = writeTwoAccountArchives(DIR);
    fs.writeFileSync(badZip, buildBadArchive('not-zip'));
    fs.writeFileSync(truncatedZip, buildBadArchive('truncated'));
    fs.writeFileSync(hostileZip, hostileArchive());
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the CLI table under both rules, keeps loaded archives after bad ones, and renders tweets as text', async () => {
    const [multi, hugging] = await Promise.all([cliStats('multilingual', goodZips), cliStats('huggingtweets', goodZips)]);
    expect(multi.length).toBe(2);
    // The two rules must disagree somewhere on this fixture, or the switch below proves nothing.
    expect(JSON.stringify(multi)).not.toBe(JSON.stringify(hugging));

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const rec = recordPage(page);
    await page.addInitScript(() => {
      (window as unknown as { __pwned?: number }).__pwned = undefined;
    });
    try {
      await page.goto(appUrl());
      await expect(page.getByText('Your tweets never leave this machine').count()).resolves.toBe(1);
      expect(await page.locator('[data-testid=rule]').inputValue()).toBe('multilingual');
      expect(await page.locator('[data-testid=exclude-replies]').isChecked()).toBe(false);
      expect(await page.locator('[data-testid=stats-table]').count()).toBe(0); // no table before an archive
      await screenshot(page, 'ingest-1-empty');

      // Two accounts at once: one column each, the default (multilingual) rule.
      await page.setInputFiles('[data-testid=archive-input]', goodZips);
      await page.waitForSelector('[data-testid=stats-table][data-rule=multilingual]');
      await page.waitForFunction((n) => document.querySelectorAll('[data-testid=stats-table] thead th[data-user]').length === n, 2);
      expectSameTable(await pageStats(page), multi);
      for (const u of multi) {
        const head = await page.locator(`[data-testid=stats-table] thead th[data-user="${u.username}"]`).innerText();
        expect(head).toContain(u.displayName);
        expect(head).toContain(`@${u.username}`);
      }
      expect(await page.locator('[data-testid=rule-line]').innerText()).toContain('multilingual');
      await expect(page.locator('[data-testid=progress] li[data-phase=done]').count()).resolves.toBe(2);
      await screenshot(page, 'ingest-2-table-multilingual');

      // Switch the rule: the worker recounts and the page says which rule made the table.
      await page.selectOption('[data-testid=rule]', 'huggingtweets');
      await page.waitForSelector('[data-testid=stats-table][data-rule=huggingtweets]');
      expectSameTable(await pageStats(page), hugging);
      expect(await page.locator('[data-testid=rule-line]').innerText()).toContain('huggingtweets');
      await screenshot(page, 'ingest-3-table-huggingtweets');

      // The explorer's reason filter agrees with the table it sits under.
      await page.selectOption('[data-testid=explore-reason]', 'retweet');
      const retweets = hugging.reduce((n, u) => n + u.retweets, 0);
      await page.waitForSelector(`[data-testid=explore-count][data-total="${retweets}"]`);
      await page.selectOption('[data-testid=explore-reason]', 'kept');
      const kept = hugging.reduce((n, u) => n + u.kept, 0);
      await page.waitForSelector(`[data-testid=explore-count][data-total="${kept}"]`);
      expect(await page.locator('[data-testid=tweet-list] [role=listitem][data-reason]:not([data-reason=kept])').count()).toBe(0);

      // Not a zip, then a truncated one: each gets one readable line naming the file, and
      // the two accounts already loaded stay.
      await page.setInputFiles('[data-testid=archive-input]', [badZip]);
      const error = page.locator('[data-testid=error]');
      await error.waitFor();
      expect(await error.getAttribute('role')).toBe('alert');
      const badText = await error.innerText();
      expect(badText).toContain('bad.zip');
      expect(badText).not.toMatch(/not implemented|undefined|\[object/i);
      expectSameTable(await pageStats(page), hugging);
      await screenshot(page, 'ingest-4-error-not-zip');
      await page.setInputFiles('[data-testid=archive-input]', [truncatedZip]);
      await page.waitForFunction(() => document.querySelector('[data-testid=error]')?.textContent?.includes('truncated.zip'));
      expectSameTable(await pageStats(page), hugging);

      // A good archive after the bad ones still loads, beside the first two.
      await page.setInputFiles('[data-testid=archive-input]', [hostileZip]);
      await page.waitForSelector('[data-testid=stats-table] thead th[data-user="mallory"]');
      expect(await page.locator('[data-testid=error]').count()).toBe(0);
      const after = await pageStats(page);
      expect(after.size).toBe(3);
      for (const u of hugging) expect(after.get(u.username)).toEqual(Object.fromEntries(STATS.map((s) => [s, u[s]])));
      expect(after.get('mallory')?.downloaded).toBe(4);
      // The display name is shown as the characters it is.
      expect(await page.locator('thead th[data-user="mallory"]').innerText()).toContain('Mallory <b onmouseover=x>Bold</b>');

      // Markup in tweets is shown as text: no element is made from it and no script runs.
      await page.selectOption('[data-testid=explore-reason]', 'all');
      await page.fill('[data-testid=explore-search]', 'onerror');
      await page.waitForSelector('[data-testid=explore-count][data-total="2"]');
      const texts = await page.locator('[data-testid=tweet-list] [data-testid=tweet-text]').allInnerTexts();
      expect(texts.some((t) => t.includes('<img src=x onerror="window.__pwned=1">'))).toBe(true);
      expect(texts.some((t) => t.includes('<img src=y onerror="window.__pwned=3">'))).toBe(true);
      await page.fill('[data-testid=explore-search]', 'script');
      await page.waitForSelector('[data-testid=explore-count][data-total="1"]');
      expect(await page.locator('[data-testid=tweet-text]').first().innerText()).toContain('<script>window.__pwned=2</script>');
      expect(await page.locator('main img, main script, [data-testid=stats-table] b').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      await screenshot(page, 'ingest-5-explorer-text-only');

      // Removing an account takes its column away and leaves the others.
      await page.click('button[aria-label="Remove @mallory"]');
      await page.waitForFunction(() => !document.querySelector('thead th[data-user="mallory"]'));
      expectSameTable(await pageStats(page), hugging);

      // Phone width: everything still reachable (the table scrolls sideways in its box).
      await page.setViewportSize({ width: 390, height: 844 });
      await screenshot(page, 'ingest-6-phone');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      expect(overflow).toBeLessThanOrEqual(0);

      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await page.close();
    }
  });

  it('takes archives dropped on the drop zone, and loads the shipped sample archives on request', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    try {
      await page.goto(appUrl());
      // A real drop: a DataTransfer holding the zip's bytes as a File, dispatched on the zone.
      const bytes = [...fs.readFileSync(goodZips[1])];
      const dt = await page.evaluateHandle(({ b, name }) => {
        const t = new DataTransfer();
        t.items.add(new File([new Uint8Array(b)], name, { type: 'application/zip' }));
        return t;
      }, { b: bytes, name: path.basename(goodZips[1]) });
      const zone = page.locator('[role=group][aria-labelledby=drop-title]');
      await zone.dispatchEvent('dragover', { dataTransfer: dt });
      await zone.dispatchEvent('drop', { dataTransfer: dt });
      const hiro = (await cliStats('multilingual', [goodZips[1]]))[0];
      await page.waitForSelector(`[data-testid=stats-table] td[data-user="${hiro.username}"][data-stat=kept]`);
      expectSameTable(await pageStats(page), [hiro]);

      await page.click('[data-testid=try-sample]');
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=stats-table] thead th[data-user]').length >= 3);
      const users = [...(await pageStats(page)).keys()];
      expect(users).toContain(hiro.username);
      expect(users.length).toBeGreaterThanOrEqual(3);
      expect(await page.locator('[data-testid=error]').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  it('is keyboard-operable: every control is labelled and reachable with Tab', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.goto(appUrl());
      await page.setInputFiles('[data-testid=archive-input]', goodZips);
      await page.waitForSelector('[data-testid=stats-table]');
      // Every form control has an accessible name.
      const unlabelled = await page.$$eval('input, select, button', (els) =>
        els.filter((el) => {
          const e = el as HTMLInputElement;
          const byLabel = e.labels && e.labels.length > 0 && [...e.labels].some((l) => l.textContent?.trim());
          return !byLabel && !el.getAttribute('aria-label') && !el.textContent?.trim();
        }).map((el) => el.outerHTML.slice(0, 80)),
      );
      expect(unlabelled).toEqual([]);
      // Tab reaches the file input, the rule select, the replies box, the search box and the list.
      const reached = new Set<string>();
      for (let i = 0; i < 30; i++) {
        await page.keyboard.press('Tab');
        const id = await page.evaluate(() => document.activeElement?.getAttribute('data-testid') ?? '');
        if (id) reached.add(id);
      }
      for (const id of ['archive-input', 'rule', 'exclude-replies', 'explore-search', 'explore-reason', 'tweet-list']) {
        expect(reached, `Tab should reach ${id}`).toContain(id);
      }
      // The rule can be changed from the keyboard alone.
      await page.focus('[data-testid=rule]');
      await page.keyboard.press('ArrowDown');
      await page.waitForSelector('[data-testid=stats-table][data-rule=huggingtweets]');
      // Leave out replies: the table gains a replies row and still adds up.
      await page.focus('[data-testid=exclude-replies]');
      await page.keyboard.press('Space');
      await page.waitForSelector('[data-testid=stats-table][data-exclude-replies=true]');
      const rows = await page.$$eval('[data-testid=stats-table] td[data-stat]', (tds) =>
        tds.map((td) => [td.getAttribute('data-user'), td.getAttribute('data-stat'), Number(td.getAttribute('data-value'))] as const),
      );
      const byUser = new Map<string, Record<string, number>>();
      for (const [u, s, v] of rows) byUser.set(u!, { ...byUser.get(u!), [s!]: v });
      for (const r of byUser.values()) expect(r.retweets + r.short + r.kept + r.replies).toBe(r.downloaded);
      await screenshot(page, 'ingest-7-no-replies');
    } finally {
      await page.close();
    }
  });
});
