// The languages of the kept tweets, from Twitter's per-tweet `lang`: the BCP-47 tag its
// detector gave the tweet, or one of its pseudo-languages. A model card's `language:` lists
// the languages the model was trained on (cardLanguages' rule); the codes are archive
// strings, so only tag-shaped ones are ever counted.
import type { DatasetRows } from './types.ts';

/** Twitter's pseudo-languages: undetermined, media/hashtags/mentions/cashtags only, too short, no text. */
export const NO_LANGUAGE: ReadonlySet<string> = new Set(['und', 'qme', 'qht', 'qam', 'qct', 'qst', 'zxx']);

/** A BCP-47-shaped tag, lowercased: a 2-3 letter language, then 2-8 character subtags. */
const TAG = /^[a-z]{2,3}(?:-[a-z0-9]{2,8})*$/;
/** Longest tag looked at: a language and a few subtags; past it an archive string is not one. */
const MAX_TAG_CHARS = 35;
/** ISO 639's private-use range (qaa-qtz), where Twitter's pseudo-languages live; ISO's "multiple", "uncoded". */
const NOT_A_LANGUAGE = /^(?:q[a-t][a-z]|mul|mis)$/;
/** Codes Twitter still writes that ISO 639-1 replaced: Indonesian, Hebrew, Yiddish. */
const RENAMED: Readonly<Record<string, string>> = { in: 'id', iw: 'he', ji: 'yi' };

/**
 * The language of a tweet's `lang` as the Hub's metadata names it: the tag's primary subtag
 * (zh-cn and zh-tw are both zh), lowercased, in ISO 639-1's current code; undefined for a
 * pseudo-language or anything not shaped as a tag.
 */
export function languageCode(tag: string | undefined): string | undefined {
  if (typeof tag !== 'string' || tag.length > MAX_TAG_CHARS) return undefined;
  const t = tag.toLowerCase();
  if (!TAG.test(t)) return undefined;
  const primary = t.split('-')[0];
  if (NO_LANGUAGE.has(primary) || NOT_A_LANGUAGE.test(primary)) return undefined;
  return RENAMED[primary] ?? primary;
}

/** Tweets per language code (languageCode's). */
export type LanguageCounts = Record<string, number>;

/** The kept tweets of a dataset per language; tweets without a language are not counted. */
export function keptLanguages(tweets: DatasetRows): LanguageCounts {
  const counts = new Map<string, number>();
  for (let i = 0; i < tweets.length; i++) {
    if (tweets.reason(i) !== 'kept') continue;
    const code = languageCode(tweets.lang(i));
    if (code !== undefined) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** A language is listed on the card when at least this percentage of the kept tweets that have one are in it. */
export const CARD_LANGUAGE_PERCENT = 10;

/**
 * The card's `language:` from kept-tweet counts: every language with at least
 * CARD_LANGUAGE_PERCENT % of the kept tweets that have a language (pseudo-languages aside), most
 * common first (ties by code), the most common always; ['en'] when no kept tweet has a
 * language (huggingtweets' default). Counts may come from storage: keys are checked again
 * with languageCode and merged, and anything but a positive count is ignored.
 */
export function cardLanguages(counts: Readonly<Record<string, unknown>> | null | undefined): string[] {
  const merged = new Map<string, number>();
  if (counts !== null && typeof counts === 'object') {
    for (const [tag, n] of Object.entries(counts)) {
      const code = languageCode(tag);
      if (code !== undefined && typeof n === 'number' && Number.isFinite(n) && n > 0) merged.set(code, (merged.get(code) ?? 0) + n);
    }
  }
  const total = [...merged.values()].reduce((a, b) => a + b, 0);
  const ranked = [...merged].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : a > b ? 1 : 0));
  if (ranked.length === 0) return ['en'];
  return ranked.filter(([, n], i) => i === 0 || n * 100 >= CARD_LANGUAGE_PERCENT * total).map(([code]) => code);
}
