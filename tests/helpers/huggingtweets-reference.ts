// The huggingtweets rule written out independently of src/ (never import production code
// here): a line-by-line port of huggingtweets-demo.ipynb's fix_text, clean_tweet
// (allow_new_lines=False) and boring_tweet, plus a whole-file archive reader built on
// fflate's unzipSync + JSON.parse. Tests compare the production counts against this, and
// this against the Python original (tests/unit/dataset-python-parity.test.ts).
import { strFromU8, unzipSync } from 'fflate';

/** The Python source these functions port, verbatim (run by the parity test). */
export const HUGGINGTWEETS_PY = String.raw`
import re

def fix_text(text):
    text = text.replace('&amp;', '&')
    text = text.replace('&lt;', '<')
    text = text.replace('&gt;', '>')
    return text

def clean_tweet(tweet, allow_new_lines = False):
    bad_start = ['http:', 'https:']
    for w in bad_start:
        tweet = re.sub(f" {w}\\S+", "", tweet)      # removes white space before url
        tweet = re.sub(f"{w}\\S+ ", "", tweet)      # in case a tweet starts with a url
        tweet = re.sub(f"\n{w}\\S+ ", "", tweet)    # in case the url is on a new line
        tweet = re.sub(f"\n{w}\\S+", "", tweet)     # in case the url is alone on a new line
        tweet = re.sub(f"{w}\\S+", "", tweet)       # any other case?
    tweet = re.sub(' +', ' ', tweet)                # replace multiple spaces with one space
    if not allow_new_lines:                         # TODO: predictions seem better without new lines
        tweet = ' '.join(tweet.split())
    return tweet.strip()

def boring_tweet(tweet):
    "Check if this is a boring tweet"
    boring_stuff = ['http', '@', '#']
    not_boring_words = len([None for w in tweet.split() if all(bs not in w.lower() for bs in boring_stuff)])
    return not_boring_words < 3
`;

// Python's str.isspace() set, which both str.split() and re's \S (for str patterns) use.
const PY_WHITESPACE = [0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x85, 0xa0, 0x1680,
  0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000];
const isPySpace = (ch: string) => PY_WHITESPACE.includes(ch.codePointAt(0)!);

/** Python's str.split() with no argument. */
export function pySplit(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (const ch of s) {
    if (isPySpace(ch)) { if (cur) out.push(cur); cur = ''; } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Python's str.strip(): JS's trim() also strips \ufeff, which Python keeps. */
function pyStrip(s: string): string {
  const chars = [...s];
  let a = 0, b = chars.length;
  while (a < b && isPySpace(chars[a])) a++;
  while (b > a && isPySpace(chars[b - 1])) b--;
  return chars.slice(a, b).join('');
}

/** re.sub(lead + w + "\\S+" + trail, "", s): scans left to right, non-overlapping, greedy \S+. */
function pySubUrl(s: string, lead: string, w: string, trail: string): string {
  const chars = [...s];
  let out = '';
  let i = 0;
  outer: while (i < chars.length) {
    const head = lead + w;
    for (let k = 0; k < head.length; k++) {
      if (chars[i + k] !== head[k]) { out += chars[i]; i++; continue outer; }
    }
    let j = i + head.length;
    const start = j;
    while (j < chars.length && !isPySpace(chars[j])) j++;
    // Greedy \S+ backtracks only when the trailing literal fails to match.
    if (j === start) { out += chars[i]; i++; continue; }
    if (trail) {
      if (chars[j] !== trail) { out += chars[i]; i++; continue; }
      j++;
    }
    i = j;
  }
  return out;
}

export function fix_text(text: string): string {
  text = text.split('&amp;').join('&');
  text = text.split('&lt;').join('<');
  text = text.split('&gt;').join('>');
  return text;
}

export function clean_tweet(tweet: string): string {
  for (const w of ['http:', 'https:']) {
    tweet = pySubUrl(tweet, ' ', w, '');
    tweet = pySubUrl(tweet, '', w, ' ');
    tweet = pySubUrl(tweet, '\n', w, ' ');
    tweet = pySubUrl(tweet, '\n', w, '');
    tweet = pySubUrl(tweet, '', w, '');
  }
  tweet = tweet.replace(/ +/g, ' ');
  tweet = pySplit(tweet).join(' ');
  return pyStrip(tweet);
}

export function not_boring_words(tweet: string): string[] {
  return pySplit(tweet).filter((w) => ['http', '@', '#'].every((bs) => !w.toLowerCase().includes(bs)));
}

export function boring_tweet(tweet: string): boolean {
  return not_boring_words(tweet).length < 3;
}

export interface ReferenceStats {
  username: string;
  displayName: string;
  downloaded: number;
  retweets: number;
  short: number;
  kept: number;
  /** The kept (cleaned) texts, in archive order. */
  keptTexts: string[];
}

function parseYtd(text: string): any {
  return JSON.parse(text.slice(text.indexOf('=') + 1));
}

/**
 * The huggingtweets table for one archive zip, read whole with fflate: tweet files by the
 * names of docs/design.md#archive-layouts (tweets.js, tweets-partN.js, tweet.js, tweet-partN.js), note tweets
 * joined by creation second + text prefix, deleted-tweets.js and __MACOSX/ ignored.
 */
export function referenceStats(zip: Uint8Array): ReferenceStats {
  const files = unzipSync(zip);
  const names = Object.keys(files).filter((n) => !n.startsWith('__MACOSX/') && !n.split('/').pop()!.startsWith('._'));
  const base = (n: string) => n.split('/').pop()!;
  const entries: any[] = [];
  for (const n of names.filter((n) => /^tweets?(-part\d+)?\.js$/.test(base(n)))) entries.push(...parseYtd(strFromU8(files[n])));
  const accountFile = names.find((n) => base(n) === 'account.js');
  const account = accountFile ? parseYtd(strFromU8(files[accountFile]))[0].account : { username: '?', accountDisplayName: '?' };
  const notes: { second: number; text: string; used?: boolean }[] = [];
  for (const n of names.filter((n) => base(n) === 'note-tweet.js')) {
    for (const e of parseYtd(strFromU8(files[n]))) notes.push({ second: Math.floor(Date.parse(e.noteTweet.createdAt) / 1000), text: e.noteTweet.core.text });
  }
  const stats: ReferenceStats = { username: account.username, displayName: account.accountDisplayName, downloaded: 0, retweets: 0, short: 0, kept: 0, keptTexts: [] };
  for (const e of entries) {
    const t = e.tweet ?? e;
    stats.downloaded++;
    if (t.full_text.startsWith('RT @')) { stats.retweets++; continue; }
    let text: string = t.full_text;
    if (text.endsWith('…')) {
      const second = Math.floor(Date.parse(t.created_at) / 1000);
      const prefix = fix_text(text.slice(0, -1));
      const note = notes.find((n) => !n.used && n.second === second && n.text.startsWith(prefix));
      if (note) { note.used = true; text = note.text; }
    }
    const clean = clean_tweet(fix_text(text));
    if (boring_tweet(clean)) stats.short++;
    else { stats.kept++; stats.keptTexts.push(clean); }
  }
  return stats;
}
