// Launches Debian's headless Chromium with WebGPU on its software adapter (SwiftShader).
import { chromium, type Browser, type Page } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';

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
