// Archives -> the huggingtweets table (one column per account) and the classified tweets.
import type { ArchiveContent } from '../archive/types.ts';
import type { Dataset, Rule } from './types.ts';

export type { AccountStats, ClassifiedTweet, Dataset, Reason, Rule } from './types.ts';

export function mergeArchives(contents: ArchiveContent[]): ArchiveContent[] {
  void contents;
  throw new Error('not implemented');
}

export function buildDataset(contents: ArchiveContent[], rule: Rule, opts: { excludeReplies?: boolean } = {}): Dataset {
  void contents; void rule; void opts;
  throw new Error('not implemented');
}
