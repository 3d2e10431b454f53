// An archive whose account display name is made to hurt (HTML, a link, a heading, a fence,
// front-matter lines, controls), through the page: the table shows it as text, and the
// exported bundle's README.md (the model card people publish) holds it as inert text, its
// front matter the card's own keys only, its language the tweets' tags that are languages.
// The bundle needs no training: the base weights and the data table are enough, so this drops
// one archive and exports.
import fs from 'node:fs';
import path from 'node:path';
import { unzipSync, strFromU8 } from 'fflate';
import type { Download } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { buildArchiveZip, makeTweets } from '../../scripts/fixtures/archive.ts';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';
import { appUrl, launchBrowser, recordPage } from '../helpers/browser';
import { blockLines, CARD_BLOCKS, frontMatter, HOSTILE_NAME, HOSTILE_NAME_SEEN, pyYaml, renderedText } from '../helpers/hostile-card.ts';

const DIR = path.resolve('.fixtures/hostile-card');
/** A tweet's `lang` that would close the YAML string and add a key, were it written. */
const HOSTILE_LANG = 'en"\nbase_model: "evil"\n- x';

describe('a hostile display name through the page', () => {
  it('comes out of the exported bundle as inert text', async () => {
    tinyModelDir('tiny');
    fs.mkdirSync(DIR, { recursive: true });
    const archive = path.join(DIR, 'eve.zip');
    // Every third tweet's language is made to hurt too; the others' are Japanese: the card says ja, and only ja.
    const tweets = makeTweets(20, { seed: 3 }).map((t, i) => ({ ...t, lang: i % 3 === 0 ? HOSTILE_LANG : 'ja' }));
    fs.writeFileSync(archive, buildArchiveZip({ username: 'eve_test', displayName: HOSTILE_NAME, tweets }));
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const rec = recordPage(page);
      const dialogs: string[] = [];
      page.on('dialog', (d) => void (dialogs.push(d.message()), d.dismiss()));
      await page.goto(`${appUrl()}?model=${encodeURIComponent('/fixtures/models/tiny/')}`);
      await page.setInputFiles('[data-testid=archive-input]', archive);
      await page.waitForSelector('[data-testid=stats-table] [data-user=eve_test]', { timeout: 60_000 });
      expect(await page.locator('[data-testid=stats-table] img, [data-testid=stats-table] script').count()).toBe(0);

      const [download] = (await Promise.all([
        page.waitForEvent('download', { timeout: 120_000 }),
        page.click('[data-testid=export-bundle]'),
      ])) as [Download, void];
      const file = path.join(DIR, download.suggestedFilename());
      await download.saveAs(file);
      expect(download.suggestedFilename()).toBe('tweetforge-eve_test.zip');
      const card = strFromU8(unzipSync(new Uint8Array(fs.readFileSync(file)))['README.md']);

      // The name stands where the card puts it (title, prose, table header), nowhere else, inert.
      const title = card.split('\n').find((l) => l.startsWith('# '))!;
      const prose = card.split('\n').find((l) => l.startsWith('The model was trained on tweets from '))!;
      const header = card.split('\n').find((l) => l.startsWith('| Data | '))!;
      expect(renderedText(title.slice(2), false)).toBe(HOSTILE_NAME_SEEN);
      expect(renderedText(prose.slice(37, -1), false)).toBe(HOSTILE_NAME_SEEN);
      expect(renderedText(header.slice(9, -2), true)).toBe(HOSTILE_NAME_SEEN);
      expect(card.split('\n').filter((l) => l.includes('onerror'))).toEqual([title, prose, header]);
      expect(blockLines(card)).toEqual(CARD_BLOCKS);
      const front = pyYaml(frontMatter(card)) as Record<string, unknown>;
      expect(Object.keys(front)).toEqual(['language', 'tags', 'pipeline_tag', 'widget']);
      expect(front.language).toBe('ja');
      expect(dialogs).toEqual([]);
      expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});
