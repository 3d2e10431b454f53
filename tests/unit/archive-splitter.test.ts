// The byte-level entry splitter against JSON.parse of the whole file, fed in every chunking.
import { describe, expect, it } from 'vitest';
import { EntrySplitter, parseEntry } from '../../src/lib/archive/entry-splitter.ts';
import { ArchiveError } from '../../src/lib/archive/errors.ts';

const enc = new TextEncoder();

function split(text: string | Uint8Array, chunkSizes: number[]): unknown[] {
  const bytes = typeof text === 'string' ? enc.encode(text) : text;
  const out: unknown[] = [];
  const s = new EntrySplitter('data/tweets.js', (b, i, off) => out.push(parseEntry('data/tweets.js', b, i, off)));
  let at = 0, k = 0;
  while (at < bytes.length) {
    const n = chunkSizes[k++ % chunkSizes.length];
    s.push(bytes.subarray(at, at + n));
    at += n;
  }
  s.end();
  return out;
}

function errorOf(f: () => unknown): ArchiveError {
  try { f(); } catch (e) { if (e instanceof ArchiveError) return e; throw e; }
  throw new Error('no error');
}

// Strings full of what could fool a scanner: braces, brackets, quotes, escapes, multi-byte text.
const ENTRIES = [
  { tweet: { id_str: '1', full_text: 'plain' } },
  { tweet: { id_str: '2', full_text: 'braces } { ] [ in text' } },
  { tweet: { id_str: '3', full_text: 'quote \" and backslash \\ and \\" both', more: ['a', { b: '}' }] } },
  { tweet: { id_str: '4', full_text: '日本語 🎉 émoji \u2028 sep', n: 12.5, t: true, f: null } },
  { tweet: { id_str: '5', full_text: 'ends with backslash \\' } },
];
const FILE = `window.YTD.tweets.part0 = ${JSON.stringify(ENTRIES, null, 2)}`;

describe('EntrySplitter', () => {
  it('yields the same entries as JSON.parse of the whole file, whatever the chunk sizes', () => {
    for (const sizes of [[1], [2], [3], [7], [64], [1, 5, 2], [100000]]) expect(split(FILE, sizes)).toEqual(ENTRIES);
  });

  it('accepts compact files, a BOM, an empty array and a trailing semicolon', () => {
    expect(split(`window.YTD.tweet.part0 = ${JSON.stringify(ENTRIES)};\n`, [13])).toEqual(ENTRIES);
    expect(split(`\ufeffwindow.YTD.tweets.part0 = ${JSON.stringify(ENTRIES)}`, [5])).toEqual(ENTRIES);
    expect(split('window.YTD.tweets.part0 = [ ]', [4])).toEqual([]);
  });

  it('names the entry and byte offset of broken JSON', () => {
    const broken = FILE.replace('"full_text": "plain"', '"full_text" "plain"');
    const e = errorOf(() => split(broken, [16]));
    expect(e.code).toBe('bad-json');
    // The byte offset points at the culprit: the string where a ':' should be.
    const at = Number(/at byte (\d+)/.exec(e.message)?.[1]);
    expect(e.message).toMatch(/^data\/tweets\.js: broken JSON in entry 1 at byte \d+: Unexpected string$/);
    expect(broken.slice(at, at + 7)).toBe('"plain"');
  });

  it('refuses a file cut inside an entry, missing commas, and junk after the array', () => {
    expect(errorOf(() => split(FILE.slice(0, 150), [50])).message).toMatch(/ends inside entry 2/);
    expect(errorOf(() => split('window.YTD.tweets.part0 = [{"a":1} {"b":2}]', [3])).message).toMatch(/expected "," or "]" after entry 1/);
    expect(errorOf(() => split('window.YTD.tweets.part0 = [{"a":1}] junk', [3])).code).toBe('bad-json');
    expect(errorOf(() => split('', [3])).message).toMatch(/empty/);
  });

  it('calls a non-object entry or a top-level object a wrong shape', () => {
    expect(errorOf(() => split('window.YTD.tweets.part0 = ["text"]', [3])).code).toBe('bad-shape');
    expect(errorOf(() => split('window.__THAR_CONFIG = {"a": [1]}', [3])).code).toBe('bad-shape');
  });

  it('refuses bytes that are not UTF-8, naming the entry', () => {
    const bytes = enc.encode(FILE);
    const at = enc.encode(FILE.slice(0, FILE.indexOf('braces'))).length;
    bytes[at] = 0xff;
    const e = errorOf(() => split(bytes, [9]));
    expect(e.code).toBe('not-utf8');
    expect(e.message).toMatch(/data\/tweets\.js is not UTF-8 text \(entry 2,/);
  });
});
