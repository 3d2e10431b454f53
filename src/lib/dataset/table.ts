// Archives -> the huggingtweets table (one column per account) and every tweet with its reason.
import type { ArchiveContent, RawTweet } from '../archive/types.ts';
import { classifyTweet } from './rules.ts';
import type { AccountStats, ClassifiedTweet, Dataset, Rule } from './types.ts';

export type { AccountStats, ClassifiedTweet, Dataset, Reason, Rule } from './types.ts';

/**
 * One entry per account (usernames compare case-insensitively, as Twitter's do), in order
 * of first appearance; the same account dropped twice merges, each tweet id kept once
 * (the first copy, unless a later copy is joined to its long post and the first is not).
 */
export function mergeArchives(contents: ArchiveContent[]): ArchiveContent[] {
  const byUser = new Map<string, { content: ArchiveContent; index: Map<string, number> }>();
  for (const c of contents) {
    const key = c.account.username.toLowerCase();
    let slot = byUser.get(key);
    if (!slot) {
      slot = { content: { name: c.name, account: { ...c.account }, tweets: [] }, index: new Map() };
      byUser.set(key, slot);
    } else if (!slot.content.name.split(' + ').includes(c.name)) {
      slot.content.name += ` + ${c.name}`;
    }
    const { tweets } = slot.content;
    for (const t of c.tweets) {
      const at = slot.index.get(t.id);
      if (at === undefined) {
        slot.index.set(t.id, tweets.length);
        tweets.push(t);
      } else if (t.noteJoined && !tweets[at].noteJoined) {
        tweets[at] = t;
      }
    }
  }
  return [...byUser.values()].map((s) => s.content);
}

/** Classifies every tweet under `rule`; downloaded = retweets + short + kept + replies per account. */
export function buildDataset(contents: ArchiveContent[], rule: Rule, opts: { excludeReplies?: boolean } = {}): Dataset {
  const excludeReplies = opts.excludeReplies ?? false;
  const users: AccountStats[] = [];
  const tweets: ClassifiedTweet[] = [];
  for (const c of mergeArchives(contents)) {
    const stats: AccountStats = {
      username: c.account.username, displayName: c.account.displayName,
      downloaded: 0, retweets: 0, short: 0, kept: 0, replies: 0,
    };
    for (const t of c.tweets) tweets.push(classify(t, stats, rule, excludeReplies));
    users.push(stats);
  }
  return { rule, excludeReplies, users, tweets };
}

function classify(t: RawTweet, stats: AccountStats, rule: Rule, excludeReplies: boolean): ClassifiedTweet {
  const { reason, text } = classifyTweet(t, rule, excludeReplies);
  stats.downloaded++;
  if (reason === 'retweet') stats.retweets++;
  else if (reason === 'short') stats.short++;
  else if (reason === 'reply') stats.replies++;
  else stats.kept++;
  return { id: t.id, username: stats.username, createdAt: t.createdAt, fullText: t.fullText, text, reason };
}

/** The kept texts of one account (or all), in archive order: the training texts. */
export function keptTexts(dataset: Dataset, username?: string): string[] {
  return dataset.tweets.filter((t) => t.reason === 'kept' && (username === undefined || t.username === username)).map((t) => t.text);
}
