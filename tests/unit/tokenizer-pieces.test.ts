// The tokenizer's fast paths against the plain ones they replace: the character-by-character
// pre-tokenizer against GPT-2's regex, and the merge cache against a Map.
import { describe, it, expect } from 'vitest';
import { pieceEnd, pretokenize } from '../../src/lib/tokenizer/pretokenize.ts';
import { PieceCache } from '../../src/lib/tokenizer/piece-cache.ts';
import { IdBuffer } from '../../src/lib/tokenizer/id-buffer.ts';
import { tortureStrings, tweetLikeTexts, LONE_SURROGATES, rng } from '../helpers/torture-strings.ts';

/** The pieces pieceEnd cuts text into. */
function scan(text: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const next = pieceEnd(text, i);
    if (!(next > i && next <= text.length)) throw new Error(`pieceEnd(${JSON.stringify(text)}, ${i}) = ${next}`);
    out.push(text.slice(i, next));
    i = next;
  }
  return out;
}

/** Inputs whose scan differs from the regex's pieces (at most 5, quoted). */
function differing(inputs: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const s of inputs) {
    if (JSON.stringify(scan(s)) !== JSON.stringify(pretokenize(s)) && bad.push(JSON.stringify(s)) >= 5) break;
  }
  return bad;
}

describe('pieceEnd (the pre-tokenizer the encoder runs)', () => {
  it("cuts every torture string, lone surrogates and 300 kB of tweets as GPT-2's regex does", () => {
    expect(differing([...tortureStrings(), ...LONE_SURROGATES, ...tweetLikeTexts(3e5, 5)])).toEqual([]);
  });

  it('classes every code point as the regex does, in every position the pattern cares about', () => {
    // Each code point alone, after a space, after "'", between letters, digits and spaces, and
    // doubled: its class decides where runs end and whether a space joins it.
    const contexts = (c: string): string[] => [c, ` ${c}`, `'${c}`, `a${c}b`, `1${c}2`, `  ${c}x`, `${c}${c} `, `!${c}?`, `\n${c}`];
    const inputs: string[] = [];
    for (let cp = 0; cp < 0x10000; cp++) inputs.push(...contexts(String.fromCharCode(cp)));
    for (let cp = 0x10000; cp < 0x110000; cp += 61) inputs.push(...contexts(String.fromCodePoint(cp)));
    expect(differing(inputs)).toEqual([]);
  });
});

describe('PieceCache', () => {
  it('finds what was added, by a range of any text, as a Map would; misses what was not', () => {
    const cache = new PieceCache();
    const reference = new Map<string, number[]>();
    const r = rng(11);
    const pieces = Array.from({ length: 30_000 }, (_, i) => (r() < 0.5 ? ' ' : '') + i.toString(36) + (r() < 0.1 ? '😂' : ''));
    for (const p of pieces) {
      const text = `<<${p}>>`; // looked up as a range, not as a whole string
      const slot = cache.find(text, 2, 2 + p.length);
      if (reference.has(p)) {
        expect(slot).toBeGreaterThanOrEqual(0);
        continue;
      }
      expect(slot).toBe(-1);
      const ids = Array.from({ length: 1 + Math.floor(r() * 4) }, () => Math.floor(r() * 50257));
      reference.set(p, ids);
      cache.add(text, 2, 2 + p.length, Int32Array.from(ids), ids.length);
    }
    expect(cache.size).toBe(reference.size); // it grew many times on the way
    for (const [p, ids] of reference) {
      const slot = cache.find(p, 0, p.length);
      expect(Array.from(cache.ids.subarray(cache.from(slot), cache.to(slot)))).toEqual(ids);
    }
    expect(cache.find('not cached', 0, 10)).toBe(-1);
    expect(cache.find(' 1', 0, 1)).toBe(-1); // a prefix of a cached piece is not a hit
  });

  it('tells apart pieces that differ only in their last unit, or in the upper of two packed units', () => {
    const cache = new PieceCache();
    const pieces = ['abc', 'abd', 'ab', 'abcd', 'abce', '\ud83d\ude02', '\ud83d\ude03', '\u0100a', '\u0200a', 'a\u0100', 'a\u0200'];
    pieces.forEach((p, i) => cache.add(p, 0, p.length, Int32Array.of(i), 1));
    pieces.forEach((p, i) => {
      const rec = cache.find(`x${p}y`, 1, 1 + p.length);
      expect(Array.from(cache.ids.subarray(cache.from(rec), cache.to(rec))), p).toEqual([i]);
    });
    expect(cache.find('abe', 0, 3)).toBe(-1);
    expect(cache.find('a\u0300', 0, 2)).toBe(-1);
  });

  it('starts over when full, so a long dataset cannot grow it without bound', () => {
    const cache = new PieceCache();
    const one = Int32Array.of(7);
    for (let i = 0; i < 200_000; i++) cache.add(`p${i}`, 0, `p${i}`.length, one, 1);
    expect(cache.size).toBe(200_000);
    cache.add('one more', 0, 8, one, 1);
    expect(cache.size).toBe(1);
    expect(cache.find('p5', 0, 2)).toBe(-1);
    expect(cache.find('one more', 0, 8)).toBeGreaterThanOrEqual(0);
  });
});

describe('IdBuffer', () => {
  it('grows as ids are appended and hands back an exact-size copy', () => {
    const buf = new IdBuffer(2);
    for (let i = 0; i < 1000; i++) {
      buf.reserve(1);
      buf.ids[buf.length++] = i;
    }
    const copy = buf.toInt32Array();
    expect(copy.length).toBe(1000);
    expect(copy[999]).toBe(999);
    expect(copy.buffer.byteLength).toBe(4000); // its own buffer: transferring it moves no more
  });
});
