// tokenizer.json byte-level BPE against Hugging Face's Tokenizers.js: Qwen2.5's real file, and
// files built around GPT-2's real vocabulary with SmolLM2's pre-tokenizers. Added tokens are
// never parsed out of text (docs/design.md), so the reference is Tokenizers.js on the same file
// with its added tokens taken out (referenceWithoutAddedTokens); the unmodified Tokenizers.js
// is checked to agree wherever the text holds no added token's content.
import { describe, it, expect, beforeAll } from 'vitest';
import { Tokenizer } from '@huggingface/tokenizers';
import { GPT2Tokenizer, StreamingDecoder } from '../../src/lib/tokenizer/bpe.ts';
import { TokenizerJsonBPE } from '../../src/lib/tokenizer/tokenizer-json.ts';
import { tokenizerFromTables } from '../../src/lib/tokenizer/from-tables.ts';
import { createNodeTokenizerPool } from '../../src/lib/tokenizer/node-workers.ts';
import { unpack } from '../../src/lib/tokenizer/packed-ids.ts';
import { tortureStrings, tweetLikeTexts, LONE_SURROGATES, rng } from '../helpers/torture-strings.ts';
import { gpt2TokenizerJson, MULTILINGUAL, qwenFiles, referenceWithoutAddedTokens, SMOLLM2_PRE_TOKENIZER } from '../helpers/tokenizer-json-files.ts';
import fs from 'node:fs';
import { GPT2_MERGES_TXT, GPT2_VOCAB_JSON } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';

const TORTURE = tortureStrings();
const ALL = [...TORTURE, ...MULTILINGUAL, ...MULTILINGUAL.map((s) => `${s} ${s}\n`)];
let qwen: TokenizerJsonBPE;
let qwenFile: Record<string, unknown>, qwenConfig: Record<string, unknown>;
let reference: (s: string) => number[];

beforeAll(() => {
  const { json, config } = qwenFiles();
  qwen = TokenizerJsonBPE.fromFiles(json, config);
  [qwenFile, qwenConfig] = [JSON.parse(json), JSON.parse(config)];
  reference = referenceWithoutAddedTokens(qwenFile, qwenConfig);
});

/** Inputs where `ours` and `ref` give different ids (at most 5, quoted with both). */
function mismatches(inputs: readonly string[], ours: (s: string) => number[], ref: (s: string) => number[]): string[] {
  const bad: string[] = [];
  for (const s of inputs) {
    const [a, b] = [ours(s), ref(s)];
    if (a.join() !== b.join() && bad.push(`${JSON.stringify(s)}: ours ${a} reference ${b}`) >= 5) break;
  }
  return bad;
}

describe("Qwen2.5's tokenizer.json", () => {
  it('reads its vocabulary, added tokens and end-of-text ids', () => {
    expect(qwen.vocabSize).toBe(151_669); // 151,643 BPE tokens + 26 added
    expect(qwen.eotId).toBe(151_643); // <|endoftext|>, the separator between tweets
    expect(qwen.eosId).toBe(151_645); // this tokenizer_config.json's eos_token, <|im_end|>
    expect(qwen.decode([151_643, 151_644])).toBe('<|endoftext|><|im_start|>');
    expect(qwen.encode('Hello world')).toEqual([9707, 1879]);
  });

  it(`gives Tokenizers.js's ids on ${ALL.length} torture and multilingual strings`, () => {
    expect(mismatches(ALL, (s) => qwen.encode(s), reference)).toEqual([]);
  });

  it("gives Tokenizers.js's ids on 300 kB of tweet-like text and on long runs (the heap merge)", () => {
    const r = rng(3);
    const runs = ['あいうえお日本語漢字東京', 'กขคงจฉชซ', '0123456789', '!?#*-=+.', '😂🎉🔥', 'abcxyz'].map((a) =>
      Array.from({ length: 200 }, () => [...a][Math.floor(r() * [...a].length)]).join(''));
    expect(mismatches([...tweetLikeTexts(3e5, 3), ...runs, ...runs.map((s) => ' ' + s)], (s) => qwen.encode(s), reference)).toEqual([]);
  });

  it('never parses added tokens out of text; Tokenizers.js as shipped agrees wherever the text holds none', () => {
    const shipped = new Tokenizer(qwenFile, qwenConfig);
    const asShipped = (s: string): number[] => (s === '' ? [] : shipped.encode(s, { add_special_tokens: false }).ids);
    const contents = (qwenFile.added_tokens as { content: string }[]).map((t) => t.content);
    const plain = ALL.filter((s) => !contents.some((c) => s.includes(c)));
    expect(plain.length).toBeGreaterThan(2000);
    expect(mismatches(plain, (s) => qwen.encode(s), asShipped)).toEqual([]);
    for (const s of ['a<|endoftext|>b', '<|im_start|>user\nhi<|im_end|>', '<think>x</think>']) {
      expect(qwen.encode(s).every((id) => id < 151_643), s).toBe(true);
      expect(asShipped(s).some((id) => id >= 151_643), s).toBe(true); // shipped, it would parse them
      expect(qwen.decode(qwen.encode(s))).toBe(s);
    }
  });

  it('round-trips every string through NFC; lone surrogates encode as U+FFFD', () => {
    for (const s of ALL) expect(qwen.decode(qwen.encode(s))).toBe(s.normalize('NFC'));
    expect(qwen.decode(qwen.encode('cafe\u0301'))).toBe('caf\u00e9');
    for (const s of LONE_SURROGATES) expect(qwen.encode(s)).toEqual(reference(s.replace(/[\ud800-\udfff]/g, '\ufffd')));
  });

  it('streams: every prefix is final, bytes cut inside a character are held back', () => {
    let cuts = 0;
    for (const s of ALL) {
      const ids = qwen.encode(s), whole = qwen.decode(ids), dec = new StreamingDecoder(qwen);
      let out = '';
      for (const id of ids) {
        const piece = dec.push(id);
        if (piece === '' && qwen.bytesOf(id).length > 0) cuts++;
        out += piece;
        expect(whole.startsWith(out)).toBe(true);
      }
      expect(out + dec.flush()).toBe(whole);
    }
    expect(cuts).toBeGreaterThan(20); // multi-byte characters cut between tokens were met
  });

  it('is rebuilt from its tables, as a pool worker gets them, with the same ids', () => {
    const copy = tokenizerFromTables(structuredClone(qwen.tables));
    expect(copy).toBeInstanceOf(TokenizerJsonBPE);
    expect([copy.eotId, copy.vocabSize, (copy as TokenizerJsonBPE).eosId]).toEqual([151_643, 151_669, 151_645]);
    for (const s of ALL) expect(copy.encode(s)).toEqual(qwen.encode(s));
    const t = qwen.tables;
    expect(() => TokenizerJsonBPE.fromTables({ ...t, pipeline: undefined })).toThrow(/inconsistent/);
    expect(() => TokenizerJsonBPE.fromTables({ ...t, pipeline: { ...t.pipeline!, eosId: 10 ** 7 } })).toThrow(/inconsistent/);
    expect(() => GPT2Tokenizer.fromTables(t)).toThrow(/tokenizerFromTables/);
  });

  it("encodes in a pool of worker threads as on one thread, in order", async () => {
    const texts = [...tweetLikeTexts(2e5, 21), ...ALL];
    const pool = createNodeTokenizerPool(qwen.tables, { size: 2, warmUpChars: 5000 });
    try {
      const ids = unpack(await pool.encodeAll(texts));
      expect(ids.length).toBe(texts.length);
      const bad = texts.findIndex((t, i) => ids[i].join() !== qwen.encode(t).join());
      expect(bad, bad >= 0 ? JSON.stringify(texts[bad]) : '').toBe(-1);
    } finally {
      pool.terminate();
    }
  });
});

describe('tokenizer.json around GPT-2\'s vocabulary', () => {
  // Tokenizers.js's ByteLevel pattern uses JavaScript's \s (U+FEFF in, U+0085 out) and its
  // Digits JavaScript's \d (ASCII only), where Hugging Face's Rust library uses Unicode's
  // White_Space and char::is_numeric (\p{N}); those strings are checked on their own below.
  const JS_QUIRKS = /[\u0085\ufeff]|(?![0-9])\p{N}/u;

  it('with ByteLevel(use_regex) alone, equals GPT2Tokenizer everywhere and Tokenizers.js off its \\s quirk', () => {
    const file = gpt2TokenizerJson({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true });
    const tok = TokenizerJsonBPE.fromFiles(JSON.stringify(file));
    const gpt2 = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
    expect(tok.eotId).toBe(50256);
    expect(mismatches(ALL, (s) => tok.encode(s), (s) => gpt2.encode(s))).toEqual([]);
    const ref = referenceWithoutAddedTokens(file);
    expect(mismatches(ALL.filter((s) => !/[\u0085\ufeff]/.test(s)), (s) => tok.encode(s), ref)).toEqual([]);
  });

  it("with SmolLM2's pre-tokenizer (Digits, then ByteLevel), gives Tokenizers.js's ids", () => {
    const file = gpt2TokenizerJson(SMOLLM2_PRE_TOKENIZER);
    const tok = TokenizerJsonBPE.fromFiles(JSON.stringify(file), JSON.stringify({ eos_token: '<|endoftext|>' }));
    const ref = referenceWithoutAddedTokens(file);
    const inputs = [...ALL, ...tweetLikeTexts(1e5, 4)].filter((s) => !JS_QUIRKS.test(s));
    expect(inputs.length).toBeGreaterThan(2000);
    expect(mismatches(inputs, (s) => tok.encode(s), ref)).toEqual([]);
    expect(tok.encode('2026')).toEqual([17, 15, 17, 21]); // one digit a piece
    // Unicode digits split one by one too (char::is_numeric), each cut then cut by GPT-2's pattern.
    const gpt2 = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
    for (const s of ['x ١٢٣ y', '１２３', '²³ ½', 'nel\u0085line 42', ' \ufeff1!']) {
      expect(tok.encode(s), s).toEqual((s.match(/\p{N}|\P{N}+/gu) ?? []).flatMap((p) => gpt2.encode(p)));
    }
  });

  it('with Digits in runs (individual_digits false), gives Tokenizers.js\'s ids', () => {
    const file = gpt2TokenizerJson({ type: 'Sequence', pretokenizers: [{ type: 'Digits', individual_digits: false }, { type: 'ByteLevel', use_regex: true }] });
    const tok = TokenizerJsonBPE.fromFiles(JSON.stringify(file));
    expect(mismatches(ALL.filter((s) => !JS_QUIRKS.test(s)), (s) => tok.encode(s), referenceWithoutAddedTokens(file))).toEqual([]);
    expect(tok.encode('x 2026 ١٢٣')).toEqual([...tok.encode('x '), ...tok.encode('2026'), ...tok.encode(' '), ...tok.encode('١٢٣')]);
  });

  it('with ByteLevel(add_prefix_space) and NFKC, gives Tokenizers.js\'s ids', () => {
    const file = gpt2TokenizerJson({ type: 'ByteLevel', add_prefix_space: true, use_regex: true }, { type: 'Sequence', normalizers: [{ type: 'NFKC' }] });
    const tok = TokenizerJsonBPE.fromFiles(JSON.stringify(file));
    expect(mismatches(ALL.filter((s) => !/[\u0085\ufeff]/.test(s)), (s) => tok.encode(s), referenceWithoutAddedTokens(file))).toEqual([]);
    expect(tok.decode(tok.encode('hi'))).toBe(' hi');
  });
});
