// GPT-2 BPE against independent references: js-tiktoken's `gpt2`, gpt-tokenizer's `r50k_base`,
// and (where python3 has the `regex` module) OpenAI's own encoder.py algorithm.
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { getEncoding } from 'js-tiktoken';
import { encode as gptTokenizerEncode } from 'gpt-tokenizer/encoding/r50k_base';
import { GPT2Tokenizer, StreamingDecoder } from '../../src/lib/tokenizer/bpe';
import { pretokenize } from '../../src/lib/tokenizer/pretokenize';
import { GPT2_VOCAB_JSON, GPT2_MERGES_TXT } from '../../scripts/fixtures/gpt2-tokenizer-files';
import { tortureStrings, LONE_SURROGATES, tweetLikeTexts, rng } from '../helpers/torture-strings.ts';

let tok: GPT2Tokenizer;
const tiktoken = getEncoding('gpt2');
const TORTURE = tortureStrings();
// The two characters whose `\s` class JavaScript and Python's `regex` disagree on (see bpe.ts).
const JS_WHITESPACE_QUIRK = /[\u0085\ufeff]/;

beforeAll(() => {
  tok = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
});

describe('GPT2Tokenizer', () => {
  it('gives the worked example of its doc comment', () => {
    const text = 'I just tweeted about #tweetforge 🎉';
    expect(pretokenize(text)).toEqual(['I', ' just', ' tweeted', ' about', ' #', 'tweetforge', ' 🎉']);
    expect(tok.encode(text)).toEqual([40, 655, 10830, 546, 1303, 83, 7277, 30293, 12520, 236, 231]);
    expect(tok.decode([83, 7277, 30293])).toBe('tweetforge');
    expect(tok.eotId).toBe(50256);
    expect(tok.vocabSize).toBe(50257);
  });

  it(`matches js-tiktoken gpt2 and gpt-tokenizer r50k_base on ${TORTURE.length} torture strings`, () => {
    expect(TORTURE.length).toBeGreaterThanOrEqual(2000);
    const noSpecial = new Set<string>();
    const mismatches: string[] = [];
    let compared = 0;
    for (const s of TORTURE) {
      if (JS_WHITESPACE_QUIRK.test(s)) continue; // checked against encoder.py below
      compared++;
      const ours = tok.encode(s);
      const a = tiktoken.encode(s, [], []); // no special tokens: "<|endoftext|>" is text
      const b = gptTokenizerEncode(s, { disallowedSpecial: noSpecial });
      if (JSON.stringify(ours) !== JSON.stringify(a) || JSON.stringify(a) !== JSON.stringify(b)) {
        mismatches.push(`${JSON.stringify(s)}: ours ${ours} tiktoken ${a} gpt-tokenizer ${b}`);
      }
    }
    expect(compared).toBeGreaterThanOrEqual(2000);
    expect(mismatches.slice(0, 5)).toEqual([]);
  });

  it('matches js-tiktoken on 300 kB of tweet-like text', () => {
    for (const s of tweetLikeTexts(3e5, 3)) expect(tok.encode(s)).toEqual(tiktoken.encode(s, [], []));
  });

  it("splits on Unicode White_Space as GPT-2's Python regex did (U+0085 and U+FEFF)", () => {
    // Ids from OpenAI's encoder.py (scripts/golden/tokenizer_reference.py) with Python's `regex`.
    const golden: [string, number[]][] = [
      ['nel\u0085line', [4954, 126, 227, 1370]],
      ['a \u0085 b', [64, 1587, 227, 275]],
      ['\u0085', [126, 227]],
      ['bom\ufeffinside', [65, 296, 171, 119, 123, 48787]],
      ['\ufeffstart', [171, 119, 123, 9688]],
      [' \ufeff!', [27332, 119, 123, 0]],
      ['  \ufeff!', [220, 27332, 119, 123, 0]],
      ['x \u0085\u0085y', [87, 1587, 227, 126, 227, 88]],
      ['hi\u0085 there', [5303, 126, 227, 612]],
    ];
    for (const [text, ids] of golden) expect(tok.encode(text), JSON.stringify(text)).toEqual(ids);
    // The JS peers differ here (JS's \s has U+FEFF, lacks U+0085): this is why they are excluded above.
    expect(tiktoken.encode(' \ufeff!', [], [])).not.toEqual([27332, 119, 123, 0]);
  });

  // Debian's python3 with python3-regex (scripts/ensure-chromium.mjs installs it before `npm test`).
  it("matches OpenAI's encoder.py (python3 + regex) on every torture string", () => {
    const python = spawnSync('/usr/bin/python3', ['-c', 'import regex'], { encoding: 'utf8' });
    expect(python.status, 'needs /usr/bin/python3 with regex: apt-get install python3-regex').toBe(0);
    const inputs = [...TORTURE, ...tweetLikeTexts(2e5, 11)];
    const lines = execFileSync('/usr/bin/python3', ['scripts/golden/tokenizer_reference.py', GPT2_VOCAB_JSON, GPT2_MERGES_TXT], {
      input: inputs.map((s) => JSON.stringify(s)).join('\n') + '\n',
      maxBuffer: 1 << 28,
    })
      .toString()
      .trim()
      .split('\n');
    expect(lines.length).toBe(inputs.length);
    const mismatches = inputs.filter((s, i) => JSON.stringify(tok.encode(s)) !== lines[i]);
    expect(mismatches.slice(0, 5).map((s) => JSON.stringify(s))).toEqual([]);
  });

  it('treats <|endoftext|> in text as ordinary characters', () => {
    const ids = tok.encode('a<|endoftext|>b');
    expect(ids).not.toContain(tok.eotId);
    expect(ids).toEqual([64, 27, 91, 437, 1659, 5239, 91, 29, 65]);
    expect(tok.decode([tok.eotId])).toBe('<|endoftext|>');
  });

  it('round-trips: decode(encode(x)) == x for every torture string', () => {
    for (const s of [...TORTURE, ...TORTURE.map((s) => s + s)]) expect(tok.decode(tok.encode(s))).toBe(s);
  });

  it('encodes lone surrogates as U+FFFD, as TextEncoder and the peers do (they cannot round-trip)', () => {
    for (const s of LONE_SURROGATES) {
      const replaced = s.replace(/[\ud800-\udfff]/g, '\ufffd');
      expect(tok.encode(s)).toEqual(tok.encode(replaced));
      expect(tok.encode(s)).toEqual(tiktoken.encode(s, [], []));
      expect(tok.decode(tok.encode(s))).toBe(replaced);
    }
  });

  it('merges long pieces (through the heap) as js-tiktoken does', () => {
    // Runs with no break for the pattern: long words, Japanese, Thai, digits, symbols, emoji.
    const alphabets = ['abcdefghijklmnopqrstuvwxyz', 'etaoinshrdlu', 'あいうえおかきくけこ日本語漢字', 'กขคงจฉชซ', '0123456789', '!?#*-=+.', '😂🎉🔥'];
    const r = rng(5);
    for (let n = 0; n < 280; n++) {
      const chars = [...alphabets[n % alphabets.length]];
      const s = (n % 3 === 0 ? ' ' : '') + Array.from({ length: 9 + Math.floor(r() * 150) }, () => chars[Math.floor(r() * chars.length)]).join('');
      expect(tok.encode(s), JSON.stringify(s)).toEqual(tiktoken.encode(s, [], []));
    }
  });

  it('gives the same ids from the merge cache as from a fresh merge', () => {
    const word = ' antidisestablishmentarianism';
    const fresh = tok.bpe(word);
    expect(tok.encode(word)).toEqual(fresh);
    expect(tok.encode(word + word)).toEqual([...fresh, ...fresh]);
    expect(tok.decode(fresh)).toBe(word);
  });

  it('refuses ids outside the vocabulary and broken files with a readable error', () => {
    expect(() => tok.decode([50257])).toThrow(/not in the vocabulary/);
    expect(() => tok.decode([-1])).toThrow(/not in the vocabulary/);
    expect(() => GPT2Tokenizer.fromFiles('not json', '')).toThrow(/vocab.json is not JSON/);
    expect(() => GPT2Tokenizer.fromFiles('[1]', '')).toThrow(/object/);
    const vocab = fs.readFileSync(GPT2_VOCAB_JSON, 'utf8');
    expect(() => GPT2Tokenizer.fromFiles(vocab, '#version: 0.2\nĠ zzzzqq\n')).toThrow(/merges.txt: merge 1 /);
    expect(() => GPT2Tokenizer.fromFiles('{"a": 0.5}', '')).toThrow(/whole number/);
    expect(() => GPT2Tokenizer.fromFiles('{"a": 0}', '')).toThrow(/endoftext/);
  });

  it('reads merges.txt with CRLF line ends', () => {
    const crlf = GPT2Tokenizer.fromFiles(
      fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'),
      fs.readFileSync(GPT2_MERGES_TXT, 'utf8').replace(/\n/g, '\r\n'),
    );
    expect(crlf.encode('Hello world, tweetforge!')).toEqual(tok.encode('Hello world, tweetforge!'));
  });

  it('is rebuilt from its tables, as a pool worker gets them, with the same ids and bytes', () => {
    const copy = GPT2Tokenizer.fromTables(structuredClone(tok.tables)); // what postMessage delivers
    expect([copy.eotId, copy.vocabSize]).toEqual([50256, 50257]);
    for (const text of [...TORTURE, ...tweetLikeTexts(2e5, 9)]) expect(copy.encode(text)).toEqual(tok.encode(text));
    for (let id = 0; id < tok.vocabSize; id++) expect(copy.bytesOf(id)).toEqual(tok.bytesOf(id));
  });

  it('refuses tables that do not fit together', () => {
    const t = tok.tables;
    const broken = [
      { ...t, merges: t.merges.subarray(1) }, // not triples
      { ...t, byteIds: t.byteIds.subarray(1) },
      { ...t, tokenBytes: t.tokenBytes.subarray(1) }, // lengths do not add up
      { ...t, eotId: t.tokenLengths.length },
      { ...t, merges: Int32Array.from([0, 1, 50257]) }, // an id past the vocabulary
    ];
    for (const tables of broken) expect(() => GPT2Tokenizer.fromTables(tables)).toThrow(/tables are inconsistent/);
  });
});

describe('StreamingDecoder', () => {
  /** Pushes ids one by one; checks every prefix; returns the whole streamed text. */
  function stream(ids: number[], whole: string): string {
    const dec = new StreamingDecoder(tok);
    let out = '';
    for (const id of ids) {
      out += dec.push(id);
      // At every split point the text so far is a prefix of the whole decode: nothing is
      // printed that a later id would change (no premature U+FFFD).
      if (!whole.startsWith(out)) throw new Error(`prefix ${JSON.stringify(out)} is not a prefix of ${JSON.stringify(whole)}`);
    }
    return out + dec.flush();
  }

  it('equals the whole decode at every split point of every torture string', () => {
    for (const s of TORTURE) expect(stream(tok.encode(s), s)).toBe(s);
  });

  it('holds the bytes of a cut emoji back instead of printing U+FFFD', () => {
    const dec = new StreamingDecoder(tok);
    const ids = tok.encode(' 🎉!'); // " \xF0" "\x9F\x8E" "\x89" "!"
    expect(ids).toEqual([12520, 236, 231, 0]);
    expect(dec.push(ids[0])).toBe(' ');
    expect(dec.push(ids[1])).toBe('');
    expect(dec.push(ids[2])).toBe('🎉');
    expect(dec.push(ids[3])).toBe('!');
    expect(dec.flush()).toBe('');
  });

  it('equals the whole decode on random id sequences, invalid UTF-8 included', () => {
    const r = rng(99);
    // Byte-level tokens (ids 0..255 are single bytes) make cut and broken sequences common.
    for (let n = 0; n < 500; n++) {
      const ids = Array.from({ length: 1 + Math.floor(r() * 12) }, () =>
        r() < 0.7 ? Math.floor(r() * 256) : Math.floor(r() * tok.vocabSize),
      );
      const whole = tok.decode(ids);
      expect(stream(ids, whole)).toBe(whole);
    }
  });

  it('flushes an unfinished character as U+FFFD, like the whole decode, and starts afresh', () => {
    const dec = new StreamingDecoder(tok);
    expect(dec.push(12520)).toBe(' '); // " \xF0": the start of a 4-byte character
    expect(dec.flush()).toBe('\ufffd');
    expect(tok.decode([12520])).toBe(' \ufffd');
    expect(dec.push(40)).toBe('I');
  });
});

describe('PairRanks (the merge table)', () => {
  it('finds every pair it holds, keeps the first rank of a pair, and answers NO_MERGE otherwise', async () => {
    const { PairRanks, NO_MERGE } = await import('../../src/lib/tokenizer/pair-ranks.ts');
    const table = new PairRanks(1000); // 1000 pairs in 2048 slots: collisions are certain
    const r = rng(5);
    const pairs = new Map<string, number>();
    for (let rank = 0; pairs.size < 1000; rank++) {
      const a = Math.floor(r() * 60000), b = Math.floor(r() * 60000);
      table.set(a, b, rank);
      if (!pairs.has(`${a},${b}`)) pairs.set(`${a},${b}`, rank);
    }
    table.set(...(pairs.keys().next().value!.split(',').map(Number) as [number, number]), 999_999);
    for (const [key, rank] of pairs) {
      const [a, b] = key.split(',').map(Number);
      expect(table.get(a, b)).toBe(rank);
      if (!pairs.has(`${b},${a}`)) expect(table.get(b, a)).toBe(NO_MERGE);
    }
    expect(table.get(60001, 0)).toBe(NO_MERGE);
  });
});
