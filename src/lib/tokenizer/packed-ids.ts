// The ids of many texts packed into two typed arrays: what a tokenizer worker sends back for a
// chunk of tweets, and what the pool hands its caller, one per chunk. Two arrays cross
// between threads as plain memory (transferred, not copied), where one small array per tweet
// would cost an object each on both sides and work for the garbage collector.
import type { ByteLevelBPE } from './byte-level-bpe.ts';
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
export function encodePacked(tok: ByteLevelBPE, texts: readonly string[]): PackedIds {
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

/**
 * One view per text, of one pack or of several in order (a pool's chunks): the views share the
 * packs' buffers, so the ids are never copied into one array.
 */
export function unpack(packs: PackedIds | readonly PackedIds[]): Int32Array[] {
  const list = 'ids' in packs ? [packs] : packs;
  let texts = 0;
  for (const p of list) texts += packedCount(p);
  const out: Int32Array[] = new Array(texts);
  let t = 0;
  for (const { ids, offsets } of list) {
    for (let i = 0; i + 1 < offsets.length; i++) out[t++] = ids.subarray(offsets[i], offsets[i + 1]);
  }
  return out;
}
