// What an archive reads into: the account and its raw tweets, nothing classified yet.

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
  /** Cap on the inflated size of one tweet member; other members get min(this, 64 MiB). */
  maxMemberBytes?: number;
  onProgress?: (p: ReadProgress) => void;
  signal?: AbortSignal;
}

export interface Account {
  username: string;
  displayName: string;
  accountId?: string;
}

export interface RawTweet {
  id: string;
  createdAt: string;
  /** The note text when joined to a long post, else full_text (HTML-escaped as the archive has it). */
  fullText: string;
  lang?: string;
  inReplyToStatusId?: string;
  inReplyToScreenName?: string;
  noteJoined: boolean;
}

export interface ArchiveContent {
  name: string;
  account: Account;
  tweets: RawTweet[];
}
