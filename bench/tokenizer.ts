// npm run bench:tokenizer [-- --mb 8 --rounds 3 --threads 1,2,4 --chunk 16384,65536 --warm-up 0 --peers no --split no]
// Tokenizer throughput on ~8 MB of tweet-like text (tests/helpers/torture-strings.ts), encoded tweet
// by tweet as the corpus does: ours vs js-tiktoken (`gpt2`) vs gpt-tokenizer (`r50k_base`) on one
// thread in the same process, then our pool on Node worker_threads (the browser's pool runs the
// same worker file on web workers), with the cores the process kept busy and the share of the pass
// the main thread was busy (it sends every chunk and collects the replies), and the merges (cache
// misses) its workers made: each keeps its own cache, so a piece met by k workers is merged k
// times (one thread: once per distinct piece). Beside each pool, the
// same number of separate processes, each encoding its own share of the text on one thread at
// the same moment ("split"): what splitting the work costs by itself (each process warms its own
// JIT and fills its own cache, as each worker does) and what the cores allow, without the pool's
// messages. The pool's workers warm their JIT on a sample until data comes (warm-up.ts;
// --warm-up CHARS sets its size, 0 turns it off); the bench waits for it, in the start column, as
// the page starts the pool when a model loads, ahead of the data. Every run starts from empty
// caches, as a new dataset does; each figure is the best
// of `rounds` interleaved runs, since the machine may be shared.
// Prints a markdown table for docs/benchmarks.md; writes bench/out/tokenizer.json.
import fs from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { getEncoding } from 'js-tiktoken';
import { encode as gptTokenizerEncode, clearMergeCache } from 'gpt-tokenizer/encoding/r50k_base';
import { GPT2Tokenizer } from '../src/lib/tokenizer/bpe.ts';
import { IdBuffer } from '../src/lib/tokenizer/id-buffer.ts';
import { createNodeTokenizerPool } from '../src/lib/tokenizer/node-workers.ts';
import { WARM_UP_CHARS } from '../src/lib/tokenizer/warm-up.ts';
import { GPT2_VOCAB_JSON, GPT2_MERGES_TXT } from '../scripts/fixtures/gpt2-tokenizer-files.ts';
import { tweetLikeTexts } from '../tests/helpers/torture-strings.ts';
import { parseArgs } from '../scripts/cli/args.ts';
import { runTogether, whenTold } from './together.ts';

const args = parseArgs(process.argv.slice(2), ['mb', 'rounds', 'threads', 'chunk', 'warm-up', 'peers', 'split', 'part']);
const MB = Number(args.options.get('mb') ?? 8);
const ROUNDS = Number(args.options.get('rounds') ?? 3);
const cores = os.availableParallelism();
const THREADS = (args.options.get('threads') ?? [1, 2, 4, 8].filter((n) => n <= Math.max(2, cores)).join(','))
  .split(',')
  .map(Number)
  .filter((n) => n > 0); // --threads 0: no pool
// Characters per chunk (the pool's chunkChars); undefined: the pool's default.
const CHUNKS = (args.options.get('chunk') ?? '').split(',').filter(Boolean).map(Number);
const WARM_UP = args.options.has('warm-up') ? Number(args.options.get('warm-up')) : WARM_UP_CHARS;
const PEERS = args.options.get('peers') !== 'no';
const SPLIT = args.options.get('split') !== 'no';

const files = { vocabJson: fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), mergesTxt: fs.readFileSync(GPT2_MERGES_TXT, 'utf8') };
const texts = tweetLikeTexts(MB * 1e6, 7);
const warmup = tweetLikeTexts(5e5, 8);
const bytes = texts.reduce((a, t) => a + Buffer.byteLength(t), 0);
if (!args.options.has('part')) console.error(`${texts.length} tweet-like texts, ${(bytes / 1e6).toFixed(2)} MB; ${cores} cores; node ${process.version}`);

// Each round starts every encoder with empty caches (a fresh instance; gpt-tokenizer's module
// cache cleared), as when a new dataset is tokenized once; JIT warm-up happens once, before.
let t0 = performance.now();
const tables = GPT2Tokenizer.fromFiles(files.vocabJson, files.mergesTxt).tables;
const loadMs = performance.now() - t0;
const noSpecial = new Set<string>();

// One process of a split run (--part i/n, started by splitRun below): encode share i of n of the
// texts on this thread, from the moment the parent says go; print when it started and ended.
if (args.options.has('part')) {
  const [i, n] = args.options.get('part')!.split('/').map(Number);
  const share = shareOf(texts, i, n);
  const tok = GPT2Tokenizer.fromTables(tables);
  const out = new IdBuffer();
  await whenTold(() => {
    for (const t of share) (out.length = 0), tok.encodeInto(t, out);
  });
}

interface Encoder { name: string; fresh: () => (s: string) => ArrayLike<number> }
const allEncoders: Encoder[] = [
  { name: 'tweetforge (ours)', fresh: () => { const t = GPT2Tokenizer.fromTables(tables); return (s) => t.encode(s); } },
  { name: 'js-tiktoken gpt2', fresh: () => { const t = getEncoding('gpt2'); return (s) => t.encode(s, [], []); } },
  { name: 'gpt-tokenizer r50k_base', fresh: () => { clearMergeCache(); return (s) => gptTokenizerEncode(s, { disallowedSpecial: noSpecial }); } },
];
const encoders = PEERS ? allEncoders : allEncoders.slice(0, 1);

interface Row { name: string; seconds: number; tokens: number }
const best = new Map<string, Row>();
for (const e of encoders) {
  const encode = e.fresh();
  for (const t of warmup) encode(t);
}
for (let round = 0; round < ROUNDS; round++) {
  for (const e of encoders) {
    const encode = e.fresh();
    let tokens = 0;
    t0 = performance.now();
    for (const t of texts) tokens += encode(t).length;
    const seconds = (performance.now() - t0) / 1000;
    const prev = best.get(e.name);
    if (prev && prev.tokens !== tokens) throw new Error(`${e.name}: token count changed between rounds`);
    if (!prev || seconds < prev.seconds) best.set(e.name, { name: e.name, seconds, tokens });
    console.error(`round ${round + 1}: ${e.name} ${(bytes / 1e6 / seconds).toFixed(2)} MB/s`);
  }
}
const rows = [...best.values()];
const counts = new Set(rows.map((r) => r.tokens));
if (counts.size !== 1) console.error(`warning: token counts differ: ${rows.map((r) => `${r.name} ${r.tokens}`).join(', ')}`);
const mbps = (r: Row): number => bytes / 1e6 / r.seconds;
const fasterPeer = PEERS ? Math.max(mbps(rows[1]), mbps(rows[2])) : NaN;

// The pool: fresh threads every round (empty caches, JIT warmed only by the start's sample: how
// the page meets a dataset), timed from warm (threads started, tokenizer built, sample encoded)
// to the last id, and from the pool's creation (what a caller that makes the pool on first use
// waits); then a second pass on the same threads (warm: a pool kept for re-tokenizing, e.g.
// after the rule changes).
// Also, over the fresh-threads pass, the CPU time of the whole process (every thread: workers,
// their GC and JIT threads, the main thread): the cores it kept busy bound what more threads can
// gain; and the main thread's event-loop utilisation: near 1, the main thread is the limit.
interface PoolRow {
  threads: number; chunk: number | undefined; startMs: number; total: number; cold: number; warm: number;
  coresBusy: number; mainBusy: number; merges: number; split?: number;
  /** CPU seconds over the fresh pass (Linux): the worker threads together, and every other thread but the main one. */
  workerCpu?: number; helperCpu?: number;
}
const pool: PoolRow[] = [];
for (const chunk of CHUNKS.length > 0 ? CHUNKS : [undefined]) {
  for (const n of THREADS) {
    const row: PoolRow = { threads: n, chunk, startMs: Infinity, total: Infinity, cold: Infinity, warm: Infinity, coresBusy: 0, mainBusy: 0, merges: 0 };
    for (let round = 0; round < ROUNDS; round++) {
      const created = performance.now();
      const before = new Set(threadCpu().keys());
      const p = createNodeTokenizerPool(tables, { size: n, chunkChars: chunk, warmUpChars: WARM_UP });
      await p.warm;
      const threads0 = threadCpu();
      // Node starts one thread per Worker and nothing else here, so the new threads are the workers.
      const workerTids = [...threads0.keys()].filter((tid) => !before.has(tid));
      row.startMs = Math.min(row.startMs, performance.now() - created);
      const cpu0 = process.cpuUsage();
      const elu0 = performance.eventLoopUtilization();
      t0 = performance.now();
      await p.encodeAll(texts);
      const seconds = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const elu = performance.eventLoopUtilization(elu0);
      const threads = threadCpu();
      row.total = Math.min(row.total, (performance.now() - created) / 1000);
      if (seconds < row.cold) {
        [row.cold, row.coresBusy, row.mainBusy, row.merges] = [seconds, (cpu.user + cpu.system) / 1e6 / seconds, elu.utilization, p.merges];
        [row.workerCpu, row.helperCpu] = splitCpu(threads0, threads, workerTids);
      }
      t0 = performance.now();
      await p.encodeAll(texts);
      row.warm = Math.min(row.warm, (performance.now() - t0) / 1000);
      p.terminate();
    }
    if (SPLIT && chunk === CHUNKS[0]) {
      for (let round = 0; round < ROUNDS; round++) row.split = Math.min(row.split ?? Infinity, await splitRun(n));
    }
    pool.push(row);
    console.error(`pool of ${n}${chunk ? `, chunks of ${chunk}` : ''}: ${(bytes / 1e6 / row.cold).toFixed(2)} MB/s cold, ${(bytes / 1e6 / row.warm).toFixed(2)} warm`);
  }
}

const lines = [
  `Tokenizer throughput, ${(bytes / 1e6).toFixed(1)} MB of tweet-like text (${texts.length} texts, ${rows[0].tokens} tokens), ` +
    `one tweet per call, empty caches, best of ${ROUNDS}; ${os.cpus()[0]?.model ?? 'CPU'}, ${cores} cores, Node ${process.version}, ` +
    `${v8PoolSize()} V8 helper threads:`,
  '',
  '| encoder (one thread) | MB/s | tokens/s | vs faster peer |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.name} | ${mbps(r).toFixed(2)} | ${(r.tokens / r.seconds / 1e6).toFixed(2)} M | ${PEERS ? (mbps(r) / fasterPeer).toFixed(2) + 'x' : '—'} |`),
  '',
  `| our pool (Node worker_threads) | start (ms) | MB/s, fresh threads | speed-up | MB/s with start | speed-up | merges | cores busy | CPU s: workers, JIT/GC threads | main thread busy | MB/s, second pass | speed-up | split into processes: MB/s | speed-up |`,
  '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...pool.map((p) => {
    const one = pool.find((q) => q.threads === 1 && q.chunk === p.chunk) ?? p;
    return `| ${p.threads} thread${p.threads > 1 ? 's' : ''}${p.chunk ? `, chunks of ${p.chunk}` : ''} | ${p.startMs.toFixed(0)} ` +
      `| ${(bytes / 1e6 / p.cold).toFixed(2)} | ${(one.cold / p.cold).toFixed(2)}x | ${(bytes / 1e6 / p.total).toFixed(2)} | ${(one.total / p.total).toFixed(2)}x | ${(p.merges / 1000).toFixed(1)}k | ${p.coresBusy.toFixed(2)} ` +
      `| ${p.workerCpu === undefined ? '—' : `${p.workerCpu.toFixed(2)}, ${p.helperCpu!.toFixed(2)}`} | ${(p.mainBusy * 100).toFixed(0)} % ` +
      `| ${(bytes / 1e6 / p.warm).toFixed(2)} | ${(one.warm / p.warm).toFixed(2)}x ` +
      `| ${p.split ? (bytes / 1e6 / p.split).toFixed(2) : '—'} | ${p.split && one.split ? (one.split / p.split).toFixed(2) + 'x' : '—'} |`;
  }),
  '',
  `Loading vocab.json + merges.txt: ${loadMs.toFixed(0)} ms (once; each worker builds the tokenizer from its typed-array tables` +
    `${WARM_UP > 0 ? `; until data comes, it warms up on a ${(WARM_UP / 1000).toFixed(0)}k-character sample, which the bench lets finish, in "start"` : ', no warm-up'}).`,
];
console.log(lines.join('\n'));
fs.mkdirSync('bench/out', { recursive: true });
fs.writeFileSync(
  'bench/out/tokenizer.json',
  JSON.stringify({ bytes, texts: texts.length, cores, loadMs, rows: rows.map((r) => ({ ...r, mbps: mbps(r) })), pool }, null, 2),
);

/**
 * The threads V8 gives every isolate of this process for its background compiles and GC: Node's
 * default is 4 (--v8-pool-size); Chromium gives a page's workers about one per core.
 */
function v8PoolSize(): string {
  const flag = [...process.execArgv, ...(process.env.NODE_OPTIONS ?? '').split(/\s+/)].findLast((a) => a.startsWith('--v8-pool-size='));
  const n = flag ? Number(flag.split('=')[1]) : 4;
  return n > 0 ? String(n) : `${Math.max(1, cores - 1)} (--v8-pool-size=0)`;
}

/** CPU time (s) of each of this process's threads, by thread id, where Linux's /proc tells; else empty. */
function threadCpu(): Map<string, number> {
  const cpu = new Map<string, number>();
  try {
    for (const tid of fs.readdirSync('/proc/self/task')) {
      cpu.set(tid, Number(fs.readFileSync(`/proc/self/task/${tid}/schedstat`, 'utf8').split(' ')[0]) / 1e9);
    }
  } catch {
    cpu.clear();
  }
  return cpu;
}

/**
 * CPU seconds between two threadCpu() readings: the worker threads', and the helpers' (every thread
 * but the workers and the main thread: V8's shared JIT and GC threads, libuv's); undefined without /proc.
 */
function splitCpu(a: Map<string, number>, b: Map<string, number>, workers: string[]): [number | undefined, number | undefined] {
  if (a.size === 0 || b.size === 0) return [undefined, undefined];
  let worker = 0, helper = 0;
  for (const [tid, t] of b) {
    const dt = t - (a.get(tid) ?? 0);
    if (workers.includes(tid)) worker += dt;
    else if (tid !== String(process.pid)) helper += dt;
  }
  return [worker, helper];
}

/** Share i of n of the texts: consecutive texts, about 1/n of the characters. */
function shareOf(all: string[], i: number, n: number): string[] {
  let total = 0;
  for (const t of all) total += t.length;
  const out: string[] = [];
  let seen = 0;
  for (const t of all) {
    if (Math.min(n - 1, Math.floor((seen * n) / total)) === i) out.push(t);
    seen += t.length;
  }
  return out;
}

/** Seconds for n processes (this script with --part i/n) to encode their shares at once. */
function splitRun(n: number): Promise<number> {
  return runTogether(n, (i) => ['--part', `${i}/${n}`, '--mb', String(MB)]);
}
