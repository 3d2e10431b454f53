// The page module of tests/browser/tokenizer-pool.test.ts: Vite bundles it (with the app's
// tokenizer worker) into .fixtures/tokenizer-pool-page/, and the test drives it in Chromium.
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import type { ByteLevelBPE } from '../../src/lib/tokenizer/byte-level-bpe.ts';
import { TokenizerJsonBPE } from '../../src/lib/tokenizer/tokenizer-json.ts';
import { createBrowserTokenizerPool } from '../../src/lib/tokenizer/browser-workers.ts';
import { unpack } from '../../src/lib/tokenizer/packed-ids.ts';

export interface PoolRun {
  poolSize: number;
  hardwareConcurrency: number;
  /** Index of the first text whose pool ids differ from one thread's, or -1. */
  firstMismatch: number;
  progressCalls: number;
  lastProgress: { texts: number; totalTexts: number; tokens: number } | null;
  allInt32: boolean;
  poolMs: number;
  oneThreadMs: number;
  /** The pool's ids, flattened, for the test to compare with Node's. */
  flat: number[];
  /** How a job aborted after its first progress report ended. */
  abortOutcome: string;
}

/** The folder's tokenizer: GPT-2's vocab.json + merges.txt, or (tokenizerJson) tokenizer.json + tokenizer_config.json. */
async function load(base: string, tokenizerJson: boolean): Promise<ByteLevelBPE> {
  const files = tokenizerJson ? ['tokenizer.json', 'tokenizer_config.json'] : ['vocab.json', 'merges.txt'];
  const [a, b] = await Promise.all(files.map(async (f) => (await fetch(base + f)).text()));
  return tokenizerJson ? TokenizerJsonBPE.fromFiles(a, b) : GPT2Tokenizer.fromFiles(a, b);
}

async function run(base: string, texts: string[], tokenizerJson = false): Promise<PoolRun> {
  const tok = await load(base, tokenizerJson);
  const pool = createBrowserTokenizerPool(tok.tables);
  await pool.ready;
  let progressCalls = 0;
  let lastProgress: PoolRun['lastProgress'] = null;
  let t0 = performance.now();
  const packed = await pool.encodeAll(texts, { onProgress: (p) => (progressCalls++, (lastProgress = p)) });
  const ids = unpack(packed);
  const poolMs = performance.now() - t0;

  t0 = performance.now();
  const one = texts.map((t) => tok.encode(t));
  const oneThreadMs = performance.now() - t0;
  const firstMismatch = texts.findIndex((_, i) => ids[i].join() !== one[i].join());

  const controller = new AbortController();
  const abortOutcome = await pool
    .encodeAll(texts, { signal: controller.signal, onProgress: () => controller.abort() })
    .then(() => 'resolved', (e: Error) => e.name);
  pool.terminate();
  return {
    poolSize: pool.size,
    hardwareConcurrency: navigator.hardwareConcurrency,
    firstMismatch, progressCalls, lastProgress, poolMs, oneThreadMs, abortOutcome,
    allInt32: packed.every((p) => p.ids instanceof Int32Array && p.offsets instanceof Int32Array),
    flat: ids.flatMap((x) => Array.from(x)),
  };
}

(window as unknown as { tokenizerPool: { run: typeof run } }).tokenizerPool = { run };
document.title = 'tokenizer pool harness';
