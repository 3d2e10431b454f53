// The training corpus, built the way huggingtweets built it:
//   - validation: 10% of each account's kept tweets, held out once (seeded) before upsampling;
//   - per epoch, each account's training tweets are shuffled (seeded by epoch and account)
//     and upsampled, by cycling through fresh shuffles, to the largest account's character
//     count, so a 70-tweet account weighs as much as a 1,000-tweet one;
//   - the epoch's tweets are shuffled together and joined with <|endoftext|> (50256), which
//     also opens and closes the stream, then cut into blocks of block_size + 1 tokens with a
//     stride of block_size (inputs = block[0:T], targets = block[1:T+1]), so every token of
//     the stream is predicted exactly once.
// Everything derives from (seed, epoch), so the sizes are known before training and a data
// position (epoch, step) is all a checkpoint needs to resume exactly.
import type { Dataset } from './types.ts';
import { mixSeed, mulberry32 } from '../rng.ts';

export const EOT_ID = 50256;

/** One account's training material: its kept tweets as token ids, with their lengths in characters. */
export interface CorpusAccount {
  username: string;
  tweets: { ids: ArrayLike<number>; chars: number }[];
}

export interface CorpusOptions {
  blockSize: number; // T: tokens of context per block
  batchSize: number; // B: blocks per micro-batch
  gradAccum?: number; // micro-batches per optimizer step (1)
  epochs: number;
  seed: number;
  valFraction?: number; // share of each account's tweets held out for validation (0.1)
  eotId?: number; // 50256
}

export interface CorpusSizes {
  tweets: { train: number; validation: number };
  /** Per epoch: tokens of the packed stream (upsampled), blocks and optimizer steps. */
  epochs: { tweets: number; tokens: number; blocks: number; steps: number }[];
  totalSteps: number;
  /** Tokens seen per optimizer step: B * T * gradAccum. */
  tokensPerStep: number;
  validation: { tokens: number; blocks: number };
}

/** Where the data stands: the next optimizer step to run is `step` of `epoch`. */
export interface DataPosition {
  epoch: number;
  step: number;
}

/** Characters as Python's len() counts them (code points), so upsampling matches huggingtweets. */
export function charCount(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xdc00 || c > 0xdfff) n++; // count each code point once: skip low surrogates
  }
  return n;
}

/** Groups a dataset's kept tweets by account, in dataset order (the texts to tokenize). */
export function keptTextsByAccount(dataset: Dataset): { username: string; texts: string[] }[] {
  const by = new Map<string, string[]>();
  for (const u of dataset.users) by.set(u.username, []);
  const { tweets } = dataset;
  for (let i = 0; i < tweets.length; i++) {
    if (tweets.reason(i) !== 'kept') continue;
    const username = tweets.username(i);
    let list = by.get(username);
    if (!list) by.set(username, (list = []));
    list.push(tweets.text(i));
  }
  return [...by].map(([username, texts]) => ({ username, texts })).filter((a) => a.texts.length > 0);
}

/** Builds corpus accounts from texts and their token ids (same order). */
export function corpusAccounts(groups: { username: string; texts: string[] }[], ids: ArrayLike<number>[][]): CorpusAccount[] {
  return groups.map((g, a) => ({
    username: g.username,
    tweets: g.texts.map((text, i) => ({ ids: ids[a][i], chars: charCount(text) })),
  }));
}

// The shuffles draw from the project's RNG (mulberry32); seeds are mixed with splitmix32-style
// hashing so that (seed, epoch, account) streams do not overlap.
export { mixSeed };

/** Fisher-Yates, in place. */
export function shuffle<T>(a: T[], rand: () => number): T[] {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

// Purposes mixed into seeds, so the split and the epochs draw from separate streams.
const SPLIT = 1;
const EPOCH = 2;
const MIX = 3;

type TweetRef = { a: number; i: number }; // account index, tweet index within the account

export class Corpus {
  readonly opts: Required<CorpusOptions>;
  readonly sizes: CorpusSizes;
  private readonly accounts: CorpusAccount[];
  private readonly train: number[][]; // per account: indices of training tweets
  private readonly valRefs: TweetRef[];
  private cached: { epoch: number; stream: Int32Array } | null = null;

  constructor(accounts: CorpusAccount[], opts: CorpusOptions) {
    this.opts = { gradAccum: 1, valFraction: 0.1, eotId: EOT_ID, ...opts };
    const { blockSize, batchSize, gradAccum, epochs } = this.opts;
    if (!(blockSize >= 1 && batchSize >= 1 && gradAccum >= 1 && epochs >= 1)) {
      throw new Error('corpus: block size, batch size, accumulation and epochs must all be at least 1');
    }
    this.accounts = accounts.filter((acc) => acc.tweets.length > 0);
    if (this.accounts.length === 0) {
      throw new Error('No kept tweets to train on: every tweet is a retweet or a short one. Drop another archive, or try the other counting rule.');
    }

    // The validation split happens once, before any upsampling, so no validation tweet is ever trained on.
    this.train = [];
    this.valRefs = [];
    this.accounts.forEach((acc, a) => {
      const order = shuffle([...acc.tweets.keys()], mulberry32(mixSeed(this.opts.seed, SPLIT, a)));
      let nVal = Math.round(acc.tweets.length * this.opts.valFraction);
      if (nVal >= acc.tweets.length) nVal = acc.tweets.length - 1; // keep at least one tweet to train on
      for (const i of order.slice(0, nVal)) this.valRefs.push({ a, i });
      this.train.push(order.slice(nVal));
    });

    const perEpoch = [];
    for (let e = 0; e < epochs; e++) {
      const refs = this.epochRefs(e);
      const tokens = this.streamLength(refs);
      const blocks = Math.floor((tokens - 1) / blockSize);
      if (blocks < 1) {
        // A block of T trains on T + 1 tokens (the last one is only a target).
        throw new Error(
          tokens < 2
            ? `The kept tweets make ${tokens} token${tokens === 1 ? '' : 's'} to train on: too few. Drop more archives.`
            : `The kept tweets make ${tokens} tokens to train on, too few for one block of ${blockSize}: set Block size to ${tokens - 1} or less, or drop more archives.`,
        );
      }
      perEpoch.push({ tweets: refs.length, tokens, blocks, steps: Math.ceil(blocks / (batchSize * gradAccum)) });
    }
    const valTokens = this.valRefs.length ? this.streamLength(this.valRefs) : 0;
    this.sizes = {
      tweets: { train: this.train.reduce((s, t) => s + t.length, 0), validation: this.valRefs.length },
      epochs: perEpoch,
      totalSteps: perEpoch.reduce((s, e) => s + e.steps, 0),
      tokensPerStep: blockSize * batchSize * gradAccum,
      validation: { tokens: valTokens, blocks: this.validationBlocks().length },
    };
  }

  /** The tweets of epoch `e`, upsampled per account and shuffled together. */
  private epochRefs(e: number): TweetRef[] {
    const chars = (a: number, i: number) => this.accounts[a].tweets[i].chars;
    const totals = this.train.map((idx, a) => idx.reduce((s, i) => s + chars(a, i), 0));
    const target = Math.max(...totals);
    const refs: TweetRef[] = [];
    this.train.forEach((idx, a) => {
      if (idx.length === 0) return;
      const rand = mulberry32(mixSeed(this.opts.seed, EPOCH, e, a));
      // Cycle through fresh shuffles until this account has as many characters as the largest.
      let have = 0;
      do {
        for (const i of shuffle([...idx], rand)) {
          refs.push({ a, i });
          have += chars(a, i);
          if (have >= target) break;
        }
      } while (have < target && totals[a] > 0);
    });
    return shuffle(refs, mulberry32(mixSeed(this.opts.seed, MIX, e)));
  }

  private streamLength(refs: TweetRef[]): number {
    let n = 1; // the opening <|endoftext|>
    for (const r of refs) n += this.accounts[r.a].tweets[r.i].ids.length + 1;
    return n;
  }

  /** <|endoftext|> t1 <|endoftext|> t2 ... tn <|endoftext|> */
  private pack(refs: TweetRef[]): Int32Array {
    const out = new Int32Array(this.streamLength(refs));
    let p = 0;
    out[p++] = this.opts.eotId;
    for (const r of refs) {
      const ids = this.accounts[r.a].tweets[r.i].ids;
      for (let k = 0; k < ids.length; k++) out[p++] = ids[k];
      out[p++] = this.opts.eotId;
    }
    return out;
  }

  /** The packed token stream of epoch `e` (the last one asked for is cached). */
  epochStream(e: number): Int32Array {
    if (this.cached?.epoch !== e) this.cached = { epoch: e, stream: this.pack(this.epochRefs(e)) };
    return this.cached.stream;
  }

  /**
   * Micro-batch `micro` of optimizer step `pos.step` in epoch `pos.epoch`: B rows of T+1 tokens,
   * row-major [B, T+1]. The epoch's last step wraps to its first blocks to fill its batch, so
   * every step has the same shape (WebGPU compiles one set of shaders).
   */
  batch(pos: DataPosition, micro = 0): Int32Array {
    const { blockSize: T, batchSize: B, gradAccum } = this.opts;
    const stream = this.epochStream(pos.epoch);
    const blocks = this.sizes.epochs[pos.epoch].blocks;
    const out = new Int32Array(B * (T + 1)); // [B, T+1]
    for (let b = 0; b < B; b++) {
      const k = ((pos.step * gradAccum + micro) * B + b) % blocks;
      out.set(stream.subarray(k * T, k * T + T + 1), b * (T + 1));
    }
    return out;
  }

  /** The position of global optimizer step `globalStep` (0-based); epoch === epochs at the end. */
  locate(globalStep: number): DataPosition {
    let s = globalStep;
    for (let e = 0; e < this.sizes.epochs.length; e++) {
      if (s < this.sizes.epochs[e].steps) return { epoch: e, step: s };
      s -= this.sizes.epochs[e].steps;
    }
    return { epoch: this.sizes.epochs.length, step: 0 };
  }

  /**
   * Validation blocks: the held-out tweets packed like an epoch (no upsampling), full blocks of
   * T+1 tokens, plus the shorter tail so every validation token counts. Each entry is one row.
   */
  validationBlocks(): Int32Array[] {
    if (this.valRefs.length === 0) return [];
    const T = this.opts.blockSize;
    const stream = this.pack(this.valRefs);
    const out: Int32Array[] = [];
    for (let start = 0; start + 1 < stream.length; start += T) {
      out.push(stream.slice(start, Math.min(start + T + 1, stream.length)));
    }
    return out;
  }
}
