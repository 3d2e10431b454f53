/**
 * What every byte-level BPE tokenizer here shares, whatever cuts its text into pieces: steps 2
 * and 3 of bpe.ts' pipeline (a piece's UTF-8 bytes as single-byte tokens, then merges by rank),
 * the merge cache, ids -> bytes -> text. GPT2Tokenizer (bpe.ts, vocab.json + merges.txt) and
 * TokenizerJsonBPE (tokenizer-json.ts, a Hugging Face tokenizer.json) differ only in step 1,
 * the pre-tokenizer, and in where their tables come from.
 */

import { HeapMerger } from './heap-merge.ts';
import { IdBuffer } from './id-buffer.ts';
import { NO_MERGE, PairRanks } from './pair-ranks.ts';
import type { PipelineSpec } from './pipeline.ts';
import { PieceCache } from './piece-cache.ts';

/**
 * Everything a tokenizer uses, as typed arrays and plain data. Parsing the model's files takes
 * 0.1-1 s; a pool builds these tables once and posts them to each worker, which builds the same
 * tokenizer from them in a few ms (structured clone copies typed arrays as plain memory).
 */
export interface TokenizerTables {
  /** The id of the end-of-text token, the separator the corpus inserts between tweets. */
  eotId: number;
  /** byte value -> id of its single-byte token (256 entries) */
  byteIds: Int32Array;
  /** the merges in rank order: merge r is [left id, right id, merged id] at 3r .. 3r + 2 */
  merges: Int32Array;
  /** id -> how many bytes the token stands for; -1 where the vocabulary has no such id (vocabSize entries) */
  tokenLengths: Int32Array;
  /** every token's bytes, back to back in id order */
  tokenBytes: Uint8Array;
  /**
   * A tokenizer.json's normalizer and pre-tokenizers (pipeline.ts); absent: GPT-2's, from
   * vocab.json + merges.txt (the pool carries both kinds in this one type).
   */
  pipeline?: PipelineSpec;
}

/**
 * Pieces of more UTF-8 bytes than this merge through a heap. Measured on the distinct pieces of
 * 8 MB of tweets: the heap halves the time of pieces over 32 bytes; under 16 the loop is faster.
 */
const LONG_PIECE = 24;

export abstract class ByteLevelBPE {
  /** The end-of-text id (50256 for GPT-2, 151643 for Qwen2.5): the separator the corpus inserts between tweets. */
  readonly eotId: number;
  /** Number of ids: the largest id in the vocabulary + 1 (50257 for GPT-2). */
  readonly vocabSize: number;
  /** What this tokenizer was built from: post it to a worker and build it there (tokenizerFromTables). */
  readonly tables: TokenizerTables;
  /** Pieces merged so far (merge cache misses). */
  merges = 0;

  /** byte value -> id of its single-byte token */
  private readonly byteIds: Int32Array;
  /** id -> the bytes the token stands for (views into tables.tokenBytes) */
  private readonly tokenBytes: Uint8Array[];
  /** pair of ids (a, b) -> merge rank (its place in the merges, 0 = first); no string keys */
  private readonly mergeRanks: PairRanks;
  /** merge rank -> id of the merged token */
  private readonly mergeIds: Int32Array;
  /** piece -> its ids: the merge cache (tweets repeat a small set of words) */
  private readonly cache = new PieceCache();
  /** Where encode() collects ids before copying them out. */
  private readonly out = new IdBuffer();
  // ignoreBOM: a leading U+FEFF is text, not a byte-order mark to strip.
  private readonly utf8Decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly heapMerger = new HeapMerger();
  /** Scratch for merge(): a piece's tokens while merging, their pair ranks. */
  private parts = new Int32Array(256);
  private ranks = new Int32Array(256);

  protected constructor(tables: TokenizerTables) {
    this.tables = tables;
    this.eotId = tables.eotId;
    this.vocabSize = tables.tokenLengths.length;
    this.byteIds = tables.byteIds;
    this.tokenBytes = new Array(this.vocabSize);
    for (let id = 0, at = 0; id < this.vocabSize; id++) {
      const n = tables.tokenLengths[id];
      if (n < 0) continue;
      this.tokenBytes[id] = tables.tokenBytes.subarray(at, at + n);
      at += n;
    }
    const mergeCount = tables.merges.length / 3;
    this.mergeIds = new Int32Array(mergeCount);
    this.mergeRanks = new PairRanks(mergeCount);
    for (let rank = 0; rank < mergeCount; rank++) {
      this.mergeRanks.set(tables.merges[3 * rank], tables.merges[3 * rank + 1], rank); // the first listing wins
      this.mergeIds[rank] = tables.merges[3 * rank + 2];
    }
  }

  /** Appends the ids of `text` to `out`; returns how many it appended. */
  abstract encodeInto(text: string, out: IdBuffer): number;

  /** Text in, ids out. */
  encode(text: string): number[] {
    const out = this.out;
    out.length = 0;
    this.encodeInto(text, out);
    const ids: number[] = new Array(out.length);
    for (let i = 0; i < ids.length; i++) ids[i] = out.ids[i];
    return ids;
  }

  /** Appends the ids of the piece text[start .. end) to `out`, from the merge cache or merged now. */
  protected encodePiece(text: string, start: number, end: number, out: IdBuffer): void {
    const cache = this.cache;
    let rec = cache.find(text, start, end);
    if (rec < 0) {
      const count = this.merge(text, start, end); // may grow this.parts: read it after
      this.merges++;
      rec = cache.add(text, start, end, this.parts, count);
    }
    const a = cache.from(rec), b = cache.to(rec);
    out.reserve(b - a);
    const ids = cache.ids, dest = out.ids;
    for (let i = a, j = out.length; i < b; i++, j++) dest[j] = ids[i];
    out.length += b - a;
  }

  /** One piece (a match of the pattern) in, its ids out: steps 2 and 3 above, uncached. */
  bpe(piece: string): number[] {
    return Array.from(this.parts.subarray(0, this.merge(piece, 0, piece.length)));
  }

  /** Steps 2 and 3 for the piece text[start .. end): leaves its ids in parts[0 .. n) and returns n. */
  private merge(text: string, start: number, end: number): number {
    // Step 2: the piece's UTF-8 bytes, as the ids of single-byte tokens. A lone surrogate
    // becomes U+FFFD's bytes, as TextEncoder (and so every peer) makes it.
    const m = end - start;
    if (this.parts.length < m * 3) this.grow(m * 3);
    const parts = this.parts, ranks = this.ranks, byteIds = this.byteIds;
    let n = 0;
    for (let i = start; i < end; i++) {
      let c = text.charCodeAt(i);
      if (c < 0x80) {
        parts[n++] = byteIds[c];
        continue;
      }
      if (c < 0x800) {
        parts[n++] = byteIds[0xc0 | (c >> 6)];
      } else {
        if (c >= 0xd800 && c < 0xe000) {
          const low = c < 0xdc00 && i + 1 < end ? text.charCodeAt(i + 1) : 0;
          if (low >= 0xdc00 && low < 0xe000) {
            c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00);
            i++;
            parts[n++] = byteIds[0xf0 | (c >> 18)];
            parts[n++] = byteIds[0x80 | ((c >> 12) & 0x3f)];
          } else {
            c = 0xfffd;
          }
        }
        if (c < 0x10000) {
          parts[n++] = byteIds[0xe0 | (c >> 12)];
        }
        parts[n++] = byteIds[0x80 | ((c >> 6) & 0x3f)];
      }
      parts[n++] = byteIds[0x80 | (c & 0x3f)];
    }

    // Step 3: ranks[i] is the rank of the pair (parts[i], parts[i + 1]). Merge the lowest
    // (leftmost on a tie), shift the rest left by one, and re-rank only the merged token's
    // two pairs: O(n^2) number moves at worst, in reused typed arrays, no string building.
    // Merging one pair at a time gives encoder.py's result because a merge that uses a token
    // always ranks after the merge that made it. Long pieces take the same steps through a heap
    // (heap-merge.ts), where the scans and shifts would cost more.
    if (n > LONG_PIECE) return this.heapMerger.merge(parts, n, this.mergeRanks, this.mergeIds);
    for (let i = 0; i < n - 1; i++) ranks[i] = this.mergeRanks.get(parts[i], parts[i + 1]);
    while (n > 1) {
      let best = NO_MERGE;
      let at = -1;
      for (let i = 0; i < n - 1; i++) {
        if (ranks[i] < best) {
          best = ranks[i];
          at = i;
        }
      }
      if (at < 0) break;
      parts[at] = this.mergeIds[best];
      for (let i = at + 1; i < n - 1; i++) parts[i] = parts[i + 1];
      for (let i = at; i < n - 2; i++) ranks[i] = ranks[i + 1];
      n--;
      if (at > 0) ranks[at - 1] = this.mergeRanks.get(parts[at - 1], parts[at]);
      if (at < n - 1) ranks[at] = this.mergeRanks.get(parts[at], parts[at + 1]);
    }
    return n;
  }

  /** Room for pieces of up to `bytes` UTF-8 bytes in the scratch arrays. */
  private grow(bytes: number): void {
    this.parts = new Int32Array(bytes);
    this.ranks = new Int32Array(bytes);
  }

  /** The bytes token `id` stands for (a view: do not modify). */
  bytesOf(id: number): Uint8Array {
    const bytes = this.tokenBytes[id];
    if (bytes === undefined) throw new RangeError(`token id ${id} is not in the vocabulary (0..${this.vocabSize - 1})`);
    return bytes;
  }

  /** Ids in, text out. Bytes that are not valid UTF-8 (a cut character) become U+FFFD. */
  decode(ids: ArrayLike<number>): string {
    let total = 0;
    for (let i = 0; i < ids.length; i++) total += this.bytesOf(ids[i]).length;
    const buf = new Uint8Array(total);
    let at = 0;
    for (let i = 0; i < ids.length; i++) {
      const bytes = this.tokenBytes[ids[i]];
      buf.set(bytes, at);
      at += bytes.length;
    }
    return this.utf8Decoder.decode(buf);
  }
}

/** Whether `tables` fit together (ids in range, lengths adding up); the readable reason when not. */
export function tablesProblem(tables: TokenizerTables): string | undefined {
  const { eotId, byteIds, merges, tokenLengths, tokenBytes } = tables;
  const vocabSize = tokenLengths.length;
  let bytes = 0;
  for (const n of tokenLengths) bytes += Math.max(0, n);
  const badId = (id: number): boolean => !(id >= 0 && id < vocabSize && tokenLengths[id] >= 0);
  if (byteIds.length !== 256 || merges.length % 3 !== 0 || bytes !== tokenBytes.length || badId(eotId) ||
    byteIds.some(badId) || merges.some(badId)) {
    return 'tokenizer tables are inconsistent (not made by a tokenizer\'s .tables)';
  }
  return undefined;
}
