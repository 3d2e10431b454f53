// Training in the page, in headless Chromium on WebGPU (SwiftShader): the tiny fixture model
// served on localhost trains a few steps in the model worker on a generated two-account
// archive, the loss falls, the page is reloaded mid-run (the worker dies wherever it was,
// possibly mid-checkpoint), the page offers the run, it resumes from its last checkpoint, and
// IndexedDB holds exactly what the shelf shows. Tokenizing runs in a pool of tokenizer workers
// nested in the model worker, with a progress bar. Shapes are tiny (B1 x T16): SwiftShader is slow.
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectReadable, launchBrowser, openWithArchives, recordPage, screenshot, startTraining, trainingFixtures, waitForStep } from '../helpers/browser';
import { PANEL_SETTINGS, inputAttributes } from '../../src/lib/train/config';

const DIR = path.resolve('.fixtures/train-ui');

async function step(page: Page): Promise<number> {
  return Number((await page.getAttribute('[data-testid=train-progress]', 'data-step')) ?? 0);
}

/** What IndexedDB holds: checkpoint ids per run and the pointer targets. */
async function idbContents(page: Page): Promise<{ checkpoints: string[]; pointers: string[]; tensorsOf: string[] }> {
  return page.evaluate(
    () =>
      new Promise((resolve, reject) => {
        const req = indexedDB.open('tweetforge');
        req.onerror = () => reject(req.error);
        req.onsuccess = () => {
          const db = req.result;
          const tx = db.transaction(['checkpoints', 'pointers', 'tensors'], 'readonly');
          const out = { checkpoints: [] as string[], pointers: [] as string[], tensorsOf: [] as string[] };
          const ck = tx.objectStore('checkpoints').getAllKeys();
          ck.onsuccess = () => (out.checkpoints = (ck.result as string[]).slice().sort());
          const pt = tx.objectStore('pointers').getAll();
          pt.onsuccess = () => (out.pointers = (pt.result as { checkpointId: string }[]).map((p) => p.checkpointId));
          const tn = tx.objectStore('tensors').getAllKeys();
          tn.onsuccess = () => (out.tensorsOf = [...new Set((tn.result as [string, string][]).map((k) => k[0]))].sort());
          tx.oncomplete = () => {
            db.close();
            resolve(out);
          };
        };
      }),
  );
}

describe('training in the page (WebGPU in a worker, IndexedDB checkpoints)', () => {
  // One page goes through the whole story, each test taking it where the last one left it.
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let rec: ReturnType<typeof recordPage>;
  let kept = 0;
  let firstLoss = 0;
  let before = 0;
  let offeredStep = 0;

  // A test that fails leaves the page somewhere else: the ones after it say so instead of failing obscurely.
  let failed: string | undefined;
  function then(name: string, fn: () => Promise<void>): void {
    it(name, async () => {
      if (failed) throw new Error(`not run: it goes on from "${failed}", which failed`);
      try {
        await fn();
      } catch (e) {
        failed = name;
        throw e;
      }
    });
  }

  beforeAll(async () => {
    browser = await launchBrowser();
    context = await browser.newContext(); // a second tab joins it below
    page = await context.newPage();
    rec = recordPage(page);
    // The tokenizing progress bar shows for a moment only: remember the furthest it got.
    await page.addInitScript(() => {
      const w = window as unknown as { prepareSeen: { texts: number; total: number } | null };
      w.prepareSeen = null;
      new MutationObserver(() => {
        const el = document.querySelector('[data-testid=prepare-progress]');
        if (el) w.prepareSeen = { texts: Number(el.getAttribute('data-texts')), total: Number(el.getAttribute('data-total-texts')) };
      }).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-texts'] });
    });
    // The page asks the browser to keep its storage (only a page can: workers have no persist()).
    await page.addInitScript(() => {
      const w = window as unknown as { persistAsked: number };
      w.persistAsked = 0;
      const persist = navigator.storage.persist.bind(navigator.storage);
      navigator.storage.persist = () => (w.persistAsked++, persist());
    });
  });
  afterAll(async () => {
    await browser?.close();
  });

  then('keeps tweets of the two-account archive to train on', async () => {
    await openWithArchives(page, trainingFixtures(DIR));
    kept = (await page.$$eval('[data-testid=stats-table] td[data-user][data-stat=kept]', (tds) => tds.map((td) => Number(td.getAttribute('data-value'))))).reduce((a, b) => a + b, 0);
    expect(kept).toBeGreaterThan(0);
  });

  then('names a setting that cannot train at once, and Start waits for it to be fixed', async () => {
    await page.click('[data-testid=train-settings]');
    // Each input offers the settings table's bounds, which are validation's (train-config.test.ts).
    for (const key of PANEL_SETTINGS) {
      const input = page.locator(`[data-testid=train-setting-${key}]`);
      const { min, max } = inputAttributes(key);
      expect([await input.getAttribute('min'), await input.getAttribute('max')], key).toEqual([String(min), max === undefined ? null : String(max)]);
    }
    await page.fill('[data-testid=train-setting-epochs]', '0');
    expect(await page.textContent('[data-testid=train-settings-problem]')).toBe('Epochs must be a whole number from 1 to 50, not 0.');
    expect(await page.locator('[data-testid=train-start]').isDisabled()).toBe(true);
    await page.fill('[data-testid=train-setting-epochs]', '1');
    await page.waitForSelector('[data-testid=train-settings-problem]', { state: 'detached' });
    expect(await page.locator('[data-testid=train-start]').isDisabled()).toBe(false);
    await page.click('[data-testid=train-settings]'); // closed again: startTraining opens it
  });

  then('starts: asks to keep the storage, counts the steps, tokenizes every kept tweet in the worker pool', async () => {
    await startTraining(page, { blockSize: 16, batchSize: 1, epochs: 1, lr: 0.01, checkpointEvery: 2, seed: 7 });
    await page.waitForSelector('[data-testid=train-progress]', { timeout: 240_000 });
    expect(await page.evaluate(() => (window as unknown as { persistAsked: number }).persistAsked)).toBeGreaterThanOrEqual(1);
    const total = Number(await page.getAttribute('[data-testid=train-progress]', 'data-total-steps'));
    expect(total, rec.logs.join('\n')).toBeGreaterThan(20);
    expect(await page.textContent('[data-testid=train-total-steps]')).toBe(`${total.toLocaleString('en-US')} (1 epoch × batch 1)`);
    // The kept tweets went through the pool of tokenizer workers, and the page showed its progress to the end.
    expect(Number(await page.getAttribute('[data-testid=train-tokenized]', 'data-workers')), rec.logs.join('\n')).toBeGreaterThanOrEqual(1);
    expect(await page.evaluate(() => (window as unknown as { prepareSeen: unknown }).prepareSeen)).toEqual({ texts: kept, total: kept });
  });

  then('says when the table or the settings change under the run, and stops saying it once they are back', async () => {
    await waitForStep(page, 5);
    expect(await page.locator('[data-testid=train-stale]').count()).toBe(0);
    await page.click('[data-testid=exclude-replies]');
    await page.waitForSelector('[data-testid=train-stale]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=train-stale]')).toMatch(/The table above has changed since this run began.*goes on with the tweets and settings it started with/s);
    await page.click('[data-testid=exclude-replies]');
    await page.waitForSelector('[data-testid=train-stale]', { state: 'detached', timeout: 30_000 });
    // The settings can change while the run is paused.
    await page.click('[data-testid=train-pause]');
    await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 240_000 });
    await page.fill('[data-testid=train-setting-epochs]', '3');
    expect(await page.textContent('[data-testid=train-stale]')).toMatch(/^\s*The settings have changed since this run began/);
    await page.fill('[data-testid=train-setting-epochs]', '1');
    await page.waitForSelector('[data-testid=train-stale]', { state: 'detached', timeout: 30_000 });
    await page.click('[data-testid=train-continue]');
    await page.waitForSelector('[data-testid=train-panel][data-status=training]', { timeout: 60_000 });
  });

  then('saves a checkpoint every 2 steps; the first loss is an untrained head\'s', async () => {
    await page.waitForFunction(() => document.body.textContent?.includes('saved at step'), null, { timeout: 120_000 });
    firstLoss = Number(await page.getAttribute('[data-testid=train-loss]', 'data-first-loss'));
    expect(firstLoss).toBeGreaterThan(5); // ~ln(50257)
    before = await step(page);
    await screenshot(page, 'train-before-reload');
  });

  then('in a second tab, neither offers the run for resuming nor lets it be deleted (two writers would corrupt it)', async () => {
    const second = await context.newPage();
    await second.goto(page.url());
    await second.waitForSelector('[data-testid=train-panel][data-resume-checked=true]', { timeout: 60_000 });
    expect(await second.locator('[data-testid=train-resume-offer]').count()).toBe(0);
    const entry = second.locator('[data-testid=train-shelf] li[data-run]');
    await second.waitForFunction(() => /training in another tab/.test(document.querySelector('[data-testid=train-shelf] li[data-run]')?.textContent ?? ''), null, { timeout: 30_000 });
    expect(await entry.locator('button:has-text("Delete run")').isDisabled()).toBe(true);
    expect(await entry.locator('button', { hasText: /^(Resume|delete)$/ }).count()).toBe(0);
    await second.close();
  });

  then('after a reload mid-run (the worker killed, maybe mid-write), offers the run at a complete checkpoint', async () => {
    // Unloading a page whose worker is mid-step on SwiftShader can take longer than the 30 s default on a busy machine.
    await page.reload({ timeout: 120_000 });
    await page.waitForSelector('[data-testid=train-resume]', { timeout: 60_000 });
    const offer = await page.textContent('[data-testid=train-resume-offer]');
    expect(offer).toMatch(/stopped at step \d+ of \d+/);
    offeredStep = Number(/stopped at step (\d+)/.exec(offer!)![1]);
    expect(offeredStep).toBeGreaterThanOrEqual(2);
    expect(offeredStep).toBeLessThanOrEqual(before + 1);
    const idb = await idbContents(page);
    // Every complete checkpoint has its tensors; the pointer names one of them.
    expect(idb.checkpoints.length).toBeGreaterThanOrEqual(1);
    expect(idb.checkpoints.length).toBeLessThanOrEqual(2);
    expect(idb.checkpoints).toContain(idb.pointers[0]);
    for (const c of idb.checkpoints) expect(idb.tensorsOf).toContain(c);
  });

  then("resumes with the run's own settings and history, and the loss falls from the first step's", async () => {
    await page.click('[data-testid=train-resume]');
    await page.waitForSelector('[data-testid=train-progress]', { timeout: 240_000 });
    // The settings shown are the resumed run's, not the page's defaults.
    await page.click('[data-testid=train-settings]');
    expect(await page.inputValue('[data-testid=train-setting-blockSize]')).toBe('16');
    expect(await page.inputValue('[data-testid=train-setting-lr]')).toBe('0.01');
    expect(await page.inputValue('[data-testid=train-setting-seed]')).toBe('7');
    await page.click('[data-testid=train-settings]');
    await waitForStep(page, offeredStep + 4);
    await page.click('[data-testid=train-pause]');
    await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 240_000 });
    await screenshot(page, 'train-after-resume');
    expect(await page.locator('[data-testid=train-memory]').locator('..').innerText()).toMatch(/· GPU memory [\d.]+ [kMG]B in [\d,]+ tensors/);
    // Paused, the step line tells no time left (it said "estimating time left").
    expect(await page.innerText('[data-testid=train-step-line]')).toMatch(/^Step \d+ of \d+ · epoch 1 of 1 · [\d,]+ tokens\/s$/);
    // The history came back with the run and went on from the checkpoint.
    const points = await page.evaluate(() => (document.querySelector('[data-testid=train-chart] polyline')?.getAttribute('points') ?? '').split(' ').length);
    expect(points).toBeGreaterThanOrEqual(offeredStep + 4);
    // It starts with the first run's step 1: same first loss, and the loss fell.
    expect(Number(await page.getAttribute('[data-testid=train-loss]', 'data-first-loss'))).toBeCloseTo(firstLoss, 5);
    const lastLoss = Number(await page.getAttribute('[data-testid=train-loss]', 'data-loss'));
    expect(lastLoss, `first ${firstLoss}, last ${lastLoss}`).toBeLessThan(firstLoss - 0.1);
  });

  then('asks before deleting a checkpoint, focus on Keep; Keep and Escape keep it, Delete removes it from IndexedDB', async () => {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=train-shelf] [data-checkpoint]').length === 2, null, { timeout: 30_000 });
    const older = page.locator('[data-testid=train-shelf] [data-checkpoint]').first();
    const olderId = (await older.getAttribute('data-checkpoint'))!;
    await older.locator('button:has-text("delete")').click();
    const confirm = page.locator('[data-testid=shelf-confirm]');
    expect(await confirm.innerText()).toMatch(/^Delete the checkpoint at step \d+ \([\d.]+ [kM]B\)\?\s+Delete\s+Keep$/); // not the current one: no warning
    expect(await confirm.locator('button:has-text("Keep")').evaluate((el) => el === document.activeElement)).toBe(true);
    await expectReadable(page);
    await screenshot(page, 'train-shelf-confirm');
    await confirm.locator('button:has-text("Keep")').focus();
    await page.keyboard.press('Enter');
    await confirm.waitFor({ state: 'detached' });
    expect(await page.locator(`[data-checkpoint="${olderId}"]`).count()).toBe(1);
    // The focus goes back to the delete button; Escape answers Keep too.
    const olderDelete = older.locator('button:has-text("delete")');
    expect(await olderDelete.evaluate((el) => el === document.activeElement)).toBe(true);
    await page.keyboard.press('Enter');
    await confirm.waitFor();
    await page.keyboard.press('Escape');
    await confirm.waitFor({ state: 'detached' });
    expect(await olderDelete.evaluate((el) => el === document.activeElement)).toBe(true);
    await older.locator('button:has-text("delete")').click();
    await confirm.locator('button:has-text("Delete")').click();
    await page.waitForSelector(`[data-checkpoint="${olderId}"]`, { state: 'detached', timeout: 30_000 });
    expect((await idbContents(page)).checkpoints).not.toContain(olderId);
  });

  then('shows on the shelf what IndexedDB holds, no tensors orphaned by the killed write, and no page error', async () => {
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=train-shelf] [data-checkpoint]').length > 0, null, { timeout: 30_000 });
    const shelf = (await page.$$eval('[data-testid=train-shelf] [data-checkpoint]', (els) => els.map((e) => e.getAttribute('data-checkpoint')!))).sort();
    const idb = await idbContents(page);
    expect(shelf).toEqual(idb.checkpoints);
    expect(idb.tensorsOf).toEqual(idb.checkpoints);
    expect(rec.logs.filter((l) => l.startsWith('[pageerror]'))).toEqual([]);
  });
});
