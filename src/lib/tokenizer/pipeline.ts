/**
 * Step 1 of a tokenizer.json's byte-level BPE: its normalizer and pre-tokenizers, read from the
 * file into a plain spec (posted to workers with the tables), and applied to text.
 *
 * Hugging Face's tokenizers library (Rust; Tokenizers.js in JavaScript) runs them in order:
 * the normalizer rewrites the text (Qwen2: NFC); each pre-tokenizer then cuts every piece the
 * one before left into smaller pieces; BPE never merges across pieces. Supported, as the
 * byte-level BPE models on the Hub use them:
 *   - normalizer: null, NFC, NFD, NFKC, NFKD, or a Sequence of those;
 *   - Split with a Regex, behavior Isolated (matches and the gaps between them are pieces):
 *     Qwen2's pattern runs through a hand-written scanner (qwen2-pretokenize.ts), any other
 *     through a JavaScript RegExp rewritten from the file's Oniguruma syntax (oniguruma.ts);
 *   - ByteLevel: use_regex cuts with GPT-2's pattern (pretokenize.ts); add_prefix_space puts a
 *     space before text that does not start with one (only as the first pre-tokenizer, where it
 *     applies to the whole text); its byte-to-character mapping is the tables' byteIds;
 *   - Digits: every Unicode number (Rust's char::is_numeric, \p{N}) on its own
 *     (individual_digits), or runs of them;
 *   - Sequence of those.
 * Anything else is refused with a line naming it.
 */

import { compileOniguruma } from './oniguruma.ts';
import { classAt, NUMBER, pieceEnd as gpt2PieceEnd } from './pretokenize.ts';
import { QWEN2_PATTERN, qwen2PieceEnd } from './qwen2-pretokenize.ts';

/** One pre-tokenizer that cuts pieces. */
export type StageSpec =
  | { type: 'gpt2' }
  | { type: 'qwen2' }
  | { type: 'digits'; individual: boolean }
  /** A Split regex, as JavaScript RegExp source (flags gu). */
  | { type: 'regex'; source: string };

export type NormalForm = 'NFC' | 'NFD' | 'NFKC' | 'NFKD';

export interface PipelineSpec {
  /** Unicode normalizations applied in order. */
  normalizers: NormalForm[];
  /** ByteLevel's add_prefix_space, as the first pre-tokenizer. */
  prefixSpace: boolean;
  /** The pre-tokenizers that cut, in order (ByteLevel with use_regex false cuts nothing). */
  stages: StageSpec[];
  /** The id of tokenizer_config.json's eos_token (generation may stop there); eotId where it names none. */
  eosId: number;
}

const MAX_DEPTH = 8;
const MAX_STAGES = 16;

type Json = Record<string, unknown>;
const isObject = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** tokenizer.json's "normalizer" -> the normal forms to apply. */
export function parseNormalizer(config: unknown, depth = 0): NormalForm[] {
  if (config === null || config === undefined) return [];
  if (!isObject(config)) throw new Error('tokenizer.json: "normalizer" must be an object or null');
  if (depth > MAX_DEPTH) throw new Error('tokenizer.json: normalizers nested too deep');
  const type = String(config.type);
  if (type === 'NFC' || type === 'NFD' || type === 'NFKC' || type === 'NFKD') return [type];
  if (type === 'Sequence' && Array.isArray(config.normalizers)) {
    return config.normalizers.flatMap((n) => parseNormalizer(n, depth + 1));
  }
  throw new Error(`tokenizer.json: normalizer type ${JSON.stringify(config.type)} is not supported (NFC, NFD, NFKC, NFKD, Sequence)`);
}

/** tokenizer.json's "pre_tokenizer" -> the stages that cut, and whether a prefix space is added. */
export function parsePreTokenizer(config: unknown): { stages: StageSpec[]; prefixSpace: boolean } {
  const flat: Json[] = [];
  flatten(config, flat, 0);
  const stages: StageSpec[] = [];
  let prefixSpace = false, byteLevel = false;
  flat.forEach((p, i) => {
    const type = String(p.type);
    if (type === 'ByteLevel') {
      byteLevel = true;
      if (p.add_prefix_space === true) {
        if (i > 0) throw new Error('tokenizer.json: ByteLevel with add_prefix_space is supported only as the first pre-tokenizer');
        prefixSpace = true;
      }
      if (p.use_regex !== false) stages.push({ type: 'gpt2' });
    } else if (type === 'Digits') {
      stages.push({ type: 'digits', individual: p.individual_digits === true });
    } else if (type === 'Split') {
      stages.push(parseSplit(p));
    } else {
      throw new Error(`tokenizer.json: pre-tokenizer type ${JSON.stringify(p.type)} is not supported (ByteLevel, Split, Digits, Sequence)`);
    }
  });
  if (!byteLevel) throw new Error('tokenizer.json: its pre-tokenizer has no ByteLevel step: not a byte-level BPE tokenizer');
  if (stages.length > MAX_STAGES) throw new Error(`tokenizer.json: more than ${MAX_STAGES} pre-tokenizers`);
  return { stages, prefixSpace };
}

function flatten(config: unknown, out: Json[], depth: number): void {
  if (!isObject(config)) throw new Error('tokenizer.json: "pre_tokenizer" must be an object');
  if (depth > MAX_DEPTH) throw new Error('tokenizer.json: pre-tokenizers nested too deep');
  if (config.type !== 'Sequence') return void out.push(config);
  if (!Array.isArray(config.pretokenizers)) throw new Error('tokenizer.json: a Sequence pre-tokenizer needs a "pretokenizers" list');
  for (const p of config.pretokenizers) flatten(p, out, depth + 1);
}

function parseSplit(p: Json): StageSpec {
  const behavior = String(p.behavior ?? '');
  if (behavior.toLowerCase() !== 'isolated' || p.invert === true) {
    throw new Error(`tokenizer.json: Split with behavior ${JSON.stringify(p.behavior)}${p.invert === true ? ' and invert' : ''} is not supported (Isolated only)`);
  }
  const pattern = p.pattern;
  if (!isObject(pattern) || typeof pattern.Regex !== 'string') {
    throw new Error('tokenizer.json: a Split pre-tokenizer needs a {"Regex": ...} pattern');
  }
  if (pattern.Regex === QWEN2_PATTERN) return { type: 'qwen2' };
  return { type: 'regex', source: compileOniguruma(pattern.Regex) };
}

/** Applies the normalizers; NFC is skipped for text it would leave as it is, known without running it. */
export function normalize(text: string, forms: readonly NormalForm[]): string {
  for (const form of forms) {
    if (form === 'NFC' && !mayChangeUnderNfc(text)) continue;
    text = text.normalize(form);
  }
  return text;
}

/**
 * Code point -> 1: NFC leaves it as it is, and it never joins the character before it (its
 * NFC quick check is Yes, its combining class 0); 2: it may change; 0: not asked yet. Filled
 * the first time a code point is met, with the engine's own normalizer, so it follows the same
 * Unicode version as text.normalize().
 */
const nfcStable = new Uint8Array(0x110000);

function stableUnderNfc(cp: number): boolean {
  let state = nfcStable[cp];
  if (state === 0) {
    const ch = String.fromCodePoint(cp);
    // Characters that may join the one before them (quick check Maybe, or a non-zero combining
    // class) are all marks, except Hangul's medial vowels and final consonants.
    const joins = /\p{M}/u.test(ch) || (cp >= 0x1161 && cp <= 0x1175) || (cp >= 0x11a8 && cp <= 0x11c2);
    nfcStable[cp] = state = !joins && ch.normalize('NFC') === ch ? 1 : 2;
  }
  return state === 1;
}

/**
 * False when NFC would return `text` unchanged because every character is stable (a text of
 * characters whose quick check is Yes and combining class 0 is in NFC). Tweets are mostly such
 * characters (ASCII, kana, kanji, emoji), and asking costs less than text.normalize().
 */
export function mayChangeUnderNfc(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x300) continue; // nothing below U+0300 changes or joins
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < text.length) {
      const low = text.charCodeAt(i + 1);
      if (low >= 0xdc00 && low < 0xe000) (c = 0x10000 + ((c - 0xd800) << 10) + (low - 0xdc00)), i++;
    }
    if (!stableUnderNfc(c)) return true;
  }
  return false;
}

/** Where the piece starting at `start` ends, text[start .. limit) taken as the whole text. */
export type PieceEnd = (text: string, start: number, limit: number) => number;

/** A stage as a function: scanners as they are, a regex through the matches of its segment. */
export function stageFunction(stage: StageSpec): PieceEnd {
  switch (stage.type) {
    case 'gpt2':
      return gpt2PieceEnd;
    case 'qwen2':
      return qwen2PieceEnd;
    case 'digits':
      return stage.individual ? digitPieceEnd : digitRunPieceEnd;
    case 'regex':
      return regexPieceEnd(new RegExp(stage.source, 'gu'));
  }
}

// Digits: Rust's char::is_numeric is \p{N}, pretokenize.ts' NUMBER class (a code point is never
// both a letter and a number, so that class is exactly \p{N}).

function digitPieceEnd(text: string, start: number, limit: number): number {
  const at = classAt(text, start);
  if (at >> 2 === NUMBER) return start + (at & 3);
  let i = start + (at & 3);
  while (i < limit) {
    const next = classAt(text, i);
    if (next >> 2 === NUMBER) break;
    i += next & 3;
  }
  return i;
}

function digitRunPieceEnd(text: string, start: number, limit: number): number {
  const number = classAt(text, start) >> 2 === NUMBER;
  let i = start;
  while (i < limit) {
    const next = classAt(text, i);
    if ((next >> 2 === NUMBER) !== number) break;
    i += next & 3;
  }
  return i;
}

/**
 * A Split regex with behavior Isolated: each match is a piece, and so is each gap between
 * matches. The segment's cuts are found at once (on a slice, so lookaheads end where the
 * segment does) and handed out one by one.
 */
function regexPieceEnd(re: RegExp): PieceEnd {
  let text = '', from = -1, limit = -1, cuts: number[] = [], next = 0;
  return (t, start, lim) => {
    const expected = next === 0 ? from : cuts[next - 1];
    if (t !== text || lim !== limit || start !== expected || next >= cuts.length) {
      [text, from, limit, next] = [t, start, lim, 0];
      cuts = regexCuts(re, t.slice(start, lim)).map((c) => c + start);
    }
    return cuts[next++];
  };
}

/** Where the matches of `re` (and the gaps between them) end in `s`; empty matches cut nothing. */
export function regexCuts(re: RegExp, s: string): number[] {
  const cuts: number[] = [];
  let prev = 0;
  for (const m of s.matchAll(re)) {
    if (m[0].length === 0) continue;
    if (m.index > prev) cuts.push(m.index);
    prev = m.index + m[0].length;
    cuts.push(prev);
  }
  if (prev < s.length) cuts.push(s.length);
  return cuts;
}
