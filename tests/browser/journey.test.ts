// The whole journey in headless Chromium on WebGPU (SwiftShader), against the built app:
// drop two generated archives, check the table against the CLI, train a tiny GPT-2 served
// on localhost (?model=) for a few steps, reload mid-run and resume from the checkpoint,
// generate 5 samples with a fixed seed (twice: the same), export the weights and the bundle
// (real downloads), read the weights with names and shapes as GPT2LMHeadModel has them,
// load the bundle back and get the same greedy text. Every request stays on localhost.
// Shapes stay tiny: block 8 x batch 4 = 32 tokens a step, SwiftShader is slow.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { unzipSync } from 'fflate';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeTwoAccountArchives } from '../../scripts/fixtures/archive.ts';
import { tinyModelDir, TINY_MODELS } from '../../scripts/fixtures/tiny-model.ts';
import { DEFAULT_SAMPLE_OPTIONS } from '../../src/lib/generate/generate.ts';
import { readSafetensors } from '../../src/lib/model/safetensors.ts';
import { appUrl, launchBrowser, recordPage, screenshot, startTraining, generateBatch, saveDownload, setSetting, trainingStep } from '../helpers/browser';

const run = promisify(execFile);
const DIR = path.resolve('.fixtures/journey');
const MODEL = 'tiny';
const STATS = ['downloaded', 'retweets', 'short', 'kept'] as const;
interface CliUser { username: string; displayName: string; downloaded: number; retweets: number; short: number; kept: number }

/** The names and shapes GPT2LMHeadModel.save_pretrained writes, from its module tree (lm_head tied, not saved). */
function gpt2StateDictShapes(c: { V: number; P: number; C: number; L: number }): Map<string, number[]> {
  const { V, P, C, L } = c;
  const out = new Map<string, number[]>([
    ['transformer.wte.weight', [V, C]],
    ['transformer.wpe.weight', [P, C]],
  ]);
  for (let i = 0; i < L; i++) {
    const h = `transformer.h.${i}.`;
    // Conv1D stores [in, out], the transpose of nn.Linear.
    out.set(h + 'ln_1.weight', [C]).set(h + 'ln_1.bias', [C]);
    out.set(h + 'attn.c_attn.weight', [C, 3 * C]).set(h + 'attn.c_attn.bias', [3 * C]);
    out.set(h + 'attn.c_proj.weight', [C, C]).set(h + 'attn.c_proj.bias', [C]);
    out.set(h + 'ln_2.weight', [C]).set(h + 'ln_2.bias', [C]);
    out.set(h + 'mlp.c_fc.weight', [C, 4 * C]).set(h + 'mlp.c_fc.bias', [4 * C]);
    out.set(h + 'mlp.c_proj.weight', [4 * C, C]).set(h + 'mlp.c_proj.bias', [C]);
  }
  out.set('transformer.ln_f.weight', [C]).set('transformer.ln_f.bias', [C]);
  return out;
}

async function pageStats(page: Page): Promise<Map<string, Record<string, number>>> {
  const cells = await page.$$eval('[data-testid=stats-table] td[data-user][data-stat]', (tds) =>
    tds.map((td) => ({ user: td.getAttribute('data-user')!, stat: td.getAttribute('data-stat')!, text: td.textContent ?? '' })),
  );
  const out = new Map<string, Record<string, number>>();
  for (const c of cells) out.set(c.user, { ...out.get(c.user), [c.stat]: Number(c.text.replace(/[^\d]/g, '')) });
  return out;
}

describe('the journey in the page', () => {
  let browser: Browser;
  let archives: string[];
  let cli: CliUser[];
  const tiny = TINY_MODELS[MODEL];

  beforeAll(async () => {
    // Everything is built on the fly (CI starts from a clean clone); same bytes every run.
    fs.rmSync(path.join(DIR, 'downloads'), { recursive: true, force: true });
    fs.mkdirSync(path.join(DIR, 'downloads'), { recursive: true });
    archives = writeTwoAccountArchives(DIR);
    tinyModelDir(MODEL);
    const { stdout } = await run('npx', ['tsx', 'scripts/cli.ts', 'stats', ...archives], { maxBuffer: 1 << 26 });
    cli = (JSON.parse(stdout) as { users: CliUser[] }).users;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('drop, review, train, reload and resume, generate, export, load the bundle back', async () => {
    // A fresh context: its own IndexedDB, Cache Storage and downloads.
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const rec = recordPage(page);
    // Where the time goes, printed at the end (SwiftShader makes every GPU step slow).
    const t0 = Date.now();
    const laps: string[] = [];
    const lap = (label: string) => laps.push(`${label} ${((Date.now() - t0) / 1000).toFixed(1)}s`);
    try {
      await page.goto(`${appUrl()}?model=/fixtures/models/${MODEL}/`);

      // 0. Arrival: WebGPU found (SwiftShader here), with its limits.
      await page.waitForSelector('[data-testid=gpu-check][data-state=ok]');
      expect(await page.locator('[data-testid=gpu-name]').innerText()).not.toBe('');
      // The limits shown are the adapter's own, asked for here independently.
      const limits = await page.evaluate(async () => {
        const a = await (navigator as unknown as { gpu: { requestAdapter(): Promise<{ limits: Record<string, number> }> } }).gpu.requestAdapter();
        return { maxStorageBufferBindingSize: a.limits.maxStorageBufferBindingSize, maxBufferSize: a.limits.maxBufferSize };
      });
      for (const [key, value] of Object.entries(limits)) {
        expect(Number(await page.locator(`[data-limit=${key}]`).getAttribute('data-value')), key).toBe(value);
      }
      expect(limits.maxStorageBufferBindingSize).toBeGreaterThanOrEqual(128 * 2 ** 20); // WebGPU's guaranteed minimum
      await screenshot(page, 'journey-0-arrival');
      lap('arrival');

      // 1-2. Drop the archives: the table is the CLI's.
      await page.setInputFiles('[data-testid=archive-input]', archives);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=stats-table] thead th[data-user]').length === 2);
      const table = await pageStats(page);
      expect([...table.keys()].sort()).toEqual(cli.map((u) => u.username).sort());
      for (const u of cli) for (const s of STATS) expect(table.get(u.username)?.[s], `${u.username} ${s}`).toBe(u[s]);
      await screenshot(page, 'journey-1-review');
      lap('review');

      // 3. Train: tiny shapes, a checkpoint every 2 steps.
      await startTraining(page, { blockSize: 8, batchSize: 4, epochs: 1, checkpointEvery: 2 });
      await page.waitForSelector('[data-testid=train-panel][data-status=training]', { timeout: 120_000 });
      lap('model loaded, training');
      // The first checkpoint (step 2) on the shelf: reload right then, with training still running.
      await page.waitForSelector('[data-testid=train-shelf] li[data-checkpoint][data-step="2"]', { timeout: 180_000 });
      expect(await page.locator('[data-testid=train-panel]').getAttribute('data-status')).toBe('training');
      const totalSteps = Number(/^[\d,]+/.exec(await page.locator('[data-testid=train-total-steps]').innerText())?.[0].replace(/,/g, ''));
      expect(totalSteps).toBeGreaterThan(8); // enough left to stop mid-run
      await screenshot(page, 'journey-2-training');
      lap('trained');

      // Reload mid-run: the page offers the run back, resuming from its last checkpoint.
      await page.reload();
      await page.waitForSelector('[data-testid=train-resume-offer]', { timeout: 60_000 });
      lap('offer');
      const offer = await page.locator('[data-testid=train-resume-offer]').innerText();
      const savedStep = Number(/step (\d+) of/.exec(offer)?.[1]);
      expect(savedStep).toBeGreaterThanOrEqual(2);
      expect(offer).toContain(`of ${totalSteps}`);
      await screenshot(page, 'journey-3-resume-offer');
      await page.click('[data-testid=train-resume]');
      await page.waitForSelector('[data-testid=train-panel][data-status=training]', { timeout: 120_000 });
      lap('resumed');
      // Pausing at once still lets the step in flight finish (and report): enough to see it continue.
      await page.click('[data-testid=train-pause]');
      await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 120_000 });
      const pausedAt = await trainingStep(page);
      expect(pausedAt).toBeGreaterThan(savedStep);
      expect(pausedAt).toBeLessThan(totalSteps);
      const loss = Number(await page.locator('[data-testid=train-loss]').getAttribute('data-loss'));
      expect(Number.isFinite(loss) && loss > 0).toBe(true);
      await screenshot(page, 'journey-4-paused');
      lap('resumed+paused');

      // 4. Generate: the page's defaults are the library's; 5 samples, a kept seed, twice.
      const gen = page.locator('[data-testid=generate-panel]');
      expect(await page.locator('[data-testid=prompt]').inputValue()).toBe('My dream is');
      const defaults: Record<string, number> = {
        temperature: DEFAULT_SAMPLE_OPTIONS.temperature, topP: DEFAULT_SAMPLE_OPTIONS.topP, topK: DEFAULT_SAMPLE_OPTIONS.topK,
        repetitionPenalty: DEFAULT_SAMPLE_OPTIONS.repetitionPenalty, maxNewTokens: DEFAULT_SAMPLE_OPTIONS.maxNewTokens,
        minNewTokens: DEFAULT_SAMPLE_OPTIONS.minNewTokens, numSamples: DEFAULT_SAMPLE_OPTIONS.numSamples,
      };
      for (const [k, v] of Object.entries(defaults)) expect(Number(await gen.locator(`[data-setting=${k}]`).inputValue()), k).toBe(v);
      await setSetting(page, 'maxNewTokens', 8);
      await setSetting(page, 'minNewTokens', 2);
      await setSetting(page, 'seed', 1234);
      await page.check('[data-testid=keep-seed]');
      const first = await generateBatch(page, 1);
      expect(first).toHaveLength(5);
      for (const t of first) expect(t.startsWith('My dream is')).toBe(true);
      expect(new Set(first).size).toBeGreaterThan(1); // each sample draws from its own stream
      await screenshot(page, 'journey-5-samples');
      const second = await generateBatch(page, 2);
      expect(second).toEqual(first);
      lap('seeded samples x2');

      // Greedy: one sample, remembered to compare with the bundle loaded back. The prompt is
      // markup: it must come back as text and run nothing.
      const hostile = '<img src=x onerror="window.__pwned=1"> My dream is';
      await page.fill('[data-testid=prompt]', hostile);
      await page.check('[data-testid=greedy]');
      await setSetting(page, 'numSamples', 1);
      const [greedy] = await generateBatch(page, 3);
      expect(greedy.startsWith(hostile)).toBe(true);
      expect(greedy.length).toBeGreaterThan(hostile.length);
      expect(await page.locator('[data-testid=sample] img').count()).toBe(0);
      expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
      lap('greedy');

      // 5. Export the weights: save_pretrained names and shapes, and trained (not the base).
      expect(await page.locator('[data-testid=export-needs-table]').count()).toBe(0); // the table survived the reload
      const weights = await saveDownload(page, 'export-weights', DIR);
      expect(weights.name).toBe('model.safetensors');
      const tensors = readSafetensors(fs.readFileSync(weights.file));
      const want = gpt2StateDictShapes({ V: 50257, P: 256, C: tiny.nEmbd, L: tiny.nLayer });
      expect([...tensors.keys()].sort()).toEqual([...want.keys()].sort());
      for (const [name, shape] of want) expect(tensors.get(name)!.shape, name).toEqual(shape);
      const base = readSafetensors(fs.readFileSync(path.join(tinyModelDir(MODEL), 'model.safetensors')));
      const moved = [...want.keys()].filter((n) => tensors.get(n)!.data.some((x, i) => x !== base.get(n)!.data[i]));
      expect(moved.length).toBeGreaterThan(want.size / 2); // AdamW touched most tensors
      await screenshot(page, 'journey-6-exported-weights');
      lap('weights');

      // The bundle: a from_pretrained folder with a card carrying the CLI's table: the table the run
      // started from, even with another table in the page now (one of the two archives dropped again).
      await page.setInputFiles('[data-testid=archive-input]', archives[0]);
      await page.waitForFunction(() => document.querySelectorAll('[data-testid=stats-table] thead th[data-user]').length === 1);
      await page.click('[data-testid=train-prepare]'); // sizes counted for that table: not what the run trained on
      await page.waitForSelector('[data-testid=train-sizes]', { timeout: 60_000 });
      const bundle = await saveDownload(page, 'export-bundle', DIR);
      expect(bundle.name).toBe('tweetforge-ada_test-hiro_test.zip');
      const members = unzipSync(new Uint8Array(fs.readFileSync(bundle.file)));
      for (const f of ['config.json', 'model.safetensors', 'vocab.json', 'merges.txt', 'README.md']) expect(members[f], f).toBeDefined();
      expect(Buffer.from(members['model.safetensors']).equals(fs.readFileSync(weights.file))).toBe(true);
      const card = new TextDecoder().decode(members['README.md']);
      for (const u of cli) expect(card).toContain(`@${u.username}`);
      // The run's base was the tiny model served here, not a Hub model: described, not linked.
      expect(card).toMatch(/fine-tuned a GPT-2 from http:\/\/localhost:\d+\/fixtures\/models\/tiny\//);
      const keptRow = /^\| Tweets kept \|(.*)\|$/m.exec(card)?.[1].split('|').map((x) => Number(x.trim()));
      expect(keptRow?.sort()).toEqual(cli.map((u) => u.kept).sort());

      // A file that is no model: it is refused, and the model in use stays usable (the page
      // once stayed 'loading', with Generate and both pickers disabled for good).
      const notAModel = path.join(DIR, 'downloads', 'notes.txt');
      fs.writeFileSync(notAModel, 'not a model\n');
      await page.setInputFiles('[data-testid=model-files]', notAModel);
      await page.waitForSelector('[data-testid=model-source-error]', { timeout: 60_000 });
      await page.waitForSelector('[data-testid=generate]:enabled', { timeout: 10_000 });
      expect(await page.locator('[data-testid=model-files]').isEnabled()).toBe(true);

      // Load the bundle back into the page: the same greedy text.
      await page.setInputFiles('[data-testid=model-files]', bundle.file);
      await page.waitForSelector('[data-testid=model-source-loaded]', { timeout: 120_000 });
      const [again] = await generateBatch(page, 4);
      expect(again).toBe(greedy);
      await screenshot(page, 'journey-7-bundle-loaded');
      // Its card again: these weights were loaded, not trained here, so no run's settings are claimed.
      const reexported = await saveDownload(page, 'export-bundle', DIR);
      const reexportedCard = new TextDecoder().decode(unzipSync(new Uint8Array(fs.readFileSync(reexported.file)))['README.md']);
      expect(reexportedCard).toContain('| Note | not fine-tuned in this session |');
      expect(reexportedCard).not.toContain('| Learning rate |');
      // Nor is a Hub base model claimed for weights that came from a picked bundle.
      expect(reexportedCard).toContain(`fine-tuned a GPT-2 from files picked in the browser (${bundle.name})`);
      expect(reexportedCard.split('\n---\n')[0]).not.toContain('base_model');
      lap('bundle back');

      // The paused run was let go when the bundle came in, but the shelf can still resume it: the
      // base model again, its checkpoint restored, its settings in the form.
      const shelfRun = page.locator('[data-testid=train-shelf] li[data-run]').first();
      await shelfRun.locator('button', { hasText: /^Resume$/ }).click({ timeout: 30_000 });
      await page.waitForSelector('[data-testid=train-panel][data-status=training]', { timeout: 120_000 });
      await page.click('[data-testid=train-pause]');
      await page.waitForSelector('[data-testid=train-panel][data-status=paused]', { timeout: 240_000 });
      expect(await page.inputValue('[data-testid=train-setting-blockSize]')).toBe('8');
      lap('resumed from the shelf');

      // Nothing but localhost was ever asked for.
      const foreign = rec.requests.filter((u) => {
        const url = new URL(u);
        return (url.protocol === 'http:' || url.protocol === 'https:') && !['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
      });
      expect(foreign).toEqual([]);
      expect(rec.requests.some((u) => u.includes(`/fixtures/models/${MODEL}/model.safetensors`))).toBe(true);
      console.log(`journey timings: ${laps.join(', ')}`);
    } catch (e) {
      await screenshot(page, 'journey-failed').catch(() => {});
      console.error(rec.logs.slice(-40).join('\n'));
      throw e;
    } finally {
      await context.close();
    }
  });
});
