// Long posts: note-tweet.js holds the whole text; tweets.js holds a cut copy ending in `…`.
// They share no id, so a cut tweet is matched to the note created in the same second
// whose text begins with the cut text (compared without entities, URLs and extra spaces:
// tweets.js has t.co links and HTML escapes where the note has neither).
import type { NoteTweet } from './entries.ts';
import type { TweetTable } from './tweet-table.ts';

const MONTHS: Record<string, number> = { Jan: 0, Feb: 1, Mar: 2, Apr: 3, May: 4, Jun: 5, Jul: 6, Aug: 7, Sep: 8, Oct: 9, Nov: 10, Dec: 11 };

/** Seconds since the epoch for `Wed Oct 10 20:19:24 +0000 2018` (tweets.js) or ISO 8601 (note-tweet.js). */
export function epochSeconds(time: string): number | undefined {
  const m = /^\w{3} (\w{3}) (\d{1,2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$/.exec(time.trim());
  if (m) {
    const month = MONTHS[m[1]];
    if (month === undefined) return undefined;
    const offsetMin = (m[6] === '-' ? -1 : 1) * (Number(m[7]) * 60 + Number(m[8]));
    const ms = Date.UTC(Number(m[9]), month, Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]));
    return ms / 1000 - offsetMin * 60;
  }
  const ms = Date.parse(time);
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}

/** Text as compared: entities decoded, URLs (whole or cut) and the ellipsis gone, spaces collapsed. */
export function comparable(text: string): string {
  return text
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&')
    .replace(/https?:\/\/\S*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The cut copy's prefix, or undefined when the tweet is not a cut long post. */
function cutPrefix(fullText: string): string | undefined {
  const body = withoutTrailingLinks(fullText);
  if (!body.endsWith('…')) return undefined;
  return comparable(body.slice(0, -1));
}

const SPACE = /\s/;
const LINK = /^https?:\/\/\S+$/;

/**
 * The text without the links that end it (the `…` may be followed by a t.co link to the
 * whole post) nor trailing spaces. A word at a time from the end: the regular expression
 * that says the same, /(?:\s+https?:\/\/\S+)+\s*$/, backtracks quadratically on long spaces.
 */
export function withoutTrailingLinks(text: string): string {
  let end = text.length;
  for (;;) {
    while (end > 0 && SPACE.test(text[end - 1])) end--;
    let word = end;
    while (word > 0 && !SPACE.test(text[word - 1])) word--;
    if (word === 0 || !LINK.test(text.slice(word, end))) return text.slice(0, end);
    end = word;
  }
}

/**
 * The notes of one second, sorted by comparable text, so the notes a cut text begins are one
 * run found by binary search; a tree over that order gives the first unused note of the run
 * in archive order. Each tweet costs O(log n) however many notes share its second.
 */
class SecondNotes {
  readonly texts: string[];
  readonly notes: NoteTweet[];
  /** Segment tree over sorted positions: the smallest archive index still unused (Infinity when none). */
  #tree: Float64Array;
  #size = 1;

  constructor(list: { note: NoteTweet; text: string; index: number }[]) {
    list.sort((a, b) => (a.text < b.text ? -1 : a.text > b.text ? 1 : a.index - b.index));
    this.texts = list.map((c) => c.text);
    this.notes = list.map((c) => c.note);
    while (this.#size < list.length) this.#size *= 2;
    this.#tree = new Float64Array(2 * this.#size).fill(Infinity);
    list.forEach((c, pos) => { this.#tree[this.#size + pos] = c.index; });
    for (let i = this.#size - 1; i >= 1; i--) this.#tree[i] = Math.min(this.#tree[2 * i], this.#tree[2 * i + 1]);
  }

  /** Takes the first unused note (in archive order) whose text begins with `prefix`. */
  take(prefix: string): NoteTweet | undefined {
    const lo = this.#search(0, (t) => t < prefix);
    const hi = this.#search(lo, (t) => t.startsWith(prefix));
    const pos = this.#firstFree(lo, hi);
    if (pos < 0) return undefined;
    let i = this.#size + pos;
    this.#tree[i] = Infinity;
    for (i >>= 1; i >= 1; i >>= 1) this.#tree[i] = Math.min(this.#tree[2 * i], this.#tree[2 * i + 1]);
    return this.notes[pos];
  }

  /** The first position from `from` where `pred` stops holding (it holds on a prefix of the rest). */
  #search(from: number, pred: (text: string) => boolean): number {
    let lo = from, hi = this.texts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (pred(this.texts[mid])) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** The sorted position in [lo, hi) holding the smallest unused archive index, or -1. */
  #firstFree(lo: number, hi: number): number {
    let best = Infinity, at = -1;
    const visit = (node: number) => { if (this.#tree[node] < best) { best = this.#tree[node]; at = node; } };
    for (let l = lo + this.#size, r = hi + this.#size; l < r; l >>= 1, r >>= 1) {
      if (l & 1) visit(l++);
      if (r & 1) visit(--r);
    }
    if (at < 0) return -1;
    while (at < this.#size) at = this.#tree[2 * at] === best ? 2 * at : 2 * at + 1;
    return at - this.#size;
  }
}

/**
 * Replaces each cut tweet's text by its note's text (TweetTable.joinNote). Each note joins at
 * most one tweet: the first unused note of the same second whose text begins with the cut
 * text, in archive order. Returns how many were joined.
 */
export function joinNoteTweets(tweets: TweetTable, notes: NoteTweet[]): number {
  if (notes.length === 0) return 0;
  const lists = new Map<number, { note: NoteTweet; text: string; index: number }[]>();
  notes.forEach((note, index) => {
    const s = epochSeconds(note.createdAt);
    if (s === undefined) return;
    let list = lists.get(s);
    if (!list) lists.set(s, (list = []));
    list.push({ note, text: comparable(note.text), index });
  });
  const bySecond = new Map<number, SecondNotes>();
  for (const [s, list] of lists) bySecond.set(s, new SecondNotes(list));
  let joined = 0;
  for (let row = 0; row < tweets.length; row++) {
    const s = epochSeconds(tweets.createdAt(row));
    const candidates = s === undefined ? undefined : bySecond.get(s);
    if (!candidates) continue;
    const prefix = cutPrefix(tweets.fullText(row));
    if (prefix === undefined) continue;
    const match = candidates.take(prefix);
    if (!match) continue;
    tweets.joinNote(row, match.text);
    joined++;
  }
  return joined;
}
