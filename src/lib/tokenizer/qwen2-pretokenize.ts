/**
 * Qwen2's pre-tokenizer (Qwen2.5's tokenizer.json: a Split on this regex, behavior Isolated),
 * applied one character at a time, as pretokenize.ts does for GPT-2's: it finds where the piece
 * starting at `start` ends without running the regex, so the merge cache is looked up straight
 * from the text. Tests check it cuts where the regex does (compiled by oniguruma.ts and by
 * Tokenizers.js) on every code point in several contexts.
 */

import { classAt, LETTER, NUMBER, OTHER, SPACE, unitClass } from './pretokenize.ts';

/** The pattern exactly as Qwen2's tokenizer.json spells it (Oniguruma syntax). */
export const QWEN2_PATTERN =
  "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

const CR = 0x0d, LF = 0x0a;

/**
 * Where the piece that starts at `start` ends (start < limit), text[start .. limit) taken as the
 * whole text. The pattern's alternatives, in order (the first that matches wins):
 *   (?i:'s|'t|'re|'ve|'m|'ll|'d)   a contraction in either case (ASCII letters only, as
 *     Tokenizers.js folds the group);
 *   [^\r\n\p{L}\p{N}]?\p{L}+   a letter run, after at most one character that is not a letter,
 *     number, CR or LF (a space, a tab, a symbol: "@user", "#tag", "\tword" are one piece);
 *   \p{N}   one number character (so digit runs are one piece per digit);
 *    ?[^\s\p{L}\p{N}]+[\r\n]*   a run of symbols after at most one space, with the line breaks
 *     that follow it;
 *   \s*[\r\n]+   whitespace up to and including its last line break;
 *   \s+(?!\S) and \s+   as GPT-2's: a whitespace run leaves its last character to the piece
 *     after it (a single whitespace character before a non-space is a piece of its own).
 */
export function qwen2PieceEnd(text: string, start: number, limit = text.length): number {
  const n = limit;
  const c = text.charCodeAt(start);
  if (c === 0x27 && start + 1 < n) {
    // | 0x20 lower-cases ASCII letters, and maps nothing else onto them.
    const d = text.charCodeAt(start + 1) | 0x20;
    if (d === 0x73 || d === 0x74 || d === 0x6d || d === 0x64) return start + 2; // 's 't 'm 'd
    const e = start + 2 < n ? text.charCodeAt(start + 2) | 0x20 : 0;
    if ((d === 0x72 || d === 0x76) && e === 0x65) return start + 3; // 're 've
    if (d === 0x6c && e === 0x6c) return start + 3; // 'll
  }
  const at = classAt(text, start);
  const k = at >> 2;
  let i = start + (at & 3);
  if (k === LETTER) return runEnd(text, i, n, LETTER);
  if (k === NUMBER) return i;
  if (c !== CR && c !== LF && i < n && classAt(text, i) >> 2 === LETTER) return runEnd(text, i, n, LETTER);

  i = start;
  if (c === 0x20 && i + 1 < n && classAt(text, i + 1) >> 2 === OTHER) i++;
  if (classAt(text, i) >> 2 === OTHER) {
    i = runEnd(text, i, n, OTHER);
    while (i < n && (text.charCodeAt(i) === CR || text.charCodeAt(i) === LF)) i++;
    return i;
  }

  // A whitespace run; every White_Space character is one UTF-16 unit.
  let lastBreak = -1;
  for (i = start; i < n; i++) {
    const u = text.charCodeAt(i);
    if (u === CR || u === LF) lastBreak = i;
    else if (u >= 0xd800 && u < 0xe000 ? true : unitClass(u) !== SPACE) break;
  }
  if (lastBreak >= 0) return lastBreak + 1;
  return i < n && i - start >= 2 ? i - 1 : i;
}

/** The end of the run of class `k` from i (the code point at i is of class k, or i = n). */
function runEnd(text: string, i: number, n: number, k: number): number {
  while (i < n) {
    const cu = text.charCodeAt(i);
    if (cu < 0xd800 || cu >= 0xe000) {
      // Not a surrogate (nearly every character): one unit, looked up straight.
      if (unitClass(cu) !== k) break;
      i++;
    } else {
      const next = classAt(text, i);
      if (next >> 2 !== k) break;
      i += next & 3;
    }
  }
  return i;
}
