// npm run bench:train-browser [-- --shape tiny|distilgpt2] [--blocks 64,256] [--threads 1,default,2] [--batch 4] [--steps 3] [--no-build] [--timeout-min 30]
//
// The page's own training speed on tfjs' WASM backend: the built app (what `npm start`
// serves, cross-origin isolated) in Debian's headless Chromium, `?backend=wasm`, once per
// `?threads=` setting (1 = the single-threaded build, default = the page's own choice,
// min(cores, 8)), at each block size. bench/train.ts measures the step in Node; this measures
// what a person gets: the page's bundle, its model worker, its threaded build.
//
// Each run is a fresh browser (its own profile on disk) that opens the app on a random
// model of the chosen shape (built here into .fixtures/models/, ~330 MB for distilgpt2,
// never committed), drops one generated archive large enough that the measured steps stay
// inside the first epoch, and presses Start with the batch and block size asked for.
// An init script wraps `Worker` in the page to timestamp the model worker's messages as the
// page receives them: a step's time is the gap between its `step` event and the previous
// one. The first step (kernel set-up, the first allocations) is skipped; the figure is the
// median of the next --steps. The page reads losses back every 4 steps (lossReadEvery), so
// step events would arrive 4 at a time: the same wrapper sets lossReadEvery to 1 in the
// page's 'prepare' request. On WASM a read-back is a copy of 2 floats after kernels that ran
// synchronously, so it adds nothing measurable. Gaps that hold an epoch's validation pass
// are dropped. Beside each figure: the cores the browser's processes got over the timed
// steps (CPU seconds from /proc per wall second), CPU seconds a step, and the 1-minute load
// average: the threads share the machine's cores with whatever else runs, and a speed-up
// measured while the page gets less than its threads' worth of cores says little.
// Smoke check (~1 min, on the tiny model): --shape tiny --blocks 64 --steps 2 --no-build
import { execSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
// @ts-expect-error plain ESM script without types
import { startServer } from '../scripts/serve.mjs';
import { CHROMIUM, CHROMIUM_ARGS, startTraining } from '../tests/helpers/browser.ts';
import { buildArchiveZip, makeTweets } from '../scripts/fixtures/archive.ts';
import { ensureTinyModel, FIXTURES_DIR, tinyModelDir } from '../scripts/fixtures/tiny-model.ts';
import { paramCount } from '../src/lib/model/gpt2/params.ts';
import { parseArgs } from '../scripts/cli/args.ts';
import { SHAPES, shapeConfig } from './common.ts';

const args = parseArgs(process.argv.slice(2), ['shape', 'blocks', 'threads', 'batch', 'steps', 'timeout-min']);
const arg = (name: string, fallback: string) => args.options.get(name) ?? fallback;

/** A model folder of `shape` under .fixtures/models/ (served at /fixtures/models/NAME/), built once. */
function modelFolder(shape: string): string {
  if (shape === 'tiny') {
    tinyModelDir('tiny');
    return 'tiny';
  }
  const s = SHAPES.distilgpt2; // GPT-2's vocabulary and 1024 positions, as shapeConfig('distilgpt2')
  const name = 'distilgpt2-random';
  // Bare tensor names, no lm_head: nothing beyond the ~82M parameters training touches.
  ensureTinyModel(path.join(FIXTURES_DIR, 'models', name), { nLayer: s.n_layer, nEmbd: s.n_embd, nHead: s.n_head, nPositions: 1024, prefix: false, lmHead: false, seed: 5 });
  return name;
}

/**
 * One account of `n` generated tweets: at B4 x T256 a step takes 1 k tokens, and 3000 tweets
 * keep the few steps timed inside the first epoch (a gap that holds a validation pass is
 * dropped anyway).
 */
function benchArchive(n: number): string {
  const file = path.join(FIXTURES_DIR, 'bench-train-browser', `bench_user_${n}.zip`);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, buildArchiveZip({ username: 'bench_user', displayName: 'Bench User', accountId: '4004', tweets: makeTweets(n, { seed: 23 }) }));
  }
  return file;
}

/**
 * Runs in the page before its own scripts: timestamps the model worker's 'backend', 'step'
 * and 'eval' events, and asks for a loss read-back after every step (see the header).
 * Plain JavaScript text, not a function: tsx's transform would add helpers the page lacks.
 */
const INSTRUMENT_WORKERS = `
  const marks = (globalThis.__benchMarks = []);
  const Native = globalThis.Worker;
  globalThis.Worker = class extends Native {
    constructor(url, opts) {
      super(url, opts);
      if (opts?.name !== 'model') return;
      this.addEventListener('message', (e) => {
        const d = e.data;
        if (d && (d.type === 'step' || d.type === 'eval' || d.type === 'backend')) {
          marks.push({ type: d.type, step: d.step, threads: d.threads, isolated: d.isolated, t: performance.now() });
        }
      });
    }
    postMessage(msg, ...rest) {
      if (msg?.type === 'prepare') msg = { ...msg, settings: { ...msg.settings, lossReadEvery: 1 } };
      super.postMessage(msg, ...rest);
    }
  };`;

interface Mark { type: string; step?: number; threads?: number | null; isolated?: boolean; t: number }

/**
 * CPU seconds used so far by every process under this one (Chromium's browser, renderer and
 * GPU processes; the page's workers and WASM threads are threads of its renderer), from
 * /proc. Over the timed steps, CPU seconds / wall seconds says how many cores the page got:
 * on a machine shared with other work, the threads' speed-up is only as good as that.
 */
function descendantCpuSeconds(root = process.pid): number {
  const procs = fs.readdirSync('/proc').filter((d) => /^\d+$/.test(d)).flatMap((pid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' '); // fields from the 3rd (state) on
      return [{ pid: Number(pid), ppid: Number(f[1]), ticks: Number(f[11]) + Number(f[12]) }]; // utime + stime
    } catch {
      return []; // exited meanwhile
    }
  });
  const inTree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of procs) if (!inTree.has(p.pid) && inTree.has(p.ppid)) (inTree.add(p.pid), (grew = true));
  }
  return procs.filter((p) => p.pid !== root && inTree.has(p.pid)).reduce((s, p) => s + p.ticks, 0) / 100; // USER_HZ
}

interface Result {
  block: number;
  threadsAsked: string;
  threads: number | null; // as the worker reported it
  isolated: boolean;
  msPerStep: number[]; // the timed steps
  cores: number; // CPU seconds the browser used per wall second over the timed steps
  load: number; // 1-minute load average when the run ended
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function measure(url: string, archive: string, block: number, threadsAsked: string): Promise<Result> {
  const batch = Number(arg('batch', '4'));
  const steps = Number(arg('steps', '3'));
  // A fresh profile on disk per run: its own IndexedDB, and a quota from the disk (an
  // in-memory context's is too small for distilgpt2's checkpoint, so the page refuses to start).
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'tweetforge-bench-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(Number(arg('timeout-min', '30')) * 60_000); // the model's load and the first step
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.addInitScript(INSTRUMENT_WORKERS);
    await page.goto(`${url}&backend=wasm${threadsAsked === 'default' ? '' : `&threads=${threadsAsked}`}`);
    await page.setInputFiles('[data-testid=archive-input]', archive);
    await page.waitForSelector('[data-testid=stats-table] [data-user=bench_user]');
    // Epochs high enough that the corpus never ends first; no checkpoint (1 GB for distilgpt2) inside the run.
    await startTraining(page, { blockSize: block, batchSize: batch, epochs: 4, checkpointEvery: 100000 });
    const stepsSeen = (n: number) =>
      page
        .waitForFunction(
          (n) =>
            document.querySelector('[data-testid=train-panel] [role=alert]')?.textContent ||
            (globalThis as unknown as { __benchMarks: Mark[] }).__benchMarks.filter((m) => m.type === 'step').length >= n,
          n,
          { polling: 200 },
        )
        .then(async (h) => {
          const v = await h.jsonValue();
          if (typeof v === 'string') throw new Error(`the page says: ${v}`); // its error line, not a step
        })
        .catch((e: Error) => {
          throw new Error(`${e.message.split('\n')[0]}\n${errors.slice(-5).join('\n')}`);
        });
    await stepsSeen(1); // the warm-up step
    const [cpu0, wall0] = [descendantCpuSeconds(), performance.now()];
    await stepsSeen(steps + 1);
    const cores = (descendantCpuSeconds() - cpu0) / ((performance.now() - wall0) / 1000);
    const marks = await page.evaluate(() => (globalThis as unknown as { __benchMarks: Mark[] }).__benchMarks);
    const load = os.loadavg()[0];
    await page.click('[data-testid=train-pause]').catch(() => {}); // the context closes anyway
    const backend = marks.find((m) => m.type === 'backend');
    if (!backend || backend.threads == null) throw new Error(`the model worker did not report WASM threads: ${JSON.stringify(backend)}`);
    const ms: number[] = [];
    let prev: Mark | null = null;
    for (const m of marks) {
      if (m.type === 'eval') prev = null; // a validation pass sits in this gap
      if (m.type !== 'step') continue;
      if (prev && m.step! >= 2 && ms.length < steps) ms.push(m.t - prev.t);
      prev = m;
    }
    if (ms.length === 0) throw new Error('no step was timed (an epoch ended first: give the archive more tweets)');
    return { block, threadsAsked, threads: backend.threads, isolated: backend.isolated === true, msPerStep: ms, cores, load };
  } finally {
    await context.close();
    fs.rmSync(profile, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const shape = arg('shape', 'distilgpt2');
  if (shape !== 'tiny' && shape !== 'distilgpt2') throw new Error('--shape: tiny or distilgpt2');
  const blocks = arg('blocks', '64,256').split(',').map(Number);
  const threads = arg('threads', '1,default').split(',');
  const batch = Number(arg('batch', '4'));
  if (!args.flags.has('no-build')) {
    console.error('building the app (vite build)…');
    execSync('npx vite build --logLevel error', { stdio: 'inherit', env: { ...process.env, NODE_ENV: 'production' } });
  }
  console.error(`the ${shape} model folder (generated on first use)…`);
  const model = modelFolder(shape);
  const archive = benchArchive(3000);
  const server = await startServer({ dir: path.resolve('dist'), mounts: { '/fixtures/': FIXTURES_DIR } });
  const results: Result[] = [];
  try {
    // Blocks outer, threads inner: the long runs (T256) come last, the pair to compare sits together.
    for (const block of blocks) {
      for (const t of threads) {
        console.error(`B${batch} x T${block}, ?threads=${t}…`);
        const r = await measure(`${server.url}?model=${encodeURIComponent(`/fixtures/models/${model}/`)}`, archive, block, t);
        console.error(`  ${r.msPerStep.map((x) => x.toFixed(0)).join(', ')} ms, ${r.cores.toFixed(2)} cores (load ${r.load.toFixed(1)})`);
        results.push(r);
      }
    }
  } finally {
    await server.close();
  }
  printTable(shape, batch, results);
}

function printTable(shape: string, batch: number, results: Result[]): void {
  const commit = execSync('git rev-parse --short HEAD').toString().trim();
  const cpu = os.cpus();
  const version = execSync(`${CHROMIUM} --version`, { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  const steps = Number(arg('steps', '3'));
  console.log(`\n### Training in the page on WASM (${shape}, ${(paramCount(shapeConfig(shape)) / 1e6).toFixed(1)}M parameters, random weights)\n`);
  console.log(`${new Date().toISOString().slice(0, 10)}, commit ${commit}, ${cpu[0]?.model.trim()} (${cpu.length} cores), ${version} headless; median of ${steps} steps after one warm-up step.\n`);
  console.log('| model | batch x block | ?threads= | WASM threads | ms/step (median) | steps timed (ms) | tokens/s | speed-up vs 1 thread | cores the browser got | CPU s/step | load (1 min) |');
  console.log('| --- | --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    const ms = median(r.msPerStep);
    const one = results.find((o) => o.block === r.block && o.threads === 1);
    const speedup = one && r.threads !== 1 ? `${(median(one.msPerStep) / ms).toFixed(2)}x` : '';
    const threads = `${r.threads}${r.isolated ? '' : ' (not isolated)'}`;
    console.log(
      `| ${shape} | B${batch} x T${r.block} | ${r.threadsAsked} | ${threads} | ${ms.toFixed(0)} | ${r.msPerStep.map((x) => x.toFixed(0)).join(', ')} | ${((batch * r.block) / (ms / 1000)).toFixed(1)} | ${speedup} | ${r.cores.toFixed(2)} | ${((r.cores * ms) / 1000).toFixed(1)} | ${r.load.toFixed(1)} |`,
    );
  }
}

await main();
