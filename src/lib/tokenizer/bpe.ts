/**
 * GPT-2's byte-level BPE tokenizer, read from a Hugging Face model's own vocab.json +
 * merges.txt. Text goes in, a list of integers comes out, and back.
 *
 * References: OpenAI's gpt-2/src/encoder.py (the original) and Karpathy's minGPT bpe.py
 * (the clearest retelling). The pipeline, top to bottom:
 *
 *   1. pre-tokenize: GPT-2's regex cuts text into pieces (words with their leading space,
 *      numbers, punctuation runs, whitespace runs); BPE never merges across pieces. (In
 *      pretokenize.ts, with the scanner that applies the regex's rule without running it.)
 *   2. bytes: each piece becomes its UTF-8 bytes, each byte a single-byte token.
 *   3. merge: repeatedly merge the adjacent pair that merges.txt ranks lowest (earliest).
 *   4. the ids of the resulting tokens, piece after piece.
 *
 * Worked example (the ids GPT-2 gives; checked in tests/unit/tokenizer-bpe.test.ts):
 *
 *   "I just tweeted about #tweetforge 🎉"
 *   pieces: "I" | " just" | " tweeted" | " about" | " #" | "tweetforge" | " 🎉"
 *   ids:    [40, 655, 10830, 546, 1303, 83, 7277, 30293, 12520, 236, 231]
 *           "tweetforge" -> "t" "weet" "forge"; " 🎉" (bytes 20 F0 9F 8E 89) -> " \xF0" "\x9F\x8E" "\x89"
 *
 * Text is always ordinary text: "<|endoftext|>" typed in a tweet is 7 tokens of characters;
 * the end-of-text id (eotId, 50256) is only ever inserted as an id by the caller.
 */

import { HeapMerger } from './heap-merge.ts';
import { IdBuffer } from './id-buffer.ts';
import { NO_MERGE, PairRanks } from './pair-ranks.ts';
import { PieceCache } from './piece-cache.ts';
import { pieceEnd } from './pretokenize.ts';

// ---------------------------------------------------------------------------------------------
// 2. Bytes as printable characters (how vocab.json and merges.txt spell tokens)

/**
 * GPT-2's `bytes_to_unicode`: each of the 256 bytes as one printable character. Printable
 * Latin-1 bytes stand for themselves; the other 68 (control codes, space, ...) are shifted to
 * U+0100 and up, so the space byte 0x20 is spelled "Ġ" and newline 0x0A is "Ċ".
 */
export function bytesToUnicode(): string[] {
  const table: string[] = new Array(256);
  let shifted = 0;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    table[b] = String.fromCharCode(printable ? b : 256 + shifted++);
  }
  return table;
}

// ---------------------------------------------------------------------------------------------
// 3. The tokenizer

/**
 * Everything the tokenizer uses, as typed arrays. Parsing vocab.json + merges.txt takes
 * ~140 ms; a pool builds these tables once and posts them to each worker, which builds the same
 * tokenizer from them in a few ms (structured clone copies typed arrays as plain memory).
 */
export interface TokenizerTables {
  /** The id of <|endoftext|>. */
  eotId: number;
  /** byte value -> id of its single-byte token (256 entries) */
  byteIds: Int32Array;
  /** merges.txt in rank order: merge r is [left id, right id, merged id] at 3r .. 3r + 2 */
  merges: Int32Array;
  /** id -> how many bytes the token stands for; -1 where vocab.json has no such id (vocabSize entries) */
  tokenLengths: Int32Array;
  /** every token's bytes, back to back in id order */
  tokenBytes: Uint8Array;
}

/**
 * Pieces of more UTF-8 bytes than this merge through a heap. Measured on the distinct pieces of
 * 8 MB of tweets: the heap halves the time of pieces over 32 bytes; under 16 the loop is faster.
 */
const LONG_PIECE = 24;

export class GPT2Tokenizer {
  /** The id of <|endoftext|> (50256 for GPT-2): the separator the corpus inserts between tweets. */
  readonly eotId: number;
  /** Number of ids: the largest id in vocab.json + 1 (50257 for GPT-2). */
  readonly vocabSize: number;
  /** What this tokenizer was built from: post it to a worker and call fromTables there. */
  readonly tables: TokenizerTables;
  /** Pieces merged so far (merge cache misses). */
  merges = 0;

  /** byte value -> id of its single-byte token */
  private readonly byteIds: Int32Array;
  /** id -> the bytes the token stands for (views into tables.tokenBytes) */
  private readonly tokenBytes: Uint8Array[];
  /** pair of ids (a, b) -> merge rank (its place in merges.txt, 0 = first); no string keys */
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

  private constructor(tables: TokenizerTables) {
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

  /** vocab.json + merges.txt (their text, as a Hugging Face GPT-2 folder holds them) -> tokenizer. */
  static fromFiles(vocabJson: string, mergesTxt: string): GPT2Tokenizer {
    let vocab: unknown;
    try {
      vocab = JSON.parse(vocabJson);
    } catch (e) {
      throw new Error(`vocab.json is not JSON: ${(e as Error).message}`);
    }
    if (typeof vocab !== 'object' || vocab === null || Array.isArray(vocab)) {
      throw new Error('vocab.json must be an object mapping tokens to ids');
    }
    const merges: [string, string][] = [];
    for (const line of mergesTxt.split('\n')) {
      const trimmed = line.replace(/\r$/, '');
      if (trimmed === '' || trimmed.startsWith('#version')) continue;
      const parts = trimmed.split(' ');
      if (parts.length !== 2) throw new Error(`merges.txt: expected "left right", got ${JSON.stringify(trimmed)}`);
      merges.push(parts as [string, string]);
    }
    return new GPT2Tokenizer(buildTables(new Map(Object.entries(vocab as Record<string, number>)), merges));
  }

  /** The tables of another tokenizer (e.g. posted to a worker) -> the same tokenizer. */
  static fromTables(tables: TokenizerTables): GPT2Tokenizer {
    const { eotId, byteIds, merges, tokenLengths, tokenBytes } = tables;
    const vocabSize = tokenLengths.length;
    let bytes = 0;
    for (const n of tokenLengths) bytes += Math.max(0, n);
    const badId = (id: number): boolean => !(id >= 0 && id < vocabSize && tokenLengths[id] >= 0);
    if (byteIds.length !== 256 || merges.length % 3 !== 0 || bytes !== tokenBytes.length || badId(eotId) ||
      byteIds.some(badId) || merges.some(badId)) {
      throw new Error('tokenizer tables are inconsistent (not made by GPT2Tokenizer.tables)');
    }
    return new GPT2Tokenizer(tables);
  }

  /** Text in, ids out. */
  encode(text: string): number[] {
    const out = this.out;
    out.length = 0;
    this.encodeInto(text, out);
    const ids: number[] = new Array(out.length);
    for (let i = 0; i < ids.length; i++) ids[i] = out.ids[i];
    return ids;
  }

  /** Appends the ids of `text` to `out`; returns how many it appended. */
  encodeInto(text: string, out: IdBuffer): number {
    const first = out.length;
    const cache = this.cache;
    for (let start = 0; start < text.length; ) {
      const end = pieceEnd(text, start);
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
      start = end;
    }
    return out.length - first;
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

/** vocab.json's map + merges.txt's pairs -> the tables, with a readable error for what does not fit. */
function buildTables(vocab: Map<string, number>, merges: [string, string][]): TokenizerTables {
  let maxId = -1;
  for (const [token, id] of vocab) {
    if (!Number.isInteger(id) || id < 0) throw new Error(`vocab.json: the id of ${JSON.stringify(token)} is not a whole number >= 0`);
    maxId = Math.max(maxId, id);
  }
  const eotId = vocab.get('<|endoftext|>');
  if (eotId === undefined) throw new Error('vocab.json has no <|endoftext|> token: not a GPT-2 vocabulary');

  // Each token's bytes: vocab.json spells them with bytesToUnicode's characters, except
  // <|endoftext|> (and any other added token), spelled literally: its UTF-8 is what it decodes to.
  const byteChars = bytesToUnicode();
  const unicodeToByte = new Map(byteChars.map((ch, b) => [ch, b]));
  const utf8 = new TextEncoder();
  const spelled: Uint8Array[] = new Array(maxId + 1);
  for (const [token, id] of vocab) {
    const bytes = [...token].map((ch) => unicodeToByte.get(ch));
    spelled[id] = bytes.every((b) => b !== undefined) ? Uint8Array.from(bytes as number[]) : utf8.encode(token);
  }
  let totalBytes = 0;
  const tokenLengths = new Int32Array(maxId + 1).fill(-1);
  for (let id = 0; id <= maxId; id++) {
    if (!spelled[id]) continue;
    tokenLengths[id] = spelled[id].length;
    totalBytes += spelled[id].length;
  }
  const tokenBytes = new Uint8Array(totalBytes);
  for (let id = 0, at = 0; id <= maxId; id++) {
    if (!spelled[id]) continue;
    tokenBytes.set(spelled[id], at);
    at += spelled[id].length;
  }

  const byteIds = new Int32Array(256);
  byteChars.forEach((ch, b) => {
    const id = vocab.get(ch);
    if (id === undefined) throw new Error(`vocab.json lacks the single-byte token for byte ${b} (${JSON.stringify(ch)})`);
    byteIds[b] = id;
  });

  const mergeIds = new Int32Array(3 * merges.length);
  merges.forEach(([a, b], rank) => {
    const ida = vocab.get(a), idb = vocab.get(b), merged = vocab.get(a + b);
    if (ida === undefined || idb === undefined || merged === undefined) {
      throw new Error(`merges.txt: merge ${rank + 1} ("${a} ${b}") names a token that vocab.json lacks`);
    }
    mergeIds.set([ida, idb, merged], 3 * rank);
  });
  return { eotId, byteIds, merges: mergeIds, tokenLengths, tokenBytes };
}

// ---------------------------------------------------------------------------------------------
// 4. Decoding a stream of ids

/**
 * Decodes ids one at a time, as a generator yields them. GPT-2's tokens may cut a character
 * (an emoji is often 2-3 tokens): the cut bytes are held back until the character completes,
 * instead of printing U+FFFD. The concatenation of every push() and the final flush() equals
 * tok.decode(all ids), whatever the ids (the WHATWG streaming UTF-8 decoder guarantees it).
 */
export class StreamingDecoder {
  private readonly decoder = new TextDecoder('utf-8', { ignoreBOM: true });

  constructor(private readonly tok: GPT2Tokenizer) {}

  /** The text that `id` completes; '' while a character is still partial. */
  push(id: number): string {
    return this.decoder.decode(this.tok.bytesOf(id), { stream: true });
  }

  /** The end of the stream: held-back bytes of an unfinished character come out as U+FFFD. */
  flush(): string {
    return this.decoder.decode();
  }
}
