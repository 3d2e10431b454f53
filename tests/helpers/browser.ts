// Launches Debian's headless Chromium with WebGPU on its software adapter (SwiftShader).
import { chromium, type Browser, type Page } from 'playwright-core';
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
