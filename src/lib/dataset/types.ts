// The dataset: every tweet with the reason it was kept or dropped, and the per-account table.

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

/** The dataset's tweets, column-wise (DatasetTweets in tweet-rows.ts): no object per tweet. */
export interface DatasetRows extends Iterable<ClassifiedTweet> {
  readonly length: number;
  /** Account names, indexed by user(i). */
  readonly usernames: readonly string[];
  reason(i: number): Reason;
  user(i: number): number;
  username(i: number): string;
  id(i: number): string;
  fullText(i: number): string;
  /** Twitter's language tag of the tweet, as in the archive (untrusted); undefined when it has none. */
  lang(i: number): string | undefined;
  /** The cleaned text, made again from fullText. */
  text(i: number): string;
  /** Row i as an object (a page of rows, never all of them at once). */
  at(i: number): ClassifiedTweet;
}

export interface Dataset {
  rule: Rule;
  excludeReplies: boolean;
  users: AccountStats[];
  tweets: DatasetRows;
}
