// Archives -> the huggingtweets table (one column per account) and every tweet with its reason.
import type { Account, ArchiveContent } from '../archive/types.ts';
import { classifyTweet } from './rules.ts';
import { DatasetTweets, TweetRefs } from './tweet-rows.ts';
import type { AccountStats, Dataset, Rule } from './types.ts';

export type { AccountStats, ClassifiedTweet, Dataset, Reason, Rule } from './types.ts';
export { DatasetTweets, TweetRefs } from './tweet-rows.ts';

/** One account's tweets gathered from every archive it came in. */
export interface MergedAccount {
  /** The archives' names, joined with " + ". */
  name: string;
  account: Account;
  tweets: TweetRefs;
}

/**
 * One entry per account (usernames compare case-insensitively, as Twitter's do), in order
 * of first appearance; the same account dropped twice merges, each tweet id kept once
 * (the first copy, unless a later copy is joined to its long post and the first is not).
 */
export function mergeArchives(contents: (ArchiveContent | MergedAccount)[]): MergedAccount[] {
  const byUser = new Map<string, { merged: MergedAccount; index: Map<string, number> }>();
  for (const c of contents) {
    const key = c.account.username.toLowerCase();
    let slot = byUser.get(key);
    if (!slot) {
      slot = { merged: { name: c.name, account: { ...c.account }, tweets: new TweetRefs() }, index: new Map() };
      byUser.set(key, slot);
    } else if (!slot.merged.name.split(' + ').includes(c.name)) {
      slot.merged.name += ` + ${c.name}`;
    }
    const { tweets } = slot.merged;
    const from = c.tweets;
    for (let i = 0; i < from.length; i++) {
      const [table, row] = from instanceof TweetRefs ? [from.table(i), from.row(i)] : [from, i];
      const id = table.id(row);
      const at = slot.index.get(id);
      if (at === undefined) slot.index.set(id, tweets.push(table, row));
      else if (table.noteJoined(row) && !tweets.noteJoined(at)) tweets.set(at, table, row);
    }
  }
  return [...byUser.values()].map((s) => s.merged);
}

/** Classifies every tweet under `rule`; downloaded = retweets + short + kept + replies per account. */
export function buildDataset(contents: ArchiveContent[], rule: Rule, opts: { excludeReplies?: boolean } = {}): Dataset {
  const excludeReplies = opts.excludeReplies ?? false;
  const users: AccountStats[] = [];
  const tweets = new DatasetTweets();
  for (const m of mergeArchives(contents)) {
    const stats: AccountStats = {
      username: m.account.username, displayName: m.account.displayName,
      downloaded: 0, retweets: 0, short: 0, kept: 0, replies: 0,
    };
    const user = tweets.usernames.push(stats.username) - 1;
    for (let i = 0; i < m.tweets.length; i++) {
      const { reason } = classifyTweet(m.tweets.at(i), rule, excludeReplies);
      stats.downloaded++;
      if (reason === 'retweet') stats.retweets++;
      else if (reason === 'short') stats.short++;
      else if (reason === 'reply') stats.replies++;
      else stats.kept++;
      tweets.add(m.tweets.table(i), m.tweets.row(i), user, reason);
    }
    users.push(stats);
  }
  return { rule, excludeReplies, users, tweets };
}

/** The kept texts of one account (or all), in archive order: the training texts. */
export function keptTexts(dataset: Dataset, username?: string): string[] {
  const out: string[] = [];
  const { tweets } = dataset;
  for (let i = 0; i < tweets.length; i++) {
    if (tweets.reason(i) === 'kept' && (username === undefined || tweets.username(i) === username)) out.push(tweets.text(i));
  }
  return out;
}
