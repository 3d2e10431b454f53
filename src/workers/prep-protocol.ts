// The prep worker's typed protocol, shared by both sides (comlink-style: every call carries
// a request id and gets exactly one reply; the worker also pushes events on its own).
//
// Heavy data stays in the worker: the page holds the table and at most one screenful of
// rows, fetched by range, so 100k tweets never cross to the main thread at once.
import type { AccountStats, ClassifiedTweet, Reason, Rule } from '../lib/dataset/types.ts';
import type { LanguageCounts } from '../lib/dataset/languages.ts';

/** What the explorer can filter by: one reason, every dropped tweet, or everything. */
export type ReasonFilter = Reason | 'dropped' | 'all';

export interface RowQuery {
  reason: ReasonFilter;
  /** Case-insensitive substring of the tweet text; '' matches everything. */
  search: string;
  /** Restrict to one account; omitted = all accounts. */
  username?: string;
  offset: number;
  limit: number;
}

/** One tweet as the explorer shows it: a ClassifiedTweet with its place in the filtered list. */
export interface TweetRow extends ClassifiedTweet {
  /** Position in the filtered list (offset + i), so the page can place it without counting. */
  index: number;
}

export interface RowPage {
  /** Dataset generation the rows come from; a page older than the table is stale. */
  version: number;
  total: number;
  rows: TweetRow[];
}

/** The table and what made it; pushed whenever archives, rule or replies change. */
export interface PrepTable {
  version: number;
  rule: Rule;
  excludeReplies: boolean;
  users: AccountStats[];
  /** Archive names loaded so far, in the order they were added. */
  archives: string[];
  /** Tweets per reason over all accounts, for the explorer's filter labels. */
  reasonCounts: Record<Reason, number>;
  /** Kept tweets per language (languages.ts' codes), for the model card's `language:`. */
  languages: LanguageCounts;
}

export interface TrainingTexts {
  username: string;
  /** Cleaned texts of the kept tweets, in archive order. */
  texts: string[];
}

export interface AddResult {
  /** Names of the archives that loaded. */
  loaded: string[];
  /** Names of the archives that were refused (each also got an 'error' event). */
  failed: string[];
}

/** Every call, its parameters and its result. */
export interface PrepCalls {
  addArchives: { params: { files: File[] }; result: AddResult };
  setOptions: { params: { rule: Rule; excludeReplies: boolean }; result: PrepTable };
  removeAccount: { params: { username: string }; result: PrepTable };
  queryRows: { params: RowQuery; result: RowPage };
  getTrainingTexts: { params: Record<string, never>; result: TrainingTexts[] };
}

export type PrepMethod = keyof PrepCalls;

export type PrepRequest = {
  [M in PrepMethod]: { id: number; method: M; params: PrepCalls[M]['params'] };
}[PrepMethod];

export type PrepReply =
  | { type: 'reply'; id: number; ok: true; result: unknown }
  | { type: 'reply'; id: number; ok: false; error: string };

/** Per-archive progress, from the first byte to the table. */
export interface ArchiveProgress {
  archive: string;
  phase: 'reading' | 'classifying' | 'done' | 'failed';
  bytesRead: number;
  bytesTotal: number;
  tweets: number;
  /** Seconds left at the current rate; null until there is a rate to go by. */
  etaSeconds: number | null;
  /** When done: what was skipped but did not stop the read (unsafe member names), one line each. */
  warnings?: string[];
}

export type PrepEvent =
  | { type: 'progress'; progress: ArchiveProgress }
  | { type: 'table'; table: PrepTable }
  /** One readable line, and the archive it is about. */
  | { type: 'error'; archive: string; message: string };

export type PrepOutMessage = PrepReply | PrepEvent;
