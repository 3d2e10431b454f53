// The ids of many texts packed into two typed arrays: what a tokenizer worker sends back for a
// chunk of tweets, and what the pool hands its caller for a whole dataset. Two arrays cross
// between threads as plain memory (transferred, not copied), where one small array per tweet
// would cost an object each on both sides and work for the garbage collector.
import type { GPT2Tokenizer } from './bpe.ts';
import { IdBuffer } from './id-buffer.ts';

export interface PackedIds {
  /** The ids of every text, back to back. */
  ids: Int32Array;
  /** Text i has ids[offsets[i] .. offsets[i + 1]); offsets.length = number of texts + 1. */
  offsets: Int32Array;
}

/** Reused from chunk to chunk: only the exact-size copy handed back is new. */
const buffer = new IdBuffer(1 << 14);

/** Texts in, their ids packed. */
export function encodePacked(tok: GPT2Tokenizer, texts: readonly string[]): PackedIds {
  buffer.length = 0;
  const offsets = new Int32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) {
    tok.encodeInto(texts[i], buffer);
    offsets[i + 1] = buffer.length;
  }
  return { ids: buffer.toInt32Array(), offsets };
}

/** The number of texts. */
export function packedCount(p: PackedIds): number {
  return p.offsets.length - 1;
}

/** One view per text (the views share p.ids' buffer). */
export function unpack({ ids, offsets }: PackedIds): Int32Array[] {
  const out: Int32Array[] = new Array(offsets.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = ids.subarray(offsets[i], offsets[i + 1]);
  return out;
}

/** Several packs, in order, as one (the texts of parts[0], then those of parts[1], ...). */
export function concatPacked(parts: readonly PackedIds[]): PackedIds {
  if (parts.length === 1) return parts[0];
  let texts = 0, total = 0;
  for (const p of parts) (texts += packedCount(p)), (total += p.ids.length);
  const ids = new Int32Array(total), offsets = new Int32Array(texts + 1);
  let t = 0, base = 0;
  for (const p of parts) {
    ids.set(p.ids, base);
    for (let i = 1; i < p.offsets.length; i++) offsets[++t] = base + p.offsets[i];
    base += p.ids.length;
  }
  return { ids, offsets };
}
