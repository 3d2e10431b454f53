// The tokenizer pool: same ids as one thread, in order, with progress and cancellation.
// Real worker_threads run src/workers/tokenizer.worker.ts; an in-process fake worker that
// answers out of order checks the pool's bookkeeping cheaply.
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { unpack, type PackedIds } from '../../src/lib/tokenizer/packed-ids.ts';
import { TokenizerWorkerCore } from '../../src/lib/tokenizer/worker-core.ts';
import { TokenizerPool, type PoolWorker, type TokenizeProgress } from '../../src/lib/tokenizer/pool.ts';
import { createNodeTokenizerPool } from '../../src/lib/tokenizer/node-workers.ts';
import type { TokenizerReply } from '../../src/lib/tokenizer/protocol.ts';
import { GPT2_VOCAB_JSON, GPT2_MERGES_TXT } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';
import { tortureStrings, tweetLikeTexts, rng } from '../helpers/torture-strings.ts';

const files = { vocabJson: fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), mergesTxt: fs.readFileSync(GPT2_MERGES_TXT, 'utf8') };
let tok: GPT2Tokenizer;
beforeAll(() => {
  tok = GPT2Tokenizer.fromFiles(files.vocabJson, files.mergesTxt);
});

/** The dataset: tweet-like text with the torture strings shuffled in. */
function dataset(bytes: number, seed: number): string[] {
  const r = rng(seed);
  const texts = tweetLikeTexts(bytes, seed);
  for (const s of tortureStrings()) texts.splice(Math.floor(r() * texts.length), 0, s);
  return texts;
}

function expectSameAsOneThread(texts: string[], packed: PackedIds[]): void {
  for (const p of packed) expect(p.ids).toBeInstanceOf(Int32Array);
  const ids = unpack(packed);
  expect(ids.length).toBe(texts.length);
  const bad = texts.findIndex((t, i) => !(ids[i] instanceof Int32Array) || ids[i].join() !== tok.encode(t).join());
  expect(bad, bad >= 0 ? `text ${bad}: ${JSON.stringify(texts[bad])}` : '').toBe(-1);
}

/**
 * A worker in this thread that answers each chunk after a random delay (up to maxDelayMs), so
 * replies come out of order; with hangAfter, it goes silent after that many chunks.
 */
function fakeWorker(seed: number, log?: { sent: number; terminated?: number }, { maxDelayMs = 5, hangAfter = Infinity } = {}): PoolWorker {
  const r = rng(seed);
  let answered = 0;
  const core = new TokenizerWorkerCore();
  let onReply: (reply: TokenizerReply) => void = () => {};
  return {
    send(msg) {
      if (msg.type === 'encode') {
        if (log) log.sent++;
        if (answered++ >= hangAfter) return;
      }
      const { reply } = core.handle(msg);
      setTimeout(() => onReply(reply), msg.type === 'encode' ? r() * maxDelayMs : 0);
    },
    listen(reply) {
      onReply = reply;
    },
    terminate() {
      if (log) log.terminated = (log.terminated ?? 0) + 1;
    },
  };
}

describe('TokenizerPool with an out-of-order fake worker', () => {
  it('puts every chunk back in place and reports progress up to the total', async () => {
    let seed = 1;
    const pool = new TokenizerPool(() => fakeWorker(seed++), tok.tables, { size: 3, chunkChars: 2000 });
    const texts = dataset(2e5, 5);
    const seen: TokenizeProgress[] = [];
    const ids = await pool.encodeAll(texts, { onProgress: (p) => seen.push(p) });
    expectSameAsOneThread(texts, ids);
    expect(seen.length).toBeGreaterThan(10);
    for (let i = 1; i < seen.length; i++) expect(seen[i].texts).toBeGreaterThan(seen[i - 1].texts);
    expect(seen.at(-1)).toEqual({ texts: texts.length, totalTexts: texts.length, tokens: unpack(ids).reduce((n, x) => n + x.length, 0) });
    pool.terminate();
  });

  it('runs two jobs at once without mixing them', async () => {
    const pool = new TokenizerPool(() => fakeWorker(7), tok.tables, { size: 2, chunkChars: 1500 });
    const a = dataset(5e4, 1), b = dataset(5e4, 2);
    const [ia, ib] = await Promise.all([pool.encodeAll(a), pool.encodeAll(b)]);
    expectSameAsOneThread(a, ia);
    expectSameAsOneThread(b, ib);
    expect(unpack(await pool.encodeAll([]))).toEqual([]);
    pool.terminate();
    await expect(pool.encodeAll(['x'])).rejects.toThrow(/terminated/);
  });

  it('stops sending chunks once aborted, and rejects with the reason', async () => {
    const log = { sent: 0 };
    const pool = new TokenizerPool(() => fakeWorker(3, log), tok.tables, { size: 1, chunkChars: 1024 });
    const controller = new AbortController();
    const texts = dataset(3e5, 9);
    const job = pool.encodeAll(texts, {
      signal: controller.signal,
      onProgress: (p) => p.texts > 100 && controller.abort(),
    });
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    const sentAtAbort = log.sent;
    await new Promise((r) => setTimeout(r, 50));
    expect(log.sent).toBe(sentAtAbort); // nothing more of that job went out
    expect(sentAtAbort).toBeLessThan(20); // of ~300 chunks
    // The pool stays usable; an already-aborted signal rejects at once.
    expectSameAsOneThread(texts.slice(0, 50), await pool.encodeAll(texts.slice(0, 50)));
    await expect(pool.encodeAll(['a'], { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    pool.terminate();
  });
});

describe('TokenizerPool and a worker that stops answering', () => {
  it('fails the job with a readable error once a worker holding chunks is silent for stallMs, and stops every worker', async () => {
    const log = { sent: 0, terminated: 0 };
    let n = 0;
    const pool = new TokenizerPool(() => fakeWorker(n, log, { hangAfter: n++ === 1 ? 3 : Infinity }), tok.tables, { size: 2, chunkChars: 1024, stallMs: 150 });
    const t0 = performance.now();
    await expect(pool.encodeAll(dataset(2e5, 4))).rejects.toThrow(/a tokenizer worker has not answered for 0.2 s/);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    expect(log.terminated).toBe(2);
    await expect(pool.encodeAll(['x'])).rejects.toThrow(/not answered/);
  });

  it('lets a slow worker that keeps answering finish a job that takes many times stallMs', async () => {
    const pool = new TokenizerPool(() => fakeWorker(5, undefined, { maxDelayMs: 40 }), tok.tables, { size: 1, chunkChars: 1024, stallMs: 100 });
    const texts = dataset(3e4, 6); // ~30 chunks of up to 40 ms each, two in flight: ~0.6 s in all
    const t0 = performance.now();
    expectSameAsOneThread(texts, await pool.encodeAll(texts));
    expect(performance.now() - t0).toBeGreaterThan(300);
    pool.terminate();
  });
});

describe('TokenizerPool on worker_threads (the real tokenizer.worker.ts)', () => {
  let pool: TokenizerPool;
  beforeAll(async () => {
    pool = createNodeTokenizerPool(tok.tables, { size: 3, chunkChars: 16_384 });
    await pool.ready;
  });
  afterAll(() => pool?.terminate());

  it('gives the same ids as one thread, in order, on a 4 MB dataset', async () => {
    const texts = dataset(4e6, 42);
    let last: TokenizeProgress | undefined;
    const ids = await pool.encodeAll(texts, { onProgress: (p) => (last = p) });
    expectSameAsOneThread(texts, ids);
    expect(last?.texts).toBe(texts.length);
  });

  it('counts the merges its workers make: each piece once per worker that meets it', async () => {
    const texts = dataset(1e6, 3);
    const one = GPT2Tokenizer.fromTables(tok.tables);
    for (const t of texts) one.encode(t);
    const merges: number[] = [];
    for (const size of [1, 3]) {
      const fresh = createNodeTokenizerPool(tok.tables, { size, chunkChars: 8192 });
      await fresh.encodeAll(texts);
      merges.push(fresh.merges);
      fresh.terminate();
    }
    expect(merges[0]).toBe(one.merges);
    expect(merges[1]).toBeGreaterThan(one.merges); // three caches: a common piece is merged up to three times
  });

  it('can be cancelled mid-way and then used again', async () => {
    const controller = new AbortController();
    const texts = dataset(1e6, 8);
    const job = pool.encodeAll(texts, { signal: controller.signal, onProgress: () => controller.abort() });
    await expect(job).rejects.toMatchObject({ name: 'AbortError' });
    expectSameAsOneThread(texts.slice(0, 500), await pool.encodeAll(texts.slice(0, 500)));
  });

  it('rejects every job with a readable error when a worker cannot build the tokenizer', async () => {
    const broken = createNodeTokenizerPool({ ...tok.tables, merges: tok.tables.merges.subarray(1) }, { size: 1 });
    await expect(broken.encodeAll(['hello'])).rejects.toThrow(/tokenizer worker: tokenizer tables are inconsistent/);
    await expect(broken.ready).rejects.toThrow(/inconsistent/);
    broken.terminate();
  });
});
