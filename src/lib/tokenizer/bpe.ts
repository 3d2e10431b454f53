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

import { ByteLevelBPE, tablesProblem, type TokenizerTables } from './byte-level-bpe.ts';
import type { IdBuffer } from './id-buffer.ts';
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
// 3. The tokenizer (steps 2 and 3, the merge cache and decoding are ByteLevelBPE's)

export type { TokenizerTables };

export class GPT2Tokenizer extends ByteLevelBPE {
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
    const problem = tablesProblem(tables) ?? (tables.pipeline ? 'tokenizer tables are inconsistent (a tokenizer.json\'s: use tokenizerFromTables)' : undefined);
    if (problem) throw new Error(problem);
    return new GPT2Tokenizer(tables);
  }

  /** Appends the ids of `text` to `out`; returns how many it appended. */
  encodeInto(text: string, out: IdBuffer): number {
    const first = out.length;
    for (let start = 0; start < text.length; ) {
      const end = pieceEnd(text, start);
      this.encodePiece(text, start, end, out);
      start = end;
    }
    return out.length - first;
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

  constructor(private readonly tok: Pick<ByteLevelBPE, 'bytesOf'>) {}

  /** The text that `id` completes; '' while a character is still partial. */
  push(id: number): string {
    return this.decoder.decode(this.tok.bytesOf(id), { stream: true });
  }

  /** The end of the stream: held-back bytes of an unfinished character come out as U+FFFD. */
  flush(): string {
    return this.decoder.decode();
  }
}
