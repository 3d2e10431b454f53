// A tokenizer.json's pre-tokenizers and checks: Qwen2's hand-written scanner against its regex
// (as oniguruma.ts compiles it, and as Tokenizers.js does), the generic regex path, and the
// one-line refusals of files that do not fit.
import { describe, it, expect, beforeAll } from 'vitest';
import { SplitPreTokenizer } from '@huggingface/tokenizers';
import { QWEN2_PATTERN, qwen2PieceEnd } from '../../src/lib/tokenizer/qwen2-pretokenize.ts';
import { compileOniguruma } from '../../src/lib/tokenizer/oniguruma.ts';
import { mayChangeUnderNfc, regexCuts } from '../../src/lib/tokenizer/pipeline.ts';
import { TokenizerJsonBPE } from '../../src/lib/tokenizer/tokenizer-json.ts';
import { tortureStrings, tweetLikeTexts, LONE_SURROGATES } from '../helpers/torture-strings.ts';
import { gpt2TokenizerJson, MULTILINGUAL, qwenFiles, referenceWithoutAddedTokens } from '../helpers/tokenizer-json-files.ts';

const QWEN2_REGEX = new RegExp(compileOniguruma(QWEN2_PATTERN), 'gu');

/** Where qwen2PieceEnd cuts `text`. */
function scan(text: string): number[] {
  const cuts: number[] = [];
  for (let i = 0; i < text.length; ) {
    const next = qwen2PieceEnd(text, i);
    if (!(next > i && next <= text.length)) throw new Error(`qwen2PieceEnd(${JSON.stringify(text)}, ${i}) = ${next}`);
    cuts.push((i = next));
  }
  return cuts;
}

/** Inputs the scanner cuts differently from the regex (at most 5, quoted). */
function differing(inputs: Iterable<string>): string[] {
  const bad: string[] = [];
  for (const s of inputs) {
    if (scan(s).join() !== regexCuts(QWEN2_REGEX, s).join() && bad.push(JSON.stringify(s)) >= 5) break;
  }
  return bad;
}

describe("Qwen2's pre-tokenizer", () => {
  it('rewrites (?i:...) and \\s for JavaScript as Tokenizers.js does: the same pieces on every torture string', () => {
    const theirs = new SplitPreTokenizer({ type: 'Split', pattern: { Regex: QWEN2_PATTERN }, behavior: 'Isolated', invert: false });
    const pieces = (s: string): string[] => {
      const cuts = regexCuts(QWEN2_REGEX, s);
      return cuts.map((c, i) => s.slice(i === 0 ? 0 : cuts[i - 1], c));
    };
    const bad = [...tortureStrings(), ...MULTILINGUAL, ...LONE_SURROGATES].filter((s) => pieces(s).join('\0') !== theirs.pre_tokenize_text(s).join('\0'));
    expect(bad.slice(0, 5).map((s) => JSON.stringify(s))).toEqual([]);
    expect(pieces("I'M here, THEY'LL go")).toEqual(['I', "'M", ' here', ',', ' THEY', "'LL", ' go']);
    expect(pieces('x\u0085y\ufeffz')).toEqual(['x', '\u0085y', '\ufeffz']); // U+0085 is White_Space, U+FEFF is not
  });

  it('the scanner cuts every torture string, lone surrogates and 300 kB of tweets where the regex does', () => {
    expect(differing([...tortureStrings(), ...MULTILINGUAL, ...LONE_SURROGATES, ...tweetLikeTexts(3e5, 5)])).toEqual([]);
  });

  it('the scanner classes every code point as the regex does, in every position the pattern cares about', () => {
    const contexts = (c: string): string[] => [
      c, ` ${c}`, `'${c}`, `${c}a`, `a${c}b`, `1${c}2`, `  ${c}x`, `${c}${c} `, `!${c}?`, `\n${c}`, `${c}\r\n`, ` ${c}\n!`, `${c}  `,
    ];
    const inputs: string[] = [];
    for (let cp = 0; cp < 0x10000; cp++) inputs.push(...contexts(String.fromCharCode(cp)));
    for (let cp = 0x10000; cp < 0x110000; cp += 61) inputs.push(...contexts(String.fromCodePoint(cp)));
    expect(differing(inputs)).toEqual([]);
  });

  it('a pattern other than Qwen2\'s exact one runs through the compiled regex, with the same ids as Tokenizers.js', () => {
    const { json, config } = qwenFiles();
    const file = JSON.parse(json);
    const split = file.pre_tokenizer.pretokenizers[0];
    const inputs = [...tortureStrings().slice(0, 800), ...MULTILINGUAL, ...tweetLikeTexts(3e4, 6)];
    const qwen = TokenizerJsonBPE.fromFiles(json, config);
    // The same pattern in a group: the regex path must give the scanner's ids.
    split.pattern.Regex = `(?:${QWEN2_PATTERN})`;
    const grouped = TokenizerJsonBPE.fromFiles(JSON.stringify(file), config);
    expect(grouped.tables.pipeline!.stages[0].type).toBe('regex');
    expect(inputs.filter((s) => grouped.encode(s).join() !== qwen.encode(s).join()).slice(0, 5)).toEqual([]);
    // Llama 3's pattern (numbers in runs of up to three) on Qwen's vocabulary.
    split.pattern.Regex = QWEN2_PATTERN.replace('\\p{N}|', '\\p{N}{1,3}|');
    const llama3 = TokenizerJsonBPE.fromFiles(JSON.stringify(file), config);
    const ref = referenceWithoutAddedTokens(file);
    expect(inputs.filter((s) => llama3.encode(s).join() !== ref(s).join()).slice(0, 5).map((s) => JSON.stringify(s))).toEqual([]);
    const stage = llama3.tables.pipeline!.stages[0];
    expect(stage.type === 'regex' && regexCuts(new RegExp(stage.source, 'gu'), '1234567')).toEqual([3, 6, 7]);
  });
});

describe('the NFC shortcut', () => {
  it('skips normalize() only where it would change nothing: every code point, alone, after a base, before a mark', () => {
    const contexts = (c: string): string[] => [c, `a${c}`, `${c}\u0301`, `\u1100${c}`, `${c}\u1161`, `\uac00${c}`, `か${c}`, `${c}\u3099`, `e${c}\u0301`];
    const wrong: string[] = [];
    let skipped = 0;
    const check = (c: string): void => {
      for (const s of contexts(c)) {
        if (mayChangeUnderNfc(s)) continue;
        skipped++;
        if (s.normalize('NFC') !== s && wrong.push(JSON.stringify(s)) >= 5) return;
      }
    };
    for (let cp = 0; cp < 0x110000 && wrong.length < 5; cp += cp < 0x30000 ? 1 : 61) check(String.fromCodePoint(cp));
    expect(wrong).toEqual([]);
    expect(skipped).toBeGreaterThan(500_000); // it does skip: most characters are stable
    expect(mayChangeUnderNfc('東京でラーメン🍜 hello')).toBe(false);
    expect(mayChangeUnderNfc('cafe\u0301')).toBe(true);
  });
});

describe('compileOniguruma', () => {
  it('folds ASCII case inside (?i:...) only, classes included', () => {
    const re = new RegExp(`^(?:${compileOniguruma("(?i:a[b-d][^x]'s)E")})$`, 'u');
    for (const s of ["aBy'sE", "ACY'SE", "abz'sE"]) expect(re.test(s), s).toBe(true);
    // [^x] lacks X too; E outside the group is case-sensitive; ſ is not an ASCII fold of s.
    for (const s of ["abX'sE", "abz'se", "abc'ſE"]) expect(re.test(s), s).toBe(false);
  });

  it('refuses what it cannot rewrite faithfully, naming it in one line', () => {
    const cases: [string, RegExp][] = [
      ['(a)\\1', /escape \\1/], ['a++', /possessive/], ['(?i)abc', /group "\(\?i\)/], ['[a[b]]', /nested/],
      ['a*', /empty string/], ['(ab', /unclosed "\("/], ['ab)', /unmatched/], ['[ab', /unclosed "\["/], ['\\p{Bogus}', /does not compile/],
      ['a'.repeat(10_001), /longer than/],
    ];
    for (const [pattern, message] of cases) {
      expect(() => compileOniguruma(pattern), pattern.slice(0, 20)).toThrow(message);
      try {
        compileOniguruma(pattern);
      } catch (e) {
        expect((e as Error).message.split('\n')).toHaveLength(1);
      }
    }
  });
});

describe('tokenizer.json checks', () => {
  let base: Record<string, unknown>;
  beforeAll(() => {
    base = gpt2TokenizerJson({ type: 'ByteLevel', add_prefix_space: false, use_regex: true });
  });
  const edited = (edit: (f: Record<string, any>) => void): string => {
    const f = structuredClone(base) as Record<string, any>;
    edit(f);
    return JSON.stringify(f);
  };

  it('refuses files that do not fit with one readable line, naming what is wrong', () => {
    const cases: [string, string | undefined, RegExp][] = [
      ['not json', undefined, /tokenizer\.json is not JSON/],
      ['[1]', undefined, /must be an object/],
      [edited((f) => (f.model.type = 'WordPiece')), undefined, /model type "WordPiece" is not supported/],
      [edited((f) => (f.model.byte_fallback = true)), undefined, /byte_fallback is not supported/],
      [edited((f) => (f.model.ignore_merges = true)), undefined, /ignore_merges is not supported/],
      [edited((f) => (f.pre_tokenizer = { type: 'Metaspace', replacement: '▁' })), undefined, /pre-tokenizer type "Metaspace" is not supported/],
      [edited((f) => (f.pre_tokenizer = { type: 'Digits', individual_digits: true })), undefined, /no ByteLevel step/],
      [edited((f) => (f.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: 'a' }, behavior: 'Removed' }, base.pre_tokenizer] })), undefined, /behavior "Removed" is not supported/],
      [edited((f) => (f.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: '(a)\\1' }, behavior: 'Isolated' }, base.pre_tokenizer] })), undefined, /escape \\1/],
      [edited((f) => (f.pre_tokenizer = { type: 'Sequence', pretokenizers: [{ type: 'Digits' }, { type: 'ByteLevel', add_prefix_space: true }] })), undefined, /add_prefix_space is supported only as the first/],
      [edited((f) => (f.normalizer = { type: 'Lowercase' })), undefined, /normalizer type "Lowercase" is not supported/],
      [edited((f) => (f.decoder = { type: 'Metaspace' })), undefined, /decoder type "Metaspace" is not supported/],
      [edited((f) => (f.model.vocab.hello = 2 ** 21)), undefined, /id of "hello" is not a whole number/],
      [edited((f) => (f.model.vocab.hello = 1.5)), undefined, /id of "hello" is not a whole number/],
      [edited((f) => (f.model.vocab.hello = 5)), undefined, /id 5 is given to two tokens/],
      [edited((f) => delete f.model.vocab['Ġ']), undefined, /lacks the single-byte token for byte 32/],
      [edited((f) => f.model.merges.unshift('Ġ zzzzqq')), undefined, /merge 1 \("Ġ" "zzzzqq"\) names a token that the vocabulary lacks/],
      [edited((f) => f.model.merges.unshift(['a', 'b', 'c'])), undefined, /merge 1 is not "left right"/],
      [edited((f) => (f.added_tokens = [{ id: -1, content: '<x>' }])), undefined, /id of added token "<x>" is not a whole number/],
      [edited((f) => ((f.added_tokens = []), delete f.model.vocab['<|endoftext|>'])), undefined, /no <\|endoftext\|> token/],
      [JSON.stringify(base), '{"eos_token": "<|nope|>"}', /eos_token "<\|nope\|>" is not a token/],
      [JSON.stringify(base), 'nope', /tokenizer_config\.json is not JSON/],
    ];
    for (const [json, config, message] of cases) {
      let error: Error | undefined;
      try {
        TokenizerJsonBPE.fromFiles(json, config);
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message, String(message)).toMatch(message);
      expect(error!.message.split('\n')).toHaveLength(1);
    }
  });

  it('takes eos_token from tokenizer_config.json, as a string or an added-token object', () => {
    const json = JSON.stringify(base);
    expect(TokenizerJsonBPE.fromFiles(json).eosId).toBe(50256);
    expect(TokenizerJsonBPE.fromFiles(json, '{"eos_token": "!"}').eosId).toBe(0);
    expect(TokenizerJsonBPE.fromFiles(json, '{"eos_token": {"content": "\\"", "special": true}}').eosId).toBe(1);
  });
});
