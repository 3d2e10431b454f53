// Launches Debian's headless Chromium with WebGPU on its software adapter (SwiftShader).
import { chromium, type Browser, type Download, type Page } from 'playwright-core';
import { expect } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { writeTwoAccountArchives } from '../../scripts/fixtures/archive.ts';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model.ts';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--enable-unsafe-webgpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/** The URL of the built app that global-setup serves. */
export function appUrl(): string {
  const url = process.env.TWEETFORGE_URL;
  if (!url) throw new Error('TWEETFORGE_URL is not set: browser tests run through tests/browser/global-setup.ts');
  return url;
}

export const OUTPUT_DIR = path.resolve('test-output');

export async function screenshot(page: Page, name: string): Promise<void> {
  fs.mkdirSync(OUTPUT_DIR, { recursive: true });
  await page.screenshot({ path: path.join(OUTPUT_DIR, `${name}.png`), fullPage: true });
}

/** Collects console errors and failed requests, so a test can print them when it fails. */
export function recordPage(page: Page): { logs: string[]; requests: string[] } {
  const logs: string[] = [];
  const requests: string[] = [];
  page.on('console', (m) => logs.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => logs.push(`[pageerror] ${e.message}`));
  page.on('request', (r) => requests.push(r.url()));
  return { logs, requests };
}

/** Opens the training settings, fills them (data-testid=train-setting-KEY), and presses Start. */
export async function startTraining(page: Page, settings: Record<string, string | number>): Promise<void> {
  await page.click('[data-testid=train-settings]');
  for (const [k, v] of Object.entries(settings)) await page.fill(`[data-testid=train-setting-${k}]`, String(v));
  await page.click('[data-testid=train-start]');
}

/** Waits until the training progress shows step `n` or later. */
export async function waitForStep(page: Page, n: number, timeout = 240_000): Promise<void> {
  await page.waitForFunction(
    (n) => Number(document.querySelector('[data-testid=train-progress]')?.getAttribute('data-step') ?? 0) >= n,
    n,
    { timeout, polling: 250 },
  );
}

/** What the training tests drop: the two-account archives, written under `dir`; also builds the tiny model. */
export function trainingFixtures(dir: string): string[] {
  tinyModelDir('tiny'); // .fixtures/models/tiny, served at /fixtures/models/tiny/
  return writeTwoAccountArchives(dir);
}

/** Opens the app on the tiny fixture model (`query` adds to the URL), drops `archives`, and waits for the table. */
export async function openWithArchives(page: Page, archives: string[], query = ''): Promise<void> {
  await page.goto(`${appUrl()}?model=${encodeURIComponent('/fixtures/models/tiny/')}${query}`);
  await page.setInputFiles('[data-testid=archive-input]', archives);
  await page.waitForSelector('[data-testid=stats-table] [data-user=ada_test]', { timeout: 60_000 });
}

interface LowContrast { text: string; ratio: number; color: string; background: string }

/**
 * Every visible text whose colour against its background is under WCAG AA (4.5:1, or 3:1 for
 * large text). Disabled controls are exempt, as WCAG makes them.
 */
async function lowContrast(page: Page): Promise<LowContrast[]> {
  return page.evaluate(() => {
    const rgba = (c: string) => {
      const [r, g, b, a = 1] = (/rgba?\(([^)]+)\)/.exec(c)?.[1] ?? '0,0,0,0').split(/[\s,/]+/).filter(Boolean).map(Number);
      return { r, g, b, a };
    };
    const luminance = ({ r, g, b }: { r: number; g: number; b: number }) => {
      const f = (v: number) => ((v /= 255) <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4);
      return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
    };
    const backgroundOf = (el: Element | null): string => {
      for (let e = el; e; e = e.parentElement) {
        const c = getComputedStyle(e).backgroundColor;
        if (rgba(c).a > 0.5) return c;
      }
      return 'rgb(255, 255, 255)';
    };
    const out: LowContrast[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || !n.textContent?.trim() || el.getClientRects().length === 0) continue;
      if (el.closest(':disabled, .disabled, .visually-hidden, svg, option')) continue;
      const style = getComputedStyle(el);
      if (style.visibility === 'hidden') continue;
      const background = backgroundOf(el);
      const [l1, l2] = [luminance(rgba(style.color)), luminance(rgba(background))];
      const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
      const size = parseFloat(style.fontSize), bold = Number(style.fontWeight) >= 700;
      if (ratio < (size >= 24 || (size >= 18.66 && bold) ? 3 : 4.5)) {
        out.push({ text: n.textContent.trim().slice(0, 60), ratio: Math.round(ratio * 100) / 100, color: style.color, background });
      }
    }
    return out;
  });
}

/** Every visible text readable (lowContrast() finds nothing) in the light and the dark scheme; leaves the page light. */
export async function expectReadable(page: Page): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    await page.waitForTimeout(500); // past the drop zone's colour transition
    expect(await lowContrast(page), colorScheme).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

/** The step the train panel shows. */
export async function trainingStep(page: Page): Promise<number> {
  return Number(await page.locator('[data-testid=train-progress]').getAttribute('data-step'));
}

/** Clicks Generate and returns the texts of batch `batch` once it has finished streaming. */
export async function generateBatch(page: Page, batch: number): Promise<string[]> {
  await page.click('[data-testid=generate]');
  await page.waitForSelector(`[data-testid=samples][data-batch="${batch}"][data-state=done]`, { timeout: 180_000 });
  return page.locator('[data-testid=sample]').allInnerTexts();
}

/** Clicks the export button `testid` and saves its download under `dir`/downloads. */
export async function saveDownload(page: Page, testid: string, dir: string): Promise<{ file: string; name: string }> {
  const [download] = (await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(`[data-testid=${testid}]`)])) as [Download, void];
  const name = download.suggestedFilename();
  const file = path.join(dir, 'downloads', name);
  await download.saveAs(file);
  return { file, name };
}

/** Sets one generation setting in the generate panel. */
export async function setSetting(page: Page, key: string, value: string | number): Promise<void> {
  await page.fill(`[data-testid=generate-panel] [data-setting=${key}]`, String(value));
}
