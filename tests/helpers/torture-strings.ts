// Inputs that break tokenizers: every script people tweet in, emoji sequences, odd whitespace,
// contractions in any case, long words. Deterministic (seeded), so a failure names a stable index.
// Also a generator of tweet-like text for the pool test and bench/tokenizer.ts.
import { mulberry32 as rng } from '../../src/lib/rng.ts';
export { rng };


const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];

/** Hand-picked fragments, one idea each. */
export const FRAGMENTS: readonly string[] = [
  // Japanese, Chinese, Korean, Thai, Arabic, Hindi, and a few more scripts
  'こんにちは、世界！', '今日はいい天気ですね。散歩に行きました🚶', 'ひろゆきです。それってあなたの感想ですよね？',
  'カタカナとひらがなと漢字', 'ｶﾀｶﾅ半角', '東京都渋谷区', '我今天很高兴，因为天气很好。', '繁體中文測試：臺灣',
  '你好世界', '안녕하세요, 세계!', '한국어 트윗입니다 ㅋㅋㅋ', 'สวัสดีครับ วันนี้อากาศดีมาก', 'ภาษาไทยไม่มีช่องว่างระหว่างคำ',
  'مرحبا بالعالم', 'السلام عليكم ورحمة الله', 'نص عربي مع أرقام ١٢٣٤', 'नमस्ते दुनिया', 'हिन्दी में ट्वीट करना',
  'Привет, мир!', 'Γειά σου Κόσμε', 'שלום עולם', 'Xin chào thế giới', 'Tiếng Việt có dấu', 'ሰላም ዓለም',
  'Здравствуйте', 'Ελληνικά', 'ქართული', 'Հայերեն', 'தமிழ்', 'বাংলা', 'ગુજરાતી', 'ਪੰਜਾਬੀ', 'မြန်မာ', 'ខ្មែរ',
  // emoji: ZWJ families, skin tones, flags, keycaps, variation selectors
  '👨‍👩‍👧‍👦', '👩🏽‍💻', '🧑🏿‍🚀', '👍🏻👍🏼👍🏽👍🏾👍🏿', '🏳️‍🌈', '🏳️‍⚧️', '❤️‍🔥', '🇯🇵🇺🇸🇫🇷', '🇩🇪', '🏴󠁧󠁢󠁳󠁣󠁴󠁿',
  '1️⃣ #️⃣ *️⃣', '☺️☺︎', '😂😂😂', '🎉🎉 party 🎉', '🤷‍♀️', '🫠🫶🪿', '👋 hi', 'ok👌', '💯%',
  // combining marks, full-width, math alphanumerics
  'e\u0301te\u0301', 'Zalgo: Z\u0335\u0321a\u0336\u0322l\u0337g\u0338o\u0334', 'n\u0303', 'a\u0308\u0304',
  'ＡＢＣ　ｄｅｆ１２３！？', 'ＴＷＥＥＴ', '（全角括弧）', '𝐁𝐨𝐥𝐝 𝑰𝒕𝒂𝒍𝒊𝒄', '𝕏 𝓗𝓮𝓵𝓵𝓸', '𝟙𝟚𝟛', 'ℝ ℕ ℤ ∀x∃y',
  // whitespace: tabs, CRLF, runs of spaces, no-break and exotic spaces
  '\t', 'a\tb', '\t\tindented', 'line1\r\nline2', '\r\n\r\n', 'a  b', 'a   b    c', '     ', 'end   ', '   start',
  '\n\n\n', 'x\n \ny', ' \u00a0 ', 'no\u00a0break', 'ideo\u3000space', 'thin\u2009space', 'zero\u200bwidth',
  'zw\u200cnj\u200d', 'nel\u0085line', '\u0085', 'bom\ufeffinside', '\ufeffstart', ' \ufeff!', 'a \u0085 b',
  'line\u2028sep', 'para\u2029sep', 'vt\u000bff\u000c', '\u0000\u0001\u001f\u007f',
  // contractions (GPT-2's are lower-case only), curly apostrophes
  "I'm", "I'M", "i'M", "they've", "they'Ve", "THEY'VE", "it's", "IT'S", "It'S", "we're", "WE'RE", "we'Re",
  "you'll", "YOU'LL", "you'Ll", "she'd", "SHE'D", "don't", "DON'T", "Don'T", "'s", "'S", "''s", "rock'n'roll",
  "I’m", "don’t", "'tis", "y'all", "o'clock", "'ll", "'LL", "'d'", "'re're",
  // URLs, handles, hashtags, code
  'https://t.co/AbC123xYz', 'http://example.com/path?q=1&r=two#frag', 'www.example.org', '@jack', '@user_name123',
  '#hashtag', '#日本語タグ', 'RT @someone: hello', 'mailto:a@b.co', '&amp; &lt; &gt;',
  'const x = (a, b) => a + b;', 'if (x != null) { return x[0]; }', 'def f(x):\n    return x ** 2',
  '<div class="a">Hi</div>', '{"key": [1, 2, 3]}', 'SELECT * FROM t WHERE id = 1;', '$ npm run -s cli -- tokenize',
  'foo_bar.baz()', '#!/usr/bin/env node', '// comment', '/* block */', 'a->b', '0x1F600', '~/.config',
  // numbers
  '1,000,000', '3.14159', '-42', '2026-11-26T00:10:06Z', '１２３', '١٢٣', '²³', 'Ⅻ', '½', '10%', '$5.99', '№1',
  // the end-of-text marker is ordinary text
  '<|endoftext|>', 'a<|endoftext|>b', ' <|endoftext|> ', '<|endoftext|><|endoftext|>',
  // odd characters
  '\ue000', '\u{10ffff}', '\u{1f600}', '￿', '\ufffd', '\u00ad', 'ſ', 'ǅ', 'ß', 'İstanbul', 'ﬁ', '…', '—', '„“”',
  '',
];

/** Long words: 300 characters of one kind, the worst case for the merge loop. */
function longWords(r: () => number): string[] {
  const letters = 'abcdefghijklmnopqrstuvwxyz';
  const randomLetters = Array.from({ length: 300 }, () => pick(r, letters.split(''))).join('');
  return [
    'a'.repeat(300), 'ab'.repeat(150), randomLetters, ' ' + randomLetters, randomLetters.toUpperCase(),
    '1'.repeat(300), '9876543210'.repeat(30), '!'.repeat(300), ' '.repeat(300), '\n'.repeat(300),
    'あ'.repeat(300), Array.from({ length: 300 }, () => pick(r, [...'日本語漢字東京大阪'])).join(''),
    '😂'.repeat(150), 'ก'.repeat(300), 'x'.repeat(299) + "'s", 'supercalifragilisticexpialidocious'.repeat(9),
  ];
}

/** Contractions in every case: "'s" "'S", "'ll" "'Ll" "'lL" "'LL", ... after several words. */
function contractionCases(): string[] {
  const out: string[] = [];
  for (const suffix of ['s', 't', 're', 've', 'm', 'll', 'd']) {
    const n = suffix.length;
    for (let mask = 0; mask < 1 << n; mask++) {
      const cased = [...suffix].map((c, i) => ((mask >> i) & 1 ? c.toUpperCase() : c)).join('');
      for (const word of ['I', 'they', 'IT', 'We']) out.push(`${word}'${cased}`, `${word}'${cased} here`);
    }
  }
  return out;
}

const SEPARATORS = [' ', '', '\n', '\t', '  ', '\r\n', ' \n', '\u3000', '. ', ', ', '!'];

/** The torture list: >= 2,000 strings (fragments alone, padded, long words, and seeded mixes). */
export function tortureStrings(count = 2400, seed = 20261126): string[] {
  const r = rng(seed);
  const out: string[] = [];
  for (const f of FRAGMENTS) out.push(f, ' ' + f, f + ' ', `x${f}y`, `\n${f}\n`);
  out.push(...longWords(r), ...contractionCases());
  while (out.length < count) {
    const k = 2 + Math.floor(r() * 4);
    let s = '';
    for (let i = 0; i < k; i++) s += (i ? pick(r, SEPARATORS) : '') + pick(r, FRAGMENTS);
    out.push(s);
  }
  return out;
}

/** Strings that cannot round-trip through UTF-8 (lone surrogates): they encode as U+FFFD. */
export const LONE_SURROGATES: readonly string[] = ['\ud800', 'a\udc00b', '\ud83d', 'x\ud83d y', '\udfff\ud800'];

// ---------------------------------------------------------------------------------------------
// Tweet-like text, for throughput and the pool

const COMMON = ('the be to of and a in that have I it for not on with he as you do at this but his by from they we ' +
  'say her she or an will my one all would there their what so up out if about who get which go me when make can ' +
  'like time no just him know take people into year your good some could them see other than then now look only ' +
  'come its over think also back after use two how our work first well way even new want because any these give ' +
  'day most us is was are been has had were said did love today lol really great thanks happy need tweet new ' +
  'game music coffee night morning weekend friends life never always feel going watching reading').split(' ');
const SYLLABLES = ['ka', 'to', 'ri', 'mon', 'zel', 'ph', 'qu', 'ing', 'tion', 'st', 'ar', 'ex', 'ly', 'oo', 'bra'];
const JAPANESE = ['今日は', 'とても', '楽しかった', 'ありがとう', '明日', '仕事', 'ラーメン', '食べた', 'です', '。', '！', '、'];
const EMOJI = ['😂', '🎉', '❤️', '👍🏽', '🔥', '🙏', '👨‍👩‍👧', '🇯🇵', '✨', '😭'];

/** One tweet-like text: mostly English words (Zipf-ish), handles, hashtags, emoji, some Japanese. */
export function tweetLike(r: () => number): string {
  if (r() < 0.1) {
    const n = 3 + Math.floor(r() * 20);
    return Array.from({ length: n }, () => pick(r, JAPANESE)).join('') + (r() < 0.5 ? pick(r, EMOJI) : '');
  }
  const n = 4 + Math.floor(r() * 30);
  const words: string[] = [];
  for (let i = 0; i < n; i++) {
    const x = r();
    if (x < 0.8) {
      const w = COMMON[Math.floor(COMMON.length * r() ** 2)]; // small indices more often
      words.push(r() < 0.08 ? w[0].toUpperCase() + w.slice(1) : w);
    } else if (x < 0.88) {
      words.push(Array.from({ length: 1 + Math.floor(r() * 4) }, () => pick(r, SYLLABLES)).join(''));
    } else if (x < 0.91) words.push('@' + pick(r, SYLLABLES) + pick(r, SYLLABLES) + Math.floor(r() * 100));
    else if (x < 0.94) words.push('#' + pick(r, SYLLABLES) + pick(r, COMMON));
    else if (x < 0.97) words.push(pick(r, EMOJI));
    else words.push(String(Math.floor(r() * 10000)));
  }
  let s = words.join(' ');
  if (r() < 0.5) s += pick(r, ['.', '!', '?', '!!', '...', ' :)', '']);
  if (r() < 0.15) s += '\n' + pick(r, COMMON) + ' ' + pick(r, COMMON);
  return s;
}

/** Tweet-like texts until their UTF-8 size reaches `bytes`. */
export function tweetLikeTexts(bytes: number, seed = 7): string[] {
  const r = rng(seed);
  const out: string[] = [];
  const enc = new TextEncoder();
  for (let total = 0; total < bytes; ) {
    const t = tweetLike(r);
    out.push(t);
    total += enc.encode(t).length;
  }
  return out;
}
