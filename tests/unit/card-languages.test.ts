// The model card's `language:` from the kept tweets' `lang`: Twitter's per-tweet tag, counted
// by the prep session over real archives (the page's path), turned into the card's codes by
// cardLanguages (every language with >= 10 % of the kept tweets that have one, most common
// first) and read back from the card's front matter with PyYAML. Tags are archive strings:
// anything not shaped as a language tag never reaches the YAML.
import { describe, expect, it } from 'vitest';
import { buildArchiveZip, type TweetSpec } from '../../scripts/fixtures/archive.ts';
import { cardLanguages, CARD_LANGUAGE_PERCENT, keptLanguages, languageCode } from '../../src/lib/dataset/languages.ts';
import { DatasetTweets } from '../../src/lib/dataset/tweet-rows.ts';
import { modelCard } from '../../src/lib/model/model-card.ts';
import { storedCardTable } from '../../src/lib/storage/db.ts';
import { cardInfo, type CardTable } from '../../src/ui/export/card-info.ts';
import type { PrepTable } from '../../src/workers/prep-protocol.ts';
import { PrepSession } from '../../src/workers/prep-session.ts';
import { frontMatter, pyYaml } from '../helpers/hostile-card.ts';

const JA = ['今日は本当にいい天気ですね', '新しい本を買ったので読んでみます', '明日の会議の準備をしなければならない', '駅前のカフェでコーヒーを飲んでいます'];
const EN = ['the first kept tweet here', 'another day another coffee break', 'reading a new book about birds'];

/** n tweets in `lang`, cycling through `texts`, ids from `from`. */
const tweets = (n: number, lang: string, texts: string[], from: number): TweetSpec[] =>
  Array.from({ length: n }, (_, i) => ({ id: String(from + i), text: `${texts[i % texts.length]} ${i}`, lang }));

async function tableOf(specs: TweetSpec[]): Promise<PrepTable> {
  let table: PrepTable | null = null;
  const s = new PrepSession({ table: (t) => (table = t), error: (a, m) => expect.fail(`${a}: ${m}`), progress: () => {} });
  const zip = buildArchiveZip({ username: 'hiro', displayName: 'ひろ', tweets: specs });
  await s.addArchives([new File([zip as Uint8Array<ArrayBuffer>], 'hiro.zip')]);
  return table!;
}

function cardFrontMatter(table: CardTable): Record<string, unknown> {
  const info = cardInfo({ table, modelSource: 'https://huggingface.co/Qwen/Qwen2.5-0.5B/resolve/main/', config: null, steps: 0, widgetText: 'My dream is', date: '2026-12-06' });
  return pyYaml(frontMatter(modelCard(info))) as Record<string, unknown>;
}

describe('languageCode', () => {
  it("keeps a tag's primary language, lowercased, in ISO 639-1's current code", () => {
    expect(['en', 'JA', 'zh-cn', 'zh-TW', 'en-gb', 'pt', 'in', 'iw', 'fil', 'ckb'].map(languageCode)).toEqual([
      'en', 'ja', 'zh', 'zh', 'en', 'pt', 'id', 'he', 'fil', 'ckb',
    ]);
  });
  it("drops Twitter's pseudo-languages and everything that is not tag-shaped", () => {
    const refused = ['und', 'qme', 'qht', 'qam', 'qct', 'qst', 'zxx', 'qaa', 'mul', 'QME', '', 'e', 'engl', 'en_US', 'en-', 'ja ',
      ' ja', 'ja\n- x', 'ja: x', '"ja"', 'ja-x', '日本', 'en-' + 'a'.repeat(40), undefined, '__proto__', 'constructor'];
    for (const tag of refused) expect(languageCode(tag), JSON.stringify(tag)).toBeUndefined();
  });
});

describe('keptLanguages', () => {
  it('counts kept tweets only, by language code, pseudo-languages and missing tags aside', () => {
    const rows = DatasetTweets.from([
      { id: '1', username: 'a', createdAt: '', fullText: 'x', reason: 'kept', lang: 'ja' },
      { id: '2', username: 'a', createdAt: '', fullText: 'x', reason: 'kept', lang: 'ja' },
      { id: '3', username: 'a', createdAt: '', fullText: 'x', reason: 'short', lang: 'en' },
      { id: '4', username: 'b', createdAt: '', fullText: 'x', reason: 'kept', lang: 'zh-cn' },
      { id: '5', username: 'b', createdAt: '', fullText: 'x', reason: 'kept', lang: 'zh-tw' },
      { id: '6', username: 'b', createdAt: '', fullText: 'x', reason: 'kept', lang: 'und' },
      { id: '7', username: 'b', createdAt: '', fullText: 'x', reason: 'kept' },
      { id: '8', username: 'b', createdAt: '', fullText: 'x', reason: 'retweet', lang: 'fr' },
    ]);
    expect(keptLanguages(rows)).toEqual({ ja: 2, zh: 2 });
  });
});

describe('cardLanguages', () => {
  it(`lists every language with at least ${CARD_LANGUAGE_PERCENT} % of the kept tweets that have one, most common first`, () => {
    expect(cardLanguages({ ja: 90, en: 8, ko: 2 })).toEqual(['ja']);
    expect(cardLanguages({ en: 50, ja: 30, es: 10, fr: 9 })).toEqual(['en', 'ja', 'es']); // es 10/99, fr 9/99
    expect(cardLanguages({ es: 10, en: 90 })).toEqual(['en', 'es']); // exactly 10 % is enough
    expect(cardLanguages({ es: 3, en: 27 })).toEqual(['en', 'es']); // 3/30 = 10 %, whatever floating point says of 0.1 * 30
    expect(cardLanguages({ es: 5, de: 5 })).toEqual(['de', 'es']); // ties by code
    expect(cardLanguages({ 'zh-cn': 5, 'zh-tw': 6, en: 10 })).toEqual(['zh', 'en']); // merged by language
  });
  it('lists the most common language even when none reaches the share', () => {
    const twelve = Object.fromEntries(['ar', 'de', 'en', 'es', 'fr', 'hi', 'it', 'ja', 'ko', 'pt', 'ru', 'tr'].map((c, i) => [c, i === 7 ? 9 : 8]));
    expect(cardLanguages(twelve)).toEqual(['ja']);
  });
  it("says 'en' when no kept tweet has a language, and ignores what storage should not hold", () => {
    expect(cardLanguages({})).toEqual(['en']);
    expect(cardLanguages(undefined)).toEqual(['en']);
    expect(cardLanguages({ und: 40, qme: 9 })).toEqual(['en']);
    expect(cardLanguages({ ja: 3, 'ja\nfoo: bar': 100, 'en: x': 100, de: -5, fr: NaN, es: '7', it: Infinity })).toEqual(['ja']);
  });
});

describe('the card of an archive', () => {
  it("says `language: ja` for a Japanese-majority archive, whatever its English and pseudo-language tweets", async () => {
    const table = await tableOf([
      ...tweets(8, 'ja', JA, 100),
      ...tweets(1, 'en', EN, 200), // 1 of 9 with a language: 11 %, listed
      ...tweets(5, 'und', EN, 300), // no language: not counted
      ...tweets(2, 'qme', EN, 400),
      { id: '500', text: 'RT @x: 今日は本当にいい天気ですね', lang: 'ja' }, // a retweet: not kept
    ]);
    expect(table.languages).toEqual({ en: 1, ja: 8 });
    expect(cardFrontMatter(table).language).toEqual(['ja', 'en']);
    const onlyJa = await tableOf([...tweets(19, 'ja', JA, 100), ...tweets(1, 'en', EN, 200), ...tweets(30, 'und', EN, 300)]);
    expect(cardFrontMatter(onlyJa).language).toBe('ja'); // en: 1 of 20, 5 %
  });
  it('lists the codes of a mixed archive, and keeps them with a run (storedCardTable)', async () => {
    const table = await tableOf([...tweets(6, 'en', EN, 100), ...tweets(3, 'ja', JA, 200), ...tweets(2, 'es', EN, 300), ...tweets(1, 'fr', EN, 400)]);
    expect(table.languages).toEqual({ en: 6, es: 2, fr: 1, ja: 3 });
    const stored = storedCardTable({ rule: table.rule, excludeReplies: table.excludeReplies, users: table.users, languages: table.languages });
    expect(structuredClone(stored).languages).toEqual({ en: 6, es: 2, fr: 1, ja: 3 });
    expect(cardFrontMatter(stored).language).toEqual(['en', 'ja', 'es']); // fr: 1 of 12, 8 %
  });
  it("says 'en' for a run stored without languages, and drops hostile tags a stored table might hold", () => {
    const users = [{ username: 'a', displayName: 'A', downloaded: 1, retweets: 0, short: 0, kept: 1 }];
    expect(cardFrontMatter({ rule: 'multilingual', excludeReplies: false, users }).language).toBe('en');
    const hostile = { 'ja\nbase_model: evil': 50, 'x": y': 50, '- en': 50, ko: 1 };
    const front = cardFrontMatter({ rule: 'multilingual', excludeReplies: false, users, languages: hostile });
    expect(front.language).toBe('ko');
    expect(front.base_model).toBe('Qwen/Qwen2.5-0.5B');
  });
});
