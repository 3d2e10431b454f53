// The dataset: every tweet with the reason it was kept or dropped, and the per-account table.
import type { DatasetTweets } from './tweet-rows.ts';

/** huggingtweets: words split on spaces (exact port). multilingual: Intl.Segmenter words (default). */
export type Rule = 'huggingtweets' | 'multilingual';
export const DEFAULT_RULE: Rule = 'multilingual';
export const RULES: readonly Rule[] = ['huggingtweets', 'multilingual'];

/** 'reply' only appears when excludeReplies is on. */
export type Reason = 'kept' | 'retweet' | 'short' | 'reply';

/** One dataset row as an object: what the explorer shows, a page at a time. */
export interface ClassifiedTweet {
  id: string;
  username: string;
  createdAt: string;
  /** As in the archive (note text when joined). */
  fullText: string;
  /** Cleaned text: entities decoded, URLs removed, whitespace collapsed. Training text when kept. */
  text: string;
  reason: Reason;
}

export interface AccountStats {
  username: string;
  displayName: string;
  /** downloaded = retweets + short + kept + replies */
  downloaded: number;
  retweets: number;
  short: number;
  kept: number;
  replies: number;
}

export interface Dataset {
  rule: Rule;
  excludeReplies: boolean;
  users: AccountStats[];
  /** Column-wise (tweet-rows.ts): `at(i)` gives row i as a ClassifiedTweet. */
  tweets: DatasetTweets;
}
