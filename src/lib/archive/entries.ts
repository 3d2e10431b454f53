// One parsed JSON entry -> the typed record we keep (tweets, note tweets, the account).
import { ArchiveError } from './errors.ts';
import { MAX_FIELD_CHARS } from './tweet-table.ts';
import type { Account, RawTweet } from './types.ts';

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * A tweets.js entry: `{"tweet": {...}}` (2020+) or the bare tweet object (2019 archives).
 * Entries without `id_str` and `full_text` are refused, naming the file.
 */
export function toRawTweet(entry: unknown, file: string, index: number): RawTweet {
  const t = isObject(entry) && isObject(entry.tweet) ? entry.tweet : entry;
  const id = isObject(t) ? (str(t.id_str) ?? (typeof t.id === 'string' ? t.id : undefined)) : undefined;
  const fullText = isObject(t) && typeof t.full_text === 'string' ? t.full_text : undefined;
  if (!isObject(t) || id === undefined || fullText === undefined) {
    throw new ArchiveError('bad-shape', `${file}: entry ${index + 1} is not a tweet (no id_str/full_text)`, file);
  }
  const tweet: RawTweet = { id, createdAt: str(t.created_at) ?? '', fullText, noteJoined: false };
  const lang = str(t.lang);
  if (lang) tweet.lang = lang;
  const replyTo = str(t.in_reply_to_status_id_str) ?? str(t.in_reply_to_status_id);
  if (replyTo) tweet.inReplyToStatusId = replyTo;
  const replyName = str(t.in_reply_to_screen_name);
  if (replyName) tweet.inReplyToScreenName = replyName;
  // Ids, times, languages and names run a few dozen characters; TweetTable keeps them short.
  for (const [key, v] of [['id_str', id], ['created_at', tweet.createdAt], ['lang', lang], ['in_reply_to_status_id_str', replyTo], ['in_reply_to_screen_name', replyName]]) {
    if (v !== undefined && v.length > MAX_FIELD_CHARS) {
      throw new ArchiveError('bad-shape', `${file}: entry ${index + 1} is not a tweet (its ${key} runs ${v.length} characters)`, file);
    }
  }
  return tweet;
}

/** A long post from note-tweet.js: `{noteTweet: {noteTweetId, createdAt, core: {text}}}`. */
export interface NoteTweet {
  id: string;
  /** ISO time, e.g. 2023-03-15T12:34:56.000Z */
  createdAt: string;
  /** The whole text, not HTML-escaped. */
  text: string;
}

export function toNoteTweet(entry: unknown, file: string, index: number): NoteTweet {
  const n = isObject(entry) && isObject(entry.noteTweet) ? entry.noteTweet : undefined;
  const core = n && isObject(n.core) ? n.core : undefined;
  const id = n ? str(n.noteTweetId) : undefined;
  if (!n || !core || typeof core.text !== 'string' || id === undefined) {
    throw new ArchiveError('bad-shape', `${file}: entry ${index + 1} is not a note tweet (no noteTweet.core.text)`, file);
  }
  return { id, createdAt: str(n.createdAt) ?? '', text: core.text };
}

/** account.js: `[{"account": {username, accountDisplayName, accountId, ...}}]`. */
export function toAccount(json: unknown, file: string): Account {
  const first = Array.isArray(json) ? json[0] : json;
  const a = isObject(first) && isObject(first.account) ? first.account : undefined;
  const username = a ? str(a.username) : undefined;
  if (!a || !username) throw new ArchiveError('bad-shape', `${file}: no account.username`, file);
  const account: Account = { username, displayName: str(a.accountDisplayName) ?? username };
  const accountId = str(a.accountId);
  if (accountId) account.accountId = accountId;
  return account;
}
