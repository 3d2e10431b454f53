/**
 * Step 1 of GPT-2's BPE: cutting text into pieces (words with their leading space, numbers,
 * punctuation runs, whitespace runs). BPE never merges across pieces.
 *
 * GPT2_SPLIT_PATTERN is the rule, as OpenAI wrote it; pretokenize() applies it with the regex
 * engine. The tokenizer uses pieceEnd() instead, which applies the same rule one character at a
 * time: it finds where the piece starting at `start` ends without making a string or a match
 * array, so the merge cache can be looked up straight from the text. Tests check the two give the
 * same pieces on every torture string.
 */

/**
 * GPT-2's pattern, `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`.
 * OpenAI compiled it with Python's `regex` module, whose `\s` is Unicode's White_Space property;
 * JavaScript's `\s` differs on two characters (it adds U+FEFF, lacks U+0085), so `\s` is spelled
 * \p{White_Space} here to give the ids the model was trained on. (js-tiktoken and gpt-tokenizer
 * keep JS's `\s`; tests check that difference explicitly.) Contractions are case-sensitive, as in
 * GPT-2: "I'M" is "I" "'" "M".
 */
export const GPT2_SPLIT_PATTERN =
  /'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\p{White_Space}\p{L}\p{N}]+|\p{White_Space}+(?!\P{White_Space})|\p{White_Space}+/gu;

/** The pieces GPT-2's pattern cuts `text` into (they concatenate back to `text`). */
export function pretokenize(text: string): string[] {
  return text.match(GPT2_SPLIT_PATTERN) ?? [];
}

// The pattern sorts code points into four classes. A lone surrogate is OTHER, as in the regex.
export const OTHER = 1, LETTER = 2, NUMBER = 3, SPACE = 4;

/**
 * Class of each code point, looked up with the regex engine's own Unicode tables the first time
 * it is met (0: not yet), so the pieces follow the same Unicode version as the pattern. Most of
 * the 1.1 MB is never touched, so never really allocated.
 */
const classes = new Uint8Array(0x110000);

function classify(cp: number): number {
  const ch = String.fromCodePoint(cp);
  const k = /\p{L}/u.test(ch) ? LETTER : /\p{N}/u.test(ch) ? NUMBER : /\p{White_Space}/u.test(ch) ? SPACE : OTHER;
  classes[cp] = k;
  return k;
}

/** The class of a UTF-16 unit that is not a surrogate (so a whole code point): small enough to inline. */
export function unitClass(cu: number): number {
  return classes[cu] || classify(cu);
}

/**
 * The class of the code point at `i` times 4, plus its length in UTF-16 units (1, or 2 for a
 * surrogate pair), packed so the scanner gets both from one call.
 */
export function classAt(text: string, i: number): number {
  let cp = text.charCodeAt(i);
  let units = 1;
  if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
    const low = text.charCodeAt(i + 1);
    if (low >= 0xdc00 && low < 0xe000) {
      cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
      units = 2;
    }
  }
  return ((classes[cp] || classify(cp)) << 2) | units;
}

/**
 * Where the piece that starts at `start` ends (start < text.length): the end of the match that
 * GPT2_SPLIT_PATTERN, used with matchAll, finds at `start`. Its alternatives, in order:
 *   's 't 're 've 'm 'll 'd   a contraction, lower-case only, whatever follows it;
 *   ' ?\p{L}+'  ' ?\p{N}+'  ' ?[^\s\p{L}\p{N}]+'   a run of one class, after at most one space
 *     (U+0020 only);
 *   '\s+(?!\S)'  a whitespace run that leaves its last character to the piece after it, when one
 *     follows (" word" keeps its space);
 *   '\s+'  a single whitespace character before a non-space, which the alternative above cannot
 *     match.
 * With `limit`, text[start .. limit) is taken as the whole text (a piece an earlier
 * pre-tokenizer cut, pipeline.ts).
 */
export function pieceEnd(text: string, start: number, limit = text.length): number {
  const n = limit;
  const c = text.charCodeAt(start);
  if (c === 0x27 && start + 1 < n) {
    const d = text.charCodeAt(start + 1);
    if (d === 0x73 || d === 0x74 || d === 0x6d || d === 0x64) return start + 2; // 's 't 'm 'd
    const e = start + 2 < n ? text.charCodeAt(start + 2) : 0;
    if ((d === 0x72 || d === 0x76) && e === 0x65) return start + 3; // 're 've
    if (d === 0x6c && e === 0x6c) return start + 3; // 'll
  }
  let at = classAt(text, start);
  let i = start;
  if (c === 0x20 && i + 1 < n) {
    const next = classAt(text, i + 1);
    if (next >> 2 !== SPACE) (i += 1), (at = next); // the space leads a word, number or symbols
  }
  const k = at >> 2;
  i += at & 3;
  while (i < n) {
    const cu = text.charCodeAt(i);
    if (cu < 0xd800 || cu >= 0xe000) {
      // Not a surrogate (nearly every character): one unit, and classes[] is indexed by it.
      if ((classes[cu] || classify(cu)) !== k) break;
      i++;
    } else {
      const next = classAt(text, i);
      if (next >> 2 !== k) break;
      i += next & 3;
    }
  }
  // Every White_Space character is one UTF-16 unit, so stepping back one unit is one character.
  if (k === SPACE && i < n && i - start >= 2) i -= 1;
  return i;
}
