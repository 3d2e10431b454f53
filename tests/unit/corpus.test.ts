import { describe, it, expect } from 'vitest';
import { Corpus, charCount, keptTextsByAccount, corpusAccounts, type CorpusAccount } from '../../src/lib/dataset/corpus';
import type { Dataset } from '../../src/lib/dataset/types';
import { DatasetTweets } from '../../src/lib/dataset/tweet-rows';

const EOT = 50256;

// Three accounts of very different sizes; each tweet's ids encode (account, tweet, position)
// so the tests can tell exactly which tweet a token came from.
function accounts(): CorpusAccount[] {
  const sizes = [40, 12, 3];
  return sizes.map((n, a) => ({
    username: `user${a}`,
    tweets: Array.from({ length: n }, (_, i) => {
      const len = 2 + ((i * 7 + a) % 5);
      return { ids: Array.from({ length: len }, (_, k) => a * 10000 + i * 10 + k), chars: len * 4 };
    }),
  }));
}

/** Splits a packed stream back into tweets (by the separators). */
function tweetsOf(stream: Int32Array): number[][] {
  expect(stream[0]).toBe(EOT);
  expect(stream[stream.length - 1]).toBe(EOT);
  const out: number[][] = [];
  let cur: number[] = [];
  for (const id of stream.subarray(1)) {
    if (id === EOT) {
      out.push(cur);
      cur = [];
    } else cur.push(id);
  }
  return out;
}

const key = (ids: number[]) => Math.floor(ids[0] / 10); // account*1000 + tweet

describe('Corpus (huggingtweets packing)', () => {
  const opts = { blockSize: 8, batchSize: 2, epochs: 3, seed: 7 };

  it('holds out 10% of each account before upsampling, never trained on', () => {
    const c = new Corpus(accounts(), opts);
    expect(c.sizes.tweets).toEqual({ train: 36 + 11 + 3, validation: 4 + 1 + 0 });
    const val = new Set<number>();
    for (const block of c.validationBlocks()) for (const id of block) if (id !== EOT) val.add(Math.floor(id / 10));
    expect(val.size).toBe(5);
    for (let e = 0; e < 3; e++) for (const t of tweetsOf(c.epochStream(e))) expect(val.has(key(t))).toBe(false);
  });

  it('upsamples every account to the largest account character count, whole tweets', () => {
    const acc = accounts();
    const c = new Corpus(acc, opts);
    const trainChars = [0, 0, 0];
    const trainSets = [new Set<number>(), new Set<number>(), new Set<number>()];
    for (const t of tweetsOf(c.epochStream(0))) trainSets[Math.floor(t[0] / 10000)].add(key(t));
    // The largest account appears exactly once per tweet.
    const counts = new Map<number, number>();
    const perAccount = [0, 0, 0];
    for (const t of tweetsOf(c.epochStream(1))) {
      const a = Math.floor(t[0] / 10000);
      const tw = acc[a].tweets[Math.floor((t[0] % 10000) / 10)];
      expect(t).toEqual(Array.from(tw.ids)); // whole tweets, never cut
      perAccount[a] += tw.chars;
      counts.set(key(t), (counts.get(key(t)) ?? 0) + 1);
    }
    for (const a of [0, 1, 2]) for (const k of trainSets[a]) trainChars[a] += acc[a].tweets[k % 1000].chars;
    const target = trainChars[0];
    expect(perAccount[0]).toBe(target);
    const maxTweet = 6 * 4;
    for (const a of [1, 2]) {
      expect(perAccount[a]).toBeGreaterThanOrEqual(target);
      expect(perAccount[a]).toBeLessThan(target + maxTweet);
    }
    for (const k of trainSets[0]) expect(counts.get(k)).toBe(1);
    // The 3-tweet account is repeated many times; its tweets stay balanced (fresh shuffles per cycle).
    const small = [...trainSets[2]].map((k) => counts.get(k)!);
    expect(Math.max(...small) - Math.min(...small)).toBeLessThanOrEqual(1);
  });

  it('shuffles differently per epoch, identically for the same seed', () => {
    const a = new Corpus(accounts(), opts);
    const b = new Corpus(accounts(), opts);
    expect(a.epochStream(0)).toEqual(b.epochStream(0));
    expect(a.epochStream(2)).toEqual(b.epochStream(2));
    expect(Array.from(a.epochStream(0))).not.toEqual(Array.from(a.epochStream(1)));
    const other = new Corpus(accounts(), { ...opts, seed: 8 });
    expect(Array.from(other.epochStream(0))).not.toEqual(Array.from(a.epochStream(0)));
  });

  it('packs blocks of T+1 with stride T: every stream token is a target exactly once', () => {
    const c = new Corpus(accounts(), opts);
    const T = opts.blockSize;
    const e = c.sizes.epochs[0];
    const stream = c.epochStream(0);
    expect(e.tokens).toBe(stream.length);
    expect(e.blocks).toBe(Math.floor((stream.length - 1) / T));
    expect(e.steps).toBe(Math.ceil(e.blocks / 2));
    const targets: number[] = [];
    for (let s = 0; s < e.steps; s++) {
      const batch = c.batch({ epoch: 0, step: s });
      expect(batch.length).toBe(2 * (T + 1));
      for (let b = 0; b < 2; b++) {
        const row = batch.subarray(b * (T + 1), (b + 1) * (T + 1));
        if (s * 2 + b < e.blocks) targets.push(...row.subarray(1));
        else expect(row).toEqual(c.batch({ epoch: 0, step: 0 }).subarray(0, T + 1)); // wrapped fill
      }
    }
    expect(targets).toEqual(Array.from(stream.subarray(1, 1 + e.blocks * T)));
  });

  it('accumulation groups micro-batches into steps; locate maps global steps back', () => {
    const c = new Corpus(accounts(), { ...opts, gradAccum: 3 });
    const e0 = c.sizes.epochs[0];
    expect(e0.steps).toBe(Math.ceil(e0.blocks / 6));
    expect(c.sizes.tokensPerStep).toBe(8 * 2 * 3);
    expect(c.sizes.totalSteps).toBe(c.sizes.epochs.reduce((s, x) => s + x.steps, 0));
    const plain = new Corpus(accounts(), opts);
    // micro-batch 1 of step 0 is the same blocks as step 1 without accumulation.
    expect(c.batch({ epoch: 0, step: 0 }, 1)).toEqual(plain.batch({ epoch: 0, step: 1 }));
    expect(c.locate(e0.steps)).toEqual({ epoch: 1, step: 0 });
    expect(c.locate(e0.steps - 1)).toEqual({ epoch: 0, step: e0.steps - 1 });
    expect(c.locate(c.sizes.totalSteps)).toEqual({ epoch: 3, step: 0 });
  });

  it('validation covers every held-out token once, tail included', () => {
    const c = new Corpus(accounts(), opts);
    const blocks = c.validationBlocks();
    const preds = blocks.reduce((s, b) => s + b.length - 1, 0);
    expect(preds).toBe(c.sizes.validation.tokens - 1);
    expect(blocks.every((b) => b.length <= 9 && b.length >= 2)).toBe(true);
  });

  it('refuses a corpus shorter than one block, or with nothing kept, with a message that says what to do', () => {
    // One tweet of two ids between separators: 4 tokens, so a block of 3 at most (3 inputs, and 1 more target).
    const tiny = [{ username: 'a', tweets: [{ ids: [1, 2], chars: 2 }] }];
    expect(() => new Corpus(tiny, { ...opts, valFraction: 0, blockSize: 256 })).toThrow(
      'The kept tweets make 4 tokens to train on, too few for one block of 256: set Block size to 3 or less, or drop more archives.',
    );
    expect(new Corpus(tiny, { ...opts, valFraction: 0, blockSize: 3 }).sizes.epochs[0].blocks).toBe(1);
    expect(() => new Corpus(tiny, { ...opts, valFraction: 0, blockSize: 4 })).toThrow(/set Block size to 3 or less/);
    expect(() => new Corpus([], opts)).toThrow(/^No kept tweets to train on: every tweet is a retweet or a short one\./);
  });

  it('counts characters as code points and groups kept tweets by account', () => {
    expect(charCount('héllo 😀')).toBe(7);
    const ds: Dataset = {
      rule: 'multilingual',
      excludeReplies: false,
      users: [
        { username: 'a', displayName: 'A', downloaded: 2, retweets: 0, short: 1, kept: 1, replies: 0 },
        { username: 'b', displayName: 'B', downloaded: 1, retweets: 0, short: 0, kept: 1, replies: 0 },
      ],
      tweets: DatasetTweets.from([
        { id: '1', username: 'a', createdAt: '', fullText: 'keep me  please https://t.co/x', reason: 'kept' },
        { id: '2', username: 'a', createdAt: '', fullText: 'no', reason: 'short' },
        { id: '3', username: 'b', createdAt: '', fullText: 'b says hi', reason: 'kept' },
      ]),
    };
    const groups = keptTextsByAccount(ds);
    expect(groups).toEqual([
      { username: 'a', texts: ['keep me please'] },
      { username: 'b', texts: ['b says hi'] },
    ]);
    const acc = corpusAccounts(groups, [[[1, 2, 3]], [[4, 5]]]);
    expect(acc[0].tweets[0]).toEqual({ ids: [1, 2, 3], chars: 14 });
  });
});
