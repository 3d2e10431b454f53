// A tokenizer worker warms its JIT on a sample until data comes (warm-up.ts): the sample must
// take every path of the encoder, go in slices that data can cut short, and leave the worker's
// own tokenizer untouched, so that the dataset's ids and merge counts are what a worker without
// warm-up gives.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { pretokenize } from '../../src/lib/tokenizer/pretokenize.ts';
import { TokenizerPool, type PoolWorker } from '../../src/lib/tokenizer/pool.ts';
import { createNodeTokenizerPool } from '../../src/lib/tokenizer/node-workers.ts';
import { unpack } from '../../src/lib/tokenizer/packed-ids.ts';
import { TokenizerWorkerCore } from '../../src/lib/tokenizer/worker-core.ts';
import { WARM_UP_CHARS, warmUpTexts } from '../../src/lib/tokenizer/warm-up.ts';
import type { TokenizerRequest } from '../../src/lib/tokenizer/protocol.ts';
import { GPT2_VOCAB_JSON, GPT2_MERGES_TXT } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';
import { tortureStrings, tweetLikeTexts } from '../helpers/torture-strings.ts';

let tok: GPT2Tokenizer;
beforeAll(() => {
  tok = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
});

describe('warm-up sample', () => {
  it('is the same every time, about the size asked, and takes the short and the long (heap) merge paths', () => {
    const texts = warmUpTexts(tok, 20_000);
    expect(warmUpTexts(tok, 20_000)).toEqual(texts);
    const chars = texts.reduce((a, t) => a + t.length, 0);
    expect(chars).toBeGreaterThanOrEqual(20_000);
    expect(chars).toBeLessThan(21_000);
    const pieces = texts.flatMap((t) => pretokenize(t));
    const bytes = pieces.map((p) => Buffer.byteLength(p));
    expect(bytes.filter((n) => n > 24).length).toBeGreaterThan(10); // bpe.ts: LONG_PIECE
    expect(bytes.filter((n) => n > 1 && n <= 24).length).toBeGreaterThan(1000);
    expect(new Set(pieces).size).toBeGreaterThan(1000); // distinct pieces: the merge code runs, not only the cache
  });
});

/** A worker core given the tables, that has run `slices` slices of its warm-up (all: Infinity). */
function coreAfter(warmUpChars: number, slices: number): TokenizerWorkerCore {
  const core = new TokenizerWorkerCore();
  expect(core.handle({ type: 'init', tables: tok.tables, warmUpChars }).reply).toEqual({ type: 'ready' });
  for (let i = 0; i < slices && core.warming; i++) core.warmUpSlice();
  return core;
}

describe('a worker that warms up', () => {
  it('answers ready at once, then encodes its sample a slice at a time and answers warm after the last', () => {
    const core = coreAfter(5_000, 0);
    expect(core.warming).toBe(true);
    const answers = [];
    while (core.warming) answers.push(core.warmUpSlice());
    expect(answers.length).toBeGreaterThan(1);
    expect(answers.slice(0, -1).every((a) => a === undefined)).toBe(true);
    expect(answers.at(-1)?.reply).toEqual({ type: 'warm' });
    expect(coreAfter(0, 0).warming).toBe(false);
  });

  it('stops warming up when data comes, without answering warm', () => {
    const core = coreAfter(50_000, 1);
    expect(core.warming).toBe(true);
    expect(core.handle({ type: 'encode', job: 0, chunk: 0, texts: ['hello'] }).reply.type).toBe('encoded');
    expect(core.warming).toBe(false);
    expect(core.warmUpSlice()).toBeUndefined();
  });

  it('gives the same ids and the same merge count as one that does not (its own cache starts empty)', () => {
    const texts = [...tweetLikeTexts(3e4, 9), ...tortureStrings(200, 3)];
    const answers = [coreAfter(0, 0), coreAfter(5_000, Infinity)].map((core) => core.handle({ type: 'encode', job: 0, chunk: 0, texts }).reply);
    expect(answers[0].type).toBe('encoded');
    expect(answers[1]).toEqual(answers[0]);
  });

  it('is told the size of the sample by the pool: WARM_UP_CHARS unless the caller says otherwise', () => {
    const inits: TokenizerRequest[] = [];
    const recording = (): PoolWorker => ({ send: (m) => void inits.push(m), listen() {}, terminate() {} });
    for (const opts of [{}, { warmUpChars: 0 }]) new TokenizerPool(recording, tok.tables, { size: 2, ...opts }).terminate();
    expect(inits.map((m) => m.type === 'init' && m.warmUpChars)).toEqual([WARM_UP_CHARS, WARM_UP_CHARS, 0, 0]);
  });
});

describe('a pool of worker_threads running the worker file', () => {
  it('reports warm once every worker has done its sample, and then encodes as one thread does', async () => {
    const pool = createNodeTokenizerPool(tok.tables, { size: 2, warmUpChars: 20_000 });
    try {
      await pool.warm;
      const texts = tweetLikeTexts(2e4, 4);
      const ids = unpack(await pool.encodeAll(texts));
      expect(ids.map((x) => Array.from(x))).toEqual(texts.map((t) => tok.encode(t)));
    } finally {
      pool.terminate();
    }
  });
});
