// The two counting rules of docs/design.md#counting-rules. Both clean the text the same way (clean.ts) and
// set aside the tokens holding `http`, `@` or `#`; they differ in how words are counted.
//   huggingtweets: whitespace-separated tokens (so most Japanese tweets are "short");
//   multilingual (default): Intl.Segmenter word-like segments, in the tweet's language.
import type { RawTweet } from '../archive/types.ts';
import { cleanText, isBoringToken, isRetweet, splitWords } from './clean.ts';
import type { Reason, Rule } from './types.ts';
import { NO_LANGUAGE } from './languages.ts';

export type { Reason, Rule } from './types.ts';
export { DEFAULT_RULE, RULES } from './types.ts';

/** A tweet with fewer words than this is "short" (huggingtweets' boring_tweet). */
export const MIN_WORDS = 3;

const segmenters = new Map<string, Intl.Segmenter>();

/** One Segmenter per language (they are costly to build); unknown tags fall back to 'en'. */
function segmenterFor(lang: string | undefined): Intl.Segmenter {
  const key = lang && !NO_LANGUAGE.has(lang.toLowerCase()) ? lang : 'en';
  let s = segmenters.get(key);
  if (!s) {
    try {
      s = new Intl.Segmenter(key, { granularity: 'word' });
    } catch {
      s = segmenterFor('en');
    }
    segmenters.set(key, s);
  }
  return s;
}

/**
 * Word-like segments of `text` (ICU's dictionaries split Japanese, Chinese and Thai into
 * words), counting stops at `limit`: segmenting is the costly part of the multilingual rule.
 */
export function segmentWords(text: string, lang?: string, limit = Infinity): number {
  let n = 0;
  for (const seg of segmenterFor(lang).segment(text)) {
    if (seg.isWordLike && ++n >= limit) break;
  }
  return n;
}

/**
 * A character that makes any space-separated token hold at least one word-like segment,
 * whatever surrounds it: letters but modifier letters (々 alone is not a word) and decimal
 * digits; not Hangul, whose syllables followed by a combining mark lose their word status
 * in ICU. Checked over every code point by tests/unit/dataset-segmenter.test.ts.
 */
export const SURE_WORD_CHAR = /(?![\u1100-\u11ff\u3130-\u318f\ua960-\ua97f\uac00-\ud7ff])[\p{Lu}\p{Ll}\p{Lt}\p{Lo}\p{Nd}]/u;

/** Words of a cleaned text under `rule`, the `http`/`@`/`#` tokens set aside; at most `limit`. */
export function countWords(cleaned: string, rule: Rule, lang?: string, limit = Infinity): number {
  const words = splitWords(cleaned).filter((w) => !isBoringToken(w));
  if (rule === 'huggingtweets') return Math.min(words.length, limit);
  if (words.length === 0) return 0;
  // Fast path: `limit` tokens that each surely hold a word settle it without segmenting
  // (segments never span the spaces between tokens). Most English tweets end here.
  if (limit <= words.length) {
    let sure = 0;
    for (const w of words) if (SURE_WORD_CHAR.test(w) && ++sure >= limit) return limit;
  }
  return segmentWords(words.join(' '), lang, limit);
}

/** Why a tweet is kept or dropped, and its cleaned text (the training text when kept). */
export function classifyTweet(t: RawTweet, rule: Rule, excludeReplies = false): { reason: Reason; text: string } {
  const text = cleanText(t.fullText);
  if (isRetweet(t.fullText)) return { reason: 'retweet', text };
  if (excludeReplies && t.inReplyToStatusId) return { reason: 'reply', text };
  return { reason: countWords(text, rule, t.lang, MIN_WORDS) < MIN_WORDS ? 'short' : 'kept', text };
}
