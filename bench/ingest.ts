// npm run bench:ingest [-- --tweets N] [--no-build]
//
// Time from dropping a 100k-tweet archive to the table on screen, in headless Chromium
// against the built app, next to the floor: unzip + JSON.parse of the same members of the
// same File, in a worker of the same page (the least any reader must do; bench/floor-worker.ts,
// bundled here and served beside the app, so the app itself carries no bench code). Also the longest
// main-thread task while it runs (PerformanceObserver 'longtask'), which says whether the
// page froze. Goals: time to table <= 1.5x the floor, no main-thread task over 50 ms.
// Prints a markdown table row for docs/benchmarks.md.
import { execSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeLargeArchive } from '../scripts/fixtures/archive.ts';
import { parseArgs } from '../scripts/cli/args.ts';
// @ts-expect-error plain ESM script without types
import { startServer } from '../scripts/serve.mjs';
import type { FloorReply, FloorTiming } from './floor-worker.ts';
import { launchBrowser } from '../tests/helpers/browser.ts';

interface BenchWindow {
  __bench: Promise<number>;
  __t0?: number;
  __benchFile?: File;
  __longtasks: { start: number; duration: number }[];
}

const args = parseArgs(process.argv.slice(2), ['tweets']);

async function main(): Promise<void> {
  const tweets = Number(args.options.get('tweets') ?? 100_000);
  const dir = path.resolve('.fixtures/bench');
  const zip = path.join(dir, `archive-${tweets}.zip`);
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(zip)) {
    console.error(`writing ${zip} (${tweets} tweets)…`);
    await writeLargeArchive(zip, tweets);
  }
  if (!args.flags.has('no-build')) execSync('npx vite build --logLevel error', { stdio: 'inherit' });
  await esbuild.build({
    entryPoints: ['bench/floor-worker.ts'], outfile: path.join(dir, 'floor-worker.js'),
    bundle: true, format: 'esm', platform: 'browser', target: 'es2022', logLevel: 'warning',
  });

  const server = await startServer({ dir: path.resolve('dist'), mounts: { '/fixtures/': path.resolve('.fixtures') } });
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForSelector('[data-testid=archive-input]', { state: 'attached' });
    await page.evaluate(() => {
      const w = window as unknown as BenchWindow;
      w.__longtasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) w.__longtasks.push({ start: e.startTime, duration: e.duration });
      }).observe({ type: 'longtask', buffered: false });
      // From the input's change event (capture phase: before the page's own handler, which
      // clears the input) to the first table cell in the DOM.
      w.__bench = new Promise<number>((resolve) => {
        let t0: number | undefined;
        document.addEventListener('change', (e) => {
          const input = e.target as HTMLInputElement;
          if (input.dataset.testid !== 'archive-input') return;
          t0 = performance.now();
          w.__t0 = t0;
          w.__benchFile = input.files?.[0];
        }, true);
        const mo = new MutationObserver(() => {
          if (t0 !== undefined && document.querySelector('[data-testid=stats-table] td[data-stat=kept]')) {
            mo.disconnect();
            resolve(performance.now() - t0);
          }
        });
        mo.observe(document.body, { subtree: true, childList: true });
      });
    });

    await page.setInputFiles('[data-testid=archive-input]', zip);
    const toTable = await page.evaluate(() => (window as unknown as BenchWindow).__bench);
    const error = await page.locator('[data-testid=error]').count();
    if (error) throw new Error(`the page refused the archive: ${await page.locator('[data-testid=error]').innerText()}`);
    const kept = await page.locator('[data-testid=stats-table] td[data-stat=kept]').first().innerText();
    const downloaded = await page.locator('[data-testid=stats-table] td[data-stat=downloaded]').first().innerText();
    const longtasks = await page.evaluate(() => (window as unknown as BenchWindow).__longtasks);
    const t0 = await page.evaluate(() => (window as unknown as BenchWindow).__t0 ?? 0);

    // The floor, on the very same File, in a worker of the same page.
    const floor = await page.evaluate(async (url) => {
      const file = (window as unknown as BenchWindow).__benchFile;
      if (!file) throw new Error('the bench did not see the file');
      const worker = new Worker(url, { type: 'module' });
      try {
        return await new Promise<FloorTiming>((resolve, reject) => {
          worker.onmessage = (e: MessageEvent<FloorReply>) => ('error' in e.data ? reject(new Error(`floor: ${e.data.error}`)) : resolve(e.data));
          worker.onerror = (e) => reject(new Error(e.message || 'the floor worker failed to load'));
          worker.postMessage(file);
        });
      } finally {
        worker.terminate();
      }
    }, new URL('fixtures/bench/floor-worker.js', server.url).href);

    // Smooth scrolling: jump through the explorer's 100k rows and time each frame's work.
    const scroll = await page.evaluate(async () => {
      const list = document.querySelector('[data-testid=tweet-list]') as HTMLElement;
      const frames: number[] = [];
      for (let i = 0; i < 40; i++) {
        const t = performance.now();
        list.scrollTop = (list.scrollHeight * i) / 40;
        await new Promise((r) => requestAnimationFrame(() => r(null)));
        frames.push(performance.now() - t);
      }
      return { rendered: list.querySelectorAll('[role=listitem]').length, worstFrame: Math.max(...frames) };
    });

    // Proof that the observer sees long tasks at all: block the main thread for 120 ms on purpose.
    const observerWorks = await page.evaluate(async () => {
      const w = window as unknown as BenchWindow;
      const before = w.__longtasks.length;
      // From a timer, so it is an ordinary task of the page's event loop.
      setTimeout(() => {
        const end = performance.now() + 120;
        while (performance.now() < end) { /* busy */ }
      }, 0);
      await new Promise((r) => setTimeout(r, 400));
      return w.__longtasks.slice(before).some((t) => t.duration >= 100);
    });
    if (!observerWorks) throw new Error('the longtask observer missed a deliberate 120 ms task: its figure would mean nothing');

    const longest = longtasks.reduce((m, t) => Math.max(m, t.duration), 0);
    const mb = (fs.statSync(zip).size / 1e6).toFixed(1);
    // Characters of the member texts: about bytes, since the text is mostly ASCII.
    const tweetsMb = (floor.chars / 1e6).toFixed(0);
    const ratio = toTable / floor.ms;
    const cpu = `${os.cpus().length}× ${os.cpus()[0]?.model.trim() ?? 'cpu'}`;
    console.log(`archive: ${zip} (${mb} MB zip, ${tweetsMb} MB of tweet files, ${floor.tweets} tweets; table: downloaded ${downloaded}, kept ${kept})`);
    const tasks = longtasks.map((t) => `${t.duration.toFixed(0)} ms at +${((t.start - t0) / 1000).toFixed(2)} s`).join(', ');
    console.log(`long tasks on the main thread: ${longtasks.length}${tasks ? ` (${tasks})` : ''}; explorer: ${scroll.rendered} rows in the DOM, worst scroll frame ${scroll.worstFrame.toFixed(0)} ms`);
    console.log('');
    console.log('| archive | time to table | floor (unzip + JSON.parse) | ratio (goal ≤ 1.5×) | longest main-thread task (goal ≤ 50 ms) | machine |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    console.log(
      `| ${floor.tweets.toLocaleString('en-US')} tweets, ${tweetsMb} MB tweets.js (${mb} MB zip) | ${(toTable / 1000).toFixed(2)} s | ` +
        `${(floor.ms / 1000).toFixed(2)} s | ${ratio.toFixed(2)}× | ${longest.toFixed(0)} ms | ${cpu}, headless Chromium |`,
    );
  } finally {
    await browser.close();
    await server.close();
  }
}

main().catch((e: unknown) => {
  console.error(`bench:ingest failed: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
