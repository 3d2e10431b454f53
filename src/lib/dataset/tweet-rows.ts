// The dataset's tweets without an object per tweet: each row points at a tweet of an
// archive's TweetTable (two numbers) and adds its account and reason (five bytes). The
// cleaned text is not kept: it is cleanText(fullText), made again for the rows asked for.
import { TweetTable, type RawTweet } from '../archive/tweet-table.ts';
import { cleanText } from './clean.ts';
import type { ClassifiedTweet, DatasetRows, Reason } from './types.ts';

/** Reason codes, as stored (index into this list). */
export const REASONS: readonly Reason[] = ['kept', 'retweet', 'short', 'reply'];

function grow<T extends Uint32Array | Uint8Array>(a: T, need: number, make: (n: number) => T): T {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

/** Tweets of several archives' tables in an order of their own (an account's merged tweets). */
export class TweetRefs implements Iterable<RawTweet> {
  readonly tables: TweetTable[] = [];
  #tableIndex = new Map<TweetTable, number>();
  #src = new Uint32Array(256);
  #row = new Uint32Array(256);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  /** Appends row `row` of `table`; returns its position. */
  push(table: TweetTable, row: number): number {
    const at = this.#length++;
    this.#src = grow(this.#src, this.#length, (n) => new Uint32Array(n));
    this.#row = grow(this.#row, this.#length, (n) => new Uint32Array(n));
    this.set(at, table, row);
    return at;
  }

  /** Points position `at` to row `row` of `table`. */
  set(at: number, table: TweetTable, row: number): void {
    let t = this.#tableIndex.get(table);
    if (t === undefined) {
      t = this.tables.push(table) - 1;
      this.#tableIndex.set(table, t);
    }
    this.#src[at] = t;
    this.#row[at] = row;
  }

  table(i: number): TweetTable {
    this.check(i);
    return this.tables[this.#src[i]];
  }

  row(i: number): number {
    this.check(i);
    return this.#row[i];
  }

  at(i: number): RawTweet {
    return this.table(i).at(this.#row[i]);
  }

  id(i: number): string {
    return this.table(i).id(this.#row[i]);
  }

  fullText(i: number): string {
    return this.table(i).fullText(this.#row[i]);
  }

  lang(i: number): string | undefined {
    return this.table(i).lang(this.#row[i]);
  }

  noteJoined(i: number): boolean {
    return this.table(i).noteJoined(this.#row[i]);
  }

  *[Symbol.iterator](): Iterator<RawTweet> {
    for (let i = 0; i < this.#length; i++) yield this.at(i);
  }

  private check(i: number): void {
    if (!(i >= 0 && i < this.#length)) throw new RangeError(`no tweet ${i} (of ${this.#length})`);
  }
}

/** Every tweet of a dataset with its account and reason, in table order. */
export class DatasetTweets implements DatasetRows {
  /** Account names, indexed by the rows' account numbers. */
  readonly usernames: string[] = [];
  #refs = new TweetRefs();
  #user = new Uint32Array(256);
  #reason = new Uint8Array(256);

  /** Rows from objects (tests, small callers); the texts are made from fullText. */
  static from(tweets: (Omit<ClassifiedTweet, 'text'> & { lang?: string })[]): DatasetTweets {
    const out = new DatasetTweets();
    const table = new TweetTable();
    const users = new Map<string, number>();
    for (const t of tweets) {
      let u = users.get(t.username);
      if (u === undefined) users.set(t.username, (u = out.usernames.push(t.username) - 1));
      table.push({ id: t.id, createdAt: t.createdAt, fullText: t.fullText, noteJoined: false, ...(t.lang ? { lang: t.lang } : {}) });
      out.add(table, table.length - 1, u, t.reason);
    }
    return out;
  }

  get length(): number {
    return this.#refs.length;
  }

  /** Appends a row: row `row` of `table`, of account `user` (an index into usernames). */
  add(table: TweetTable, row: number, user: number, reason: Reason): void {
    const at = this.#refs.push(table, row);
    this.#user = grow(this.#user, at + 1, (n) => new Uint32Array(n));
    this.#reason = grow(this.#reason, at + 1, (n) => new Uint8Array(n));
    this.#user[at] = user;
    this.#reason[at] = REASONS.indexOf(reason);
  }

  reason(i: number): Reason {
    this.#check(i);
    return REASONS[this.#reason[i]];
  }

  /** The row's account number (an index into usernames). */
  user(i: number): number {
    this.#check(i);
    return this.#user[i];
  }

  username(i: number): string {
    return this.usernames[this.user(i)];
  }

  id(i: number): string {
    return this.#refs.id(i);
  }

  fullText(i: number): string {
    return this.#refs.fullText(i);
  }

  lang(i: number): string | undefined {
    return this.#refs.lang(i);
  }

  /** The cleaned text: entities decoded, URLs removed, whitespace collapsed (the training text when kept). */
  text(i: number): string {
    return cleanText(this.fullText(i));
  }

  /** Row `i` as an object (for a page of rows, never for all of them at once). */
  at(i: number): ClassifiedTweet {
    const t = this.#refs.at(i);
    return { id: t.id, username: this.username(i), createdAt: t.createdAt, fullText: t.fullText, text: cleanText(t.fullText), reason: this.reason(i) };
  }

  *[Symbol.iterator](): Iterator<ClassifiedTweet> {
    for (let i = 0; i < this.length; i++) yield this.at(i);
  }

  #check(i: number): void {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`no tweet ${i} (of ${this.length})`);
  }
}
