// The multilingual rule's fast path (tokens that surely hold a word skip Intl.Segmenter)
// must give the answer segmenting gives: checked per code point and on random mixed text.
import { describe, expect, it } from 'vitest';
import { countWords, segmentWords, SURE_WORD_CHAR } from '../../src/lib/dataset/rules.ts';
import { splitWords, isBoringToken } from '../../src/lib/dataset/clean.ts';

/** The rule without the fast path: segment everything, count to the end. */
const slowCount = (text: string, lang?: string) =>
  segmentWords(splitWords(text).filter((w) => !isBoringToken(w)).join(' '), lang);

describe('multilingual fast path', () => {
  it('agrees with full segmentation on random text from many scripts', () => {
    let seed = 9;
    const r = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
    const atoms = ['word', 'é', 'e\u0301', '日本', '語', '々', 'ｶﾞ', 'ﾞ', '한국어', '가\u0301', 'ไทย', 'ภาษา', 'русский', 'عربى', 'עברית',
      '²', '½', '3.14', '42', '-', '...', "'", '_', '🎉', '👍🏽', '\u200d', '\u00ad', '\ufe0f', ' ', ' ', ' ', '\u3000', '@x', '#t', '\u0301', '中文字', 'ー'];
    const langs = [undefined, 'en', 'ja', 'th', 'ko', 'zh', 'und'];
    let disagreements = 0;
    for (let i = 0; i < 4000; i++) {
      const text = Array.from({ length: 1 + Math.floor(r() * 8) }, () => atoms[Math.floor(r() * atoms.length)]).join(r() < 0.5 ? ' ' : '');
      const lang = langs[Math.floor(r() * langs.length)];
      const fast = countWords(text, 'multilingual', lang, 3) >= 3;
      const slow = slowCount(text, lang) >= 3;
      if (fast !== slow) disagreements++;
    }
    expect(disagreements).toBe(0);
  });

  it('every code point the fast path trusts is a word on its own and beside marks', () => {
    const seg = new Intl.Segmenter('en', { granularity: 'word' });
    const trusted = SURE_WORD_CHAR;
    const bad: number[] = [];
    for (let cp = 0; cp < 0x110000; cp += 1) {
      if (cp >= 0xd800 && cp < 0xe000) continue;
      const c = String.fromCodePoint(cp);
      if (!trusted.test(c)) continue;
      // Every 7th code point in context keeps this test quick; all of them alone.
      const texts = cp % 7 === 0 ? [c, `${c}\u0301`, `${c}ﾞ`, `\u200d${c}`, `${c}々`] : [c];
      for (const t of texts) {
        let words = 0;
        for (const s of seg.segment(t)) if (s.isWordLike) words++;
        if (words === 0) bad.push(cp);
      }
    }
    expect(bad).toEqual([]);
    // And the fast path does trust the common scripts.
    for (const c of ['a', 'é', '日', 'か', 'カ', 'ก', 'я', '7']) expect(trusted.test(c)).toBe(true);
  });
});
