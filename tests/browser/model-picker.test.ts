// The base-model picker in headless Chromium against the built app: every preset with its
// download size and training memory before anything downloads (what model-picker.ts works out
// for the device the page reports), the hint for a Japanese-majority archive switching to the
// multilingual preset in one click, and a typed Hub id, each carried by ?model=.
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildArchiveZip, type TweetSpec } from '../../scripts/fixtures/archive.ts';
import { MODEL_PRESETS } from '../../src/lib/model/presets.ts';
import { presetView, trainingBudget } from '../../src/ui/model-picker.ts';
import { appUrl, launchBrowser, recordPage, screenshot } from '../helpers/browser';

const DIR = path.resolve('.fixtures/model-picker');

const JA = ['今日は本当にいい天気ですね', '新しい本を読み始めました', '駅の近くに美味しいラーメン屋ができた', '明日の会議の準備をしています', '週末は家族と公園に行きました', '猫が窓の外をずっと見ている'];
const EN = ['the first kept tweet with enough words', 'another ordinary tweet that is kept here'];

function archive(name: string, username: string, texts: [string, string][]): string {
  const tweets: TweetSpec[] = texts.map(([text, lang], i) => ({ id: String(5000 + i), text, lang }));
  const file = path.join(DIR, name);
  fs.writeFileSync(file, buildArchiveZip({ username, displayName: username, tweets }));
  return file;
}

/** The picker's device as the page sees it: the GPU check's limits and navigator.deviceMemory. */
async function pageDevice(page: Page) {
  await page.waitForSelector('[data-testid=gpu-check]:not([data-state=checking])');
  const limit = async (key: string) => {
    const el = page.locator(`[data-testid=gpu-limits] [data-limit=${key}]`);
    if ((await el.count()) === 0) return null;
    const v = await el.getAttribute('data-value');
    return v === null || v === '' ? null : Number(v);
  };
  const ok = (await page.getAttribute('[data-testid=gpu-check]', 'data-state')) === 'ok';
  const memory = await page.evaluate(() => (navigator as { deviceMemory?: number }).deviceMemory);
  return {
    limits: ok ? { maxStorageBufferBindingSize: await limit('maxStorageBufferBindingSize'), maxBufferSize: await limit('maxBufferSize') } : null,
    budget: trainingBudget(memory),
  };
}

describe('the model picker', () => {
  let browser: Browser;
  let japanese: string;
  let english: string;

  beforeAll(async () => {
    fs.mkdirSync(DIR, { recursive: true });
    japanese = archive('kenji.zip', 'kenji_test', [...JA.map((t) => [t, 'ja'] as [string, string]), ...EN.map((t) => [t, 'en'] as [string, string]), ['https://t.co/x', 'zxx']]);
    english = archive('emma.zip', 'emma_test', [...EN.map((t) => [t, 'en'] as [string, string]), [JA[0], 'ja']]);
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('shows each preset’s download and memory before any download, and suggests Qwen for a Japanese archive', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const rec = recordPage(page);
    try {
      await page.goto(appUrl());
      const device = await pageDevice(page);
      expect(await page.locator('[data-testid="model-option-distilgpt2"]').isChecked()).toBe(true);
      for (const p of MODEL_PRESETS) {
        const v = presetView(p, device);
        expect(await page.locator(`[data-testid="model-size-${p.label}"]`).innerText()).toBe(v.sizeLine);
        expect(await page.locator(`[data-testid="model-memory-${p.label}"]`).innerText()).toBe(v.memoryLine);
        expect(v.memoryLine).toMatch(/≈ \d+(\.\d)? GB/);
      }
      expect(await page.locator('[data-testid="model-size-Qwen2.5-0.5B"]').innerText()).toBe('≈ 988 MB download');
      expect(await page.locator('[data-testid=model-language-hint]').count()).toBe(0);

      // A mostly English archive: no hint.
      await page.setInputFiles('[data-testid=archive-input]', [english]);
      await page.waitForSelector('[data-testid=stats-table] [data-user=emma_test]');
      expect(await page.locator('[data-testid=model-language-hint]').count()).toBe(0);

      // Add a Japanese-majority account: 6 ja + 3 en kept with a language (the zxx one aside).
      await page.setInputFiles('[data-testid=archive-input]', [japanese]);
      await page.waitForSelector('[data-testid=stats-table] [data-user=kenji_test]');
      const hint = page.locator('[data-testid=model-language-hint]');
      await hint.waitFor();
      expect(await hint.innerText()).toContain('Most kept tweets are not in English (Japanese 64 %)');
      await screenshot(page, 'model-picker-1-hint');

      await page.click('[data-testid=model-language-use]');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('model') === 'Qwen/Qwen2.5-0.5B');
      expect(await page.locator('[data-testid="model-option-Qwen2.5-0.5B"]').isChecked()).toBe(true);
      expect(await hint.innerText()).toContain('Qwen2.5-0.5B is multilingual');
      expect(await page.locator('[data-testid=model-language-use]').count()).toBe(0);

      // Back to a preset by its radio, then any Hub id: a bad one is refused in one line.
      await page.check('[data-testid="model-option-SmolLM2-135M"]');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('model') === 'HuggingFaceTB/SmolLM2-135M');
      await page.fill('[data-testid=model-hub-id]', 'https://example.com/model');
      await page.click('[data-testid=model-hub-use]');
      expect(await page.locator('[data-testid=model-picker-error]').innerText()).toMatch(/is not a Hub model id/);
      expect(new URL(page.url()).searchParams.get('model')).toBe('HuggingFaceTB/SmolLM2-135M');
      await page.fill('[data-testid=model-hub-id]', 'someone/tiny-qwen2');
      await page.press('[data-testid=model-hub-id]', 'Enter');
      await page.waitForFunction(() => new URL(location.href).searchParams.get('model') === 'someone/tiny-qwen2');
      expect(await page.locator('[data-testid=model-hub-chosen]').innerText()).toContain('someone/tiny-qwen2');
      expect(await page.locator('[data-testid=model-picker] input[type=radio]:checked').count()).toBe(0);
      await screenshot(page, 'model-picker-2-hub-id');

      // Nothing was downloaded: no model is loaded until Start.
      expect(rec.requests.filter((u) => u.includes('huggingface.co'))).toEqual([]);

      // A reload keeps the choice, from the address.
      await page.goto(`${appUrl()}?model=Qwen%2FQwen2.5-0.5B`);
      expect(await page.locator('[data-testid="model-option-Qwen2.5-0.5B"]').isChecked()).toBe(true);
    } catch (e) {
      console.log(rec.logs.join('\n'));
      throw e;
    } finally {
      await page.close();
    }
  });

  it('sizes a run on WASM against its 4 GiB heap: on an 8 GB machine SmolLM2-360M gets LoRA there, full fine-tuning on WebGPU', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 8, configurable: true }));
      const fits = (label: string) => `[data-testid="model-memory-${label}"]`;
      await page.goto(`${appUrl()}?backend=wasm`);
      // The picker follows the backend the model worker reports.
      await page.waitForSelector(`${fits('SmolLM2-360M')}[data-fits=lora]`);
      expect(await page.getAttribute(fits('distilgpt2'), 'data-fits')).toBe('full');
      await page.goto(appUrl());
      await page.waitForSelector(`${fits('SmolLM2-360M')}[data-fits=full]`);
    } finally {
      await page.close();
    }
  });

  it('offers LoRA r16 where full fine-tuning needs more than a 4 GB device gives', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await page.addInitScript(() => Object.defineProperty(Navigator.prototype, 'deviceMemory', { get: () => 4, configurable: true }));
      await page.goto(appUrl());
      const device = await pageDevice(page);
      expect(device.budget).toBe(4 * 2 ** 30);
      const memory = (label: string) => page.locator(`[data-testid="model-memory-${label}"]`);
      expect(await memory('distilgpt2').getAttribute('data-fits')).toBe('full');
      for (const label of ['SmolLM2-360M', 'Qwen2.5-0.5B']) {
        expect(await memory(label).getAttribute('data-fits')).toBe('lora');
        expect(await memory(label).innerText()).toBe(presetView(MODEL_PRESETS.find((p) => p.label === label)!, device).memoryLine);
      }
      expect(await memory('Qwen2.5-0.5B').innerText()).toMatch(/^full fine-tuning needs ≈ 9\.6 GB at 4×256, more than this device gives \(≈ 4\.3 GB\); LoRA r16 ≈ 2\.7 GB$/);
      await screenshot(page, 'model-picker-3-lora');
    } finally {
      await page.close();
    }
  });
});
