// Long posts: note-tweet.js holds the whole text; tweets.js holds a cut copy ending in `…`.
// They share no id, so a cut tweet is matched to the note created in the same second
// whose text begins with the cut text (compared without entities, URLs and extra spaces:
// tweets.js has t.co links and HTML escapes where the note has neither).
import type { NoteTweet } from './entries.ts';
import type { RawTweet } from './types.ts';

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
  // The `…` may be followed by a t.co link to the whole post.
  const body = fullText.replace(/(?:\s+https?:\/\/\S+)+\s*$/, '').trimEnd();
  if (!body.endsWith('…')) return undefined;
  return comparable(body.slice(0, -1));
}

/**
 * Replaces each cut tweet's text by its note's text (fullText = note text, noteJoined = true).
 * Each note joins at most one tweet. Returns how many were joined.
 */
export function joinNoteTweets(tweets: RawTweet[], notes: NoteTweet[]): number {
  if (notes.length === 0) return 0;
  const bySecond = new Map<number, { note: NoteTweet; text: string; used: boolean }[]>();
  for (const note of notes) {
    const s = epochSeconds(note.createdAt);
    if (s === undefined) continue;
    const list = bySecond.get(s) ?? [];
    list.push({ note, text: comparable(note.text), used: false });
    bySecond.set(s, list);
  }
  let joined = 0;
  for (const tweet of tweets) {
    const s = epochSeconds(tweet.createdAt);
    const candidates = s === undefined ? undefined : bySecond.get(s);
    if (!candidates) continue;
    const prefix = cutPrefix(tweet.fullText);
    if (prefix === undefined) continue;
    const match = candidates.find((c) => !c.used && c.text.startsWith(prefix));
    if (!match) continue;
    match.used = true;
    tweet.fullText = match.note.text;
    tweet.noteJoined = true;
    joined++;
  }
  return joined;
}
