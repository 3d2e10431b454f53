// What a tokenizer worker does with one chunk: many texts in, two typed arrays out.
import type { GPT2Tokenizer } from './bpe.ts';
import { IdBuffer } from './id-buffer.ts';

export interface EncodedChunk {
  /** The ids of every text, back to back. */
  ids: Int32Array;
  /** Text i has ids[offsets[i] .. offsets[i + 1]); offsets.length = texts.length + 1. */
  offsets: Int32Array;
}

/** Reused from chunk to chunk: only the exact-size copy handed back is new. */
const buffer = new IdBuffer(1 << 14);

/** Texts in, their ids packed into one Int32Array (cheap to transfer between threads). */
export function encodeChunk(tok: GPT2Tokenizer, texts: readonly string[]): EncodedChunk {
  buffer.length = 0;
  const offsets = new Int32Array(texts.length + 1);
  for (let i = 0; i < texts.length; i++) {
    tok.encodeInto(texts[i], buffer);
    offsets[i + 1] = buffer.length;
  }
  return { ids: buffer.toInt32Array(), offsets };
}

/** Splits the packed ids back into one view per text (views share the chunk's buffer). */
export function splitChunk({ ids, offsets }: EncodedChunk): Int32Array[] {
  const out: Int32Array[] = new Array(offsets.length - 1);
  for (let i = 0; i < out.length; i++) out[i] = ids.subarray(offsets[i], offsets[i + 1]);
  return out;
}
