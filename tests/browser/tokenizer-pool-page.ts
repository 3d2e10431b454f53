// The page module of tests/browser/tokenizer-pool.test.ts: Vite bundles it (with the app's
// tokenizer worker) into .fixtures/tokenizer-pool-page/, and the test drives it in Chromium.
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
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

async function run(base: string, texts: string[]): Promise<PoolRun> {
  const [vocabJson, mergesTxt] = await Promise.all(
    ['vocab.json', 'merges.txt'].map(async (f) => (await fetch(base + f)).text()),
  );
  const tok = GPT2Tokenizer.fromFiles(vocabJson, mergesTxt);
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
