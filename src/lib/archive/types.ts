// What an archive reads into: the account and its raw tweets, nothing classified yet.
import type { InflateBudget } from './budget.ts';
import type { TweetTable } from './tweet-table.ts';

export type { RawTweet } from './tweet-table.ts';

export interface ReadProgress {
  /** The name given to readArchive (usually the file name). */
  archive: string;
  /** Compressed bytes of the tweet members consumed so far (comparable with bytesTotal). */
  bytesRead: number;
  /** Compressed size of all the members we inflate. */
  bytesTotal: number;
  /** Tweet entries parsed so far. */
  tweets: number;
}

export interface ReadOptions {
  /** Cap on the inflated size of one tweet member; other members get min(this, 16 MiB). */
  maxMemberBytes?: number;
  /** The session's budget across members and archives (budget.ts); a fresh default one if none. */
  budget?: InflateBudget;
  onProgress?: (p: ReadProgress) => void;
  signal?: AbortSignal;
}

export interface Account {
  username: string;
  displayName: string;
  accountId?: string;
}

export interface ArchiveContent {
  name: string;
  account: Account;
  tweets: TweetTable;
  /** What was skipped but did not stop the read (unsafe member names), one line each. */
  warnings?: string[];
  /** Bytes this archive charged to the session's budget (given back when it is removed). */
  charged?: number;
}
