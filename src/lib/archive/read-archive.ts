// readArchive: a Twitter/X archive zip (any Blob) -> its account and raw tweets.
import type { ArchiveContent, ReadOptions } from './types.ts';

export type { Account, ArchiveContent, RawTweet, ReadOptions, ReadProgress } from './types.ts';

export async function readArchive(zip: Blob, name: string, opts: ReadOptions = {}): Promise<ArchiveContent> {
  void zip; void name; void opts;
  throw new Error('not implemented');
}
