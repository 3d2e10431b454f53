// Warming a fresh thread's JIT before its first chunk.
//
// A new thread runs the encoder's hot functions in V8's interpreter until they have run enough
// to be compiled, and the compile itself takes ~100 ms of a helper thread per worker (encodeInto,
// the two merges, the cache's find and add). A pool of n workers splits a dataset n ways, so the
// more workers, the more of each one's share runs in slow code. A worker that encodes a sample
// while it waits for data has that behind it when the data comes: on 2 cores, a 0.3 MB dataset
// sent to 2 workers a second after they started took 44-59 ms instead of 73-80, 4 MB 111-125
// instead of 174-222.
//
// The sample goes in slices, between which the worker reads its messages, and the first chunk
// of data ends it (that chunk warms the code from there on): a pool sent data at once pays one
// slice, not the whole sample. The page starts the pool when a model loads, ahead of the data.
//
// The sample is encoded with a throwaway tokenizer: the worker's own cache starts empty, so the
// dataset's merges are all still done, and counted, for the dataset.
import type { ByteLevelBPE, TokenizerTables } from './byte-level-bpe.ts';
import { tokenizerFromTables } from './from-tables.ts';
import { encodePacked } from './packed-ids.ts';

/** Characters a pool's workers encode while they wait for data (~100 ms each on one core). */
export const WARM_UP_CHARS = 100_000;
/** Texts per slice: a few ms of cold code. */
const SLICE_TEXTS = 16;

/**
 * About `chars` characters of texts that take every path of the encoder: the vocabulary's own
 * tokens, drawn in a fixed scrambled order and joined 24 at a time (words, numbers, spaces,
 * newlines, punctuation, pieces of multi-byte characters, many distinct pieces to merge), and
 * in every eighth text a run of 40 CJK characters, a piece long enough for the heap merge.
 */
export function warmUpTexts(tok: ByteLevelBPE, chars: number): string[] {
  const texts: string[] = [];
  let state = 1; // Park-Miller: the same texts on every thread and every run
  const next = (): number => (state = (state * 48271) % 2147483647);
  for (let total = 0; total < chars; ) {
    const ids: number[] = [];
    while (ids.length < 24) {
      const id = next() % tok.vocabSize;
      if (id !== tok.eotId && tok.tables.tokenLengths[id] >= 0) ids.push(id);
    }
    let text = tok.decode(ids);
    if (texts.length % 8 === 0) {
      for (let k = 0; k < 40; k++) text += String.fromCharCode(0x4e00 + (next() % 20_000));
    }
    texts.push(text);
    total += text.length;
  }
  return texts;
}

/**
 * The sample, encoded a slice at a time by a tokenizer of its own made from `tables`. Both are
 * made at the first slice, so a worker sent data at once never pays for them.
 */
export class WarmUp {
  private tok: ByteLevelBPE | undefined;
  private texts: string[] = [];
  private next = 0;

  constructor(
    private readonly tables: TokenizerTables,
    private readonly chars = WARM_UP_CHARS,
  ) {}

  /** Encodes the next slice; false once the whole sample is done. */
  step(): boolean {
    if (!this.tok) {
      this.tok = tokenizerFromTables(this.tables);
      this.texts = warmUpTexts(this.tok, this.chars);
    }
    const end = Math.min(this.texts.length, this.next + SLICE_TEXTS);
    encodePacked(this.tok, this.texts.slice(this.next, end));
    this.next = end;
    return end < this.texts.length;
  }
}
