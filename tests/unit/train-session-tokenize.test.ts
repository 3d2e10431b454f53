// TrainingSession's 'prepare' tokenizes through a pool of tokenizer workers (worker_threads
// here, as node-workers.ts makes them; web Workers in the page) and falls back to its own
// thread when there is no pool or the pool fails: the corpus is the same either way. Progress
// events end at the total; a newer prepare aborts the one still tokenizing.
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TrainingSession } from '../../src/workers/model/session';
import type { TokenizerPoolFactory } from '../../src/lib/tokenizer/dataset-encoder';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe';
import { TokenizerPool, type PoolWorker } from '../../src/lib/tokenizer/pool';
import { createNodeTokenizerPool } from '../../src/lib/tokenizer/node-workers';
import { encodePacked } from '../../src/lib/tokenizer/packed-ids';
import type { FolderModel } from '../../src/lib/model/load';
import { loadHFDir } from '../../scripts/fixtures/hf-dir';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model';
import { tortureStrings, tweetLikeTexts } from '../helpers/torture-strings.ts';
import { sessionHarness } from '../helpers/session-harness';
import { PREPARE_SUPERSEDED } from '../../src/workers/model/protocol';

let files: FolderModel;
let tok: GPT2Tokenizer;
const sessions: TrainingSession[] = [];

beforeAll(async () => {
  files = await loadHFDir(tinyModelDir('tiny'));
  tok = GPT2Tokenizer.fromFiles(files.tokenizerFiles['vocab.json'], files.tokenizerFiles['merges.txt']);
});

afterEach(() => {
  for (const s of sessions.splice(0)) s.dispose(); // worker_threads would keep the run alive
});

/** A session on the cpu backend with the tiny model (real GPT-2 vocabulary) loaded. */
async function loaded(createTokenizerPool?: TokenizerPoolFactory) {
  const s = sessionHarness({ loadUrl: async () => files, createTokenizerPool });
  sessions.push(s.session);
  await s.send({ type: 'init' });
  await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
  return s;
}

// Two accounts of tweet-like text, one with the strings that break tokenizers: about 3,000 texts.
const accounts = [
  { username: 'alice', texts: tweetLikeTexts(2e5, 3) },
  { username: 'bob', texts: [...tweetLikeTexts(1e5, 4), ...tortureStrings(300, 5)] },
];
const allTexts = accounts.flatMap((a) => a.texts);
const settings = { blockSize: 64, batchSize: 4, epochs: 2, seed: 11 };

const nodePool = (size = 2): TokenizerPoolFactory => (tables) => createNodeTokenizerPool(tables, { size });

/** A worker that dies as soon as it starts. */
function crashingWorker(): PoolWorker {
  return {
    send() {},
    listen: (_onReply, onCrash) => void setTimeout(() => onCrash('out of memory')),
    terminate() {},
  };
}

describe('TrainingSession.prepare tokenizes with a worker pool, or on one thread', () => {
  it('gives the same corpus with a pool of worker_threads as on one thread, with progress up to the total', async () => {
    const one = await loaded();
    await one.send({ type: 'prepare', accounts, settings });
    const pooled = await loaded(nodePool(2));
    await pooled.send({ type: 'prepare', accounts, settings });

    expect(pooled.failures()).toEqual([]);
    const [a, b] = [one.prepared(), pooled.prepared()];
    expect(a.length).toBe(1);
    expect(b.length).toBe(1);
    expect(a[0].tokenized).toMatchObject({ texts: allTexts.length, workers: 0 });
    expect(b[0].tokenized).toMatchObject({ texts: allTexts.length, workers: 2 });
    expect(b[0].sizes).toEqual(a[0].sizes);
    expect(b[0].sizes.epochs[0].tweets).toBeGreaterThan(1000);

    const tokens = allTexts.reduce((n, t) => n + tok.encode(t).length, 0);
    for (const { of } of [one, pooled]) {
      const progress = of('prepare-progress');
      expect(progress.length).toBeGreaterThanOrEqual(1);
      for (let i = 1; i < progress.length; i++) expect(progress[i].texts).toBeGreaterThan(progress[i - 1].texts);
      expect(progress.at(-1)).toMatchObject({ texts: allTexts.length, totalTexts: allTexts.length, tokens });
    }
    // Progress comes before the reply, not after.
    const replied = pooled.messages.findIndex((m) => m.type === 'reply' && m.request === 'prepare');
    expect(replied).toBeGreaterThan(pooled.messages.findLastIndex((m) => m.type === 'prepare-progress'));
  });

  it('falls back to one thread, same corpus, when making the pool throws or its workers crash', async () => {
    const one = await loaded();
    await one.send({ type: 'prepare', accounts, settings });
    const expected = one.prepared()[0].sizes;

    const throwing = await loaded(() => {
      throw new Error('Worker is not defined');
    });
    const crashing = await loaded((tables) => new TokenizerPool(crashingWorker, tables, { size: 2 }));
    for (const s of [throwing, crashing]) {
      await s.send({ type: 'prepare', accounts, settings });
      expect(s.failures()).toEqual([]);
      expect(s.prepared()[0].tokenized.workers).toBe(0);
      expect(s.prepared()[0].sizes).toEqual(expected);
      expect(s.of('prepare-progress').at(-1)).toMatchObject({ texts: allTexts.length, totalTexts: allTexts.length });
    }
  });

  it('a newer prepare aborts the one still tokenizing; it replies superseded, the newest with the sizes', async () => {
    const small = [{ username: 'alice', texts: accounts[0].texts.slice(0, 50) }];
    const ref = await loaded();
    await ref.send({ type: 'prepare', accounts: small, settings: { ...settings, blockSize: 32 } });
    const expected = ref.prepared()[0].sizes;

    const outcomes: string[] = [];
    const spied: TokenizerPoolFactory = (tables) => {
      const pool = createNodeTokenizerPool(tables, { size: 2 });
      return {
        size: pool.size,
        terminate: () => pool.terminate(),
        encodeAll: (texts, opts) =>
          pool.encodeAll(texts, opts).then(
            (ids) => (outcomes.push('resolved'), ids),
            (e: Error) => (outcomes.push(e.name), Promise.reject(e)),
          ),
      };
    };
    for (const factory of [spied, undefined]) {
      const s = await loaded(factory);
      const first = s.send({ type: 'prepare', accounts, settings });
      const second = s.send({ type: 'prepare', accounts: small, settings: { ...settings, blockSize: 32 } });
      const [r1, r2] = await Promise.all([first, second]);
      // Two requests of one kind, told apart by their ids.
      expect([r1.ok, r2.ok, r1.id !== r2.id]).toEqual([false, true, true]);
      expect(s.failures()).toEqual([`prepare: ${PREPARE_SUPERSEDED}`]);
      expect(s.prepared().length).toBe(1);
      expect(s.prepared()[0].sizes).toEqual(expected);
      expect(s.prepared()[0].config.blockSize).toBe(32);
      // The pool drops the first prepare's chunks at once (one thread may have finished it in its first slice).
      if (factory) expect(s.of('prepare-progress').some((p) => p.totalTexts === allTexts.length && p.texts === allTexts.length)).toBe(false);
    }
    expect(outcomes).toEqual(['AbortError', 'resolved']);
  });

  it('makes the pool when a model loads (its workers warm up before the data comes), one per model, and stops it on dispose', async () => {
    let made = 0, stopped = 0;
    const counting: TokenizerPoolFactory = () => {
      made++;
      return {
        size: 1,
        terminate: () => void stopped++,
        encodeAll: async (texts) => [encodePacked(tok, texts)],
      };
    };
    const s = await loaded(counting);
    expect([made, stopped]).toEqual([1, 0]);
    const small = [{ username: 'alice', texts: accounts[0].texts.slice(0, 40) }];
    await s.send({ type: 'prepare', accounts: small, settings });
    await s.send({ type: 'prepare', accounts: small, settings });
    expect([made, stopped]).toEqual([1, 0]);
    s.session.useFiles(files, 'fixture://tiny-again');
    expect([made, stopped]).toEqual([2, 1]);
    await s.send({ type: 'prepare', accounts: small, settings });
    expect([made, stopped]).toEqual([2, 1]);
    expect(s.prepared().map((p) => p.tokenized.workers)).toEqual([1, 1, 1]);
    s.session.dispose();
    expect(stopped).toBe(2);
  });
});
