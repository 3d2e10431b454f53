// Archives made to hurt (issue 19): each ends with one readable line or the right answer,
// fast, and the bomb within a memory bound measured in a child process. Every input is
// built here (fflate, zip.js, the bomb writer); nothing binary is committed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TextReader, Uint8ArrayWriter, ZipWriter } from '@zip.js/zip.js';
import { strToU8, zipSync } from 'fflate';
import { afterAll, describe, expect, it } from 'vitest';
import { InflateBudget } from '../../src/lib/archive/budget.ts';
import { ArchiveError } from '../../src/lib/archive/errors.ts';
import type { NoteTweet } from '../../src/lib/archive/entries.ts';
import { findMembers } from '../../src/lib/archive/layout.ts';
import { comparable, epochSeconds, joinNoteTweets } from '../../src/lib/archive/note-join.ts';
import { TweetTable } from '../../src/lib/archive/tweet-table.ts';
import { mulberry32 } from '../../src/lib/rng.ts';
import { readArchive } from '../../src/lib/archive/read-archive.ts';
import type { ArchiveProgress } from '../../src/workers/prep-protocol.ts';
import { PrepSession } from '../../src/workers/prep-session.ts';
import { buildArchiveZip, makeTweets, writeTweetBomb, ytdFile, tweetObject } from '../../scripts/fixtures/archive.ts';

const dir = mkdtempSync(join(tmpdir(), 'tweetforge-hostile-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const read = (zip: Uint8Array, name = 'archive.zip', opts = {}) => readArchive(new Blob([zip as Uint8Array<ArrayBuffer>]), name, opts);

async function errorOf(p: Promise<unknown>): Promise<ArchiveError> {
  try { await p; } catch (e) { if (e instanceof ArchiveError) return e; throw e; }
  throw new Error('no error');
}

/** Runs `cli stats` in a child node (tsx as a loader, so the child is the CLI itself) and reads its peak RSS. */
function cliStats(...args: string[]) {
  const hook = join(dir, 'report-rss.mjs');
  writeFileSync(hook, "process.on('exit', () => process.stderr.write(`maxrss_kb=${process.resourceUsage().maxRSS}\\n`));\n");
  const start = performance.now();
  const res = spawnSync(process.execPath, ['--import', 'tsx', '--import', hook, 'scripts/cli.ts', 'stats', ...args], { encoding: 'utf8', timeout: 170_000 });
  const seconds = (performance.now() - start) / 1000;
  const rss = /maxrss_kb=(\d+)\n/.exec(res.stderr);
  return { status: res.status, stdout: res.stdout, lines: res.stderr.replace(/maxrss_kb=\d+\n/, '').split('\n').filter(Boolean), seconds, peakBytes: rss ? Number(rss[1]) * 1024 : NaN };
}

describe('the 2 GiB bomb: tweets.js and tweets-part1.js, ~1 GiB of minimal tweets each', () => {
  it('is refused at the budget, in one line, under 60 s and 3 GB', () => {
    const bomb = join(dir, 'bomb.zip');
    writeTweetBomb(bomb, 2 ** 30);
    const res = cliStats(bomb);
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.lines).toHaveLength(1);
    expect(res.lines[0]).toMatch(/^error: bomb\.zip: refused after reading [\d.]+ MiB of it \([\d,]+ entries\): past the budget of 1\.0 GiB for all the archives of this session/);
    console.log(`bomb: ${res.seconds.toFixed(1)} s, peak RSS ${(res.peakBytes / 2 ** 20).toFixed(0)} MiB`);
    expect(res.seconds).toBeLessThan(60);
    expect(res.peakBytes).toBeLessThan(3e9);
  }, 180_000);
});

describe('one budget across archives', () => {
  const alice = buildArchiveZip({ username: 'alice', tweets: makeTweets(300, { seed: 1 }) });
  const bob = buildArchiveZip({ username: 'bob', tweets: makeTweets(300, { seed: 2, idBase: 7n }) });
  const file = (name: string, bytes: Uint8Array) => new File([bytes as Uint8Array<ArrayBuffer>], name);

  it('refuses the archive that crosses it, naming it; the one before stays; removing an account gives its share back', async () => {
    const cost = async (zip: Uint8Array) => (await read(zip)).charged ?? NaN;
    const [a, b] = [await cost(alice), await cost(bob)];
    expect(a).toBeGreaterThan(300 * 128);
    const errors: string[] = [];
    const s = new PrepSession({ progress: () => {}, table: () => {}, error: (_, m) => errors.push(m) }, new InflateBudget(a + b - 1));
    expect(await s.addArchives([file('alice.zip', alice), file('bob.zip', bob)])).toEqual({ loaded: ['alice.zip'], failed: ['bob.zip'] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^bob\.zip: refused after reading [\d.]+ KiB of it \([\d,]+ entries\): past the budget of [\d.]+ KiB for all the archives of this session \(inflated bytes plus 128 bytes an entry; [\d.]+ KiB of it taken by the archives loaded before\)$/);
    expect(s.table().users.map((u) => u.username)).toEqual(['alice']);
    s.removeAccount('alice');
    expect(await s.addArchives([file('bob.zip', bob)])).toEqual({ loaded: ['bob.zip'], failed: [] });
  });

  it('cli stats shares it between the archives it is given', () => {
    const paths = [['alice.zip', alice], ['bob.zip', bob]].map(([n, z]) => { const p = join(dir, n as string); writeFileSync(p, z as Uint8Array); return p; });
    expect(cliStats('--budget-bytes', '10000000', ...paths).status).toBe(0);
    const res = cliStats('--budget-bytes', '100000', ...paths);
    expect(res.status).toBe(1);
    expect(res.lines).toEqual([expect.stringMatching(/^error: (alice|bob)\.zip: refused after reading .* past the budget of 97\.7 KiB /)]);
  }, 60_000);
});

describe('linear where it was quadratic', () => {
  it('findMembers sorts 20k manifest-listed members in a blink', () => {
    const n = 20_000;
    const names = Array.from({ length: n }, (_, i) => `data/tweets-extra${i}.js`);
    const members = names.map((filename) => ({ filename }));
    const manifest = [...names].reverse();
    const start = performance.now();
    const layout = findMembers(members, manifest);
    expect(performance.now() - start).toBeLessThan(2000); // ~0.25 s; indexOf in the comparator took 29 s
    expect(layout.tweetFiles.map((m) => m.filename)).toEqual(manifest);
  });

  it('the note join matches 20k cut tweets to 20k notes of one second in a blink', () => {
    const n = 20_000;
    const body = (i: number) => `A long post number ${i} that runs past the old limit so the archive cuts it`;
    // Tweets in the reverse order of their notes: a scan of the candidates walks most of them each time.
    const tweets = TweetTable.from(Array.from({ length: n }, (_, i) => ({
      id: String(i + 1), createdAt: 'Wed Mar 15 12:34:56 +0000 2023', fullText: `${body(n - 1 - i)}…`, noteJoined: false,
    })));
    const notes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, createdAt: '2023-03-15T12:34:56.000Z', text: `${body(i)} and the note keeps all of it.` }));
    const start = performance.now();
    expect(joinNoteTweets(tweets, notes)).toBe(n);
    expect(performance.now() - start).toBeLessThan(2000); // ~0.35 s; the scan of every candidate took 64 s
    for (const row of [0, 1, n - 1]) expect(tweets.fullText(row)).toBe(`${body(n - 1 - row)} and the note keeps all of it.`);
  });

  it('reads an archive of 20k long posts cut in one second, each joined', async () => {
    const n = 20_000;
    const at = 'Wed Mar 15 12:34:56 +0000 2023';
    const body = (i: number) => `post ${i} runs long`;
    const tweets = Array.from({ length: n }, (_, i) => ({ tweet: { id_str: String(i + 1), created_at: at, full_text: `${body(n - 1 - i)}…` } }));
    const notes = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, createdAt: '2023-03-15T12:34:56.000Z', text: `${body(i)}, and on.` }));
    const c = await read(buildArchiveZip({ tweets: [], files: { 'data/tweets.js': ytdFile('tweets', 0, tweets) }, notes }));
    expect([...c.tweets].filter((t) => t.noteJoined)).toHaveLength(n);
  }, 30_000);

  it('a cut tweet of 1M spaces next to a note ends at once', async () => {
    const at = 'Wed Mar 15 12:34:56 +0000 2023';
    const zip = buildArchiveZip({ tweets: [], notes: [{ id: '1', createdAt: '2023-03-15T12:34:56.000Z', text: 'a note' }],
      files: { 'data/tweets.js': ytdFile('tweets', 0, [{ tweet: { id_str: '1', created_at: at, full_text: `x${' '.repeat(1_000_000)}y` } }]) } });
    const start = performance.now();
    expect((await read(zip)).tweets.noteJoined(0)).toBe(false);
    expect(performance.now() - start).toBeLessThan(3000); // the regex it replaces took 5.6 s on 40k spaces (quadratic)
  });
});

describe('named for what they are', () => {
  it('an encrypted zip is encrypted, not damaged', async () => {
    const w = new ZipWriter(new Uint8ArrayWriter(), { password: 'secret', useWebWorkers: false });
    await w.add('data/tweets.js', new TextReader(ytdFile('tweets', 0, makeTweets(3).map((t, i) => ({ tweet: tweetObject(t, i) })))));
    const e = await errorOf(read(await w.close(), 'locked.zip'));
    expect(e.code).toBe('encrypted');
    expect(e.message).toBe('locked.zip is encrypted (password-protected): export the archive again without a password');
  });

  it('members named ../, /, C:, with a backslash or a NUL are skipped and said; the rest is counted', async () => {
    const good = buildArchiveZip({ tweets: makeTweets(5) });
    const evil = ['../evil.js', '../data/tweets-part9.js', '/abs/data/tweets.js', 'C:/data/tweets.js', 'data\\tweets-part3.js', 'data/tweets-part4.js\u0000.txt'];
    const files: Record<string, Uint8Array> = {};
    for (const [name, bytes] of Object.entries((await import('fflate')).unzipSync(good))) files[name] = bytes;
    for (const name of evil) files[name] = strToU8(ytdFile('tweets', 9, makeTweets(2, { idBase: 5n }).map((t) => ({ tweet: tweetObject(t) }))));
    const zip = zipSync(files);
    const c = await read(zip, 'trap.zip');
    expect(c.tweets).toHaveLength(5);
    expect(c.warnings).toEqual(evil.map((n) => `trap.zip: skipped ${JSON.stringify(n)}: an unsafe name for a file in a zip`));

    const progress: ArchiveProgress[] = [];
    const s = new PrepSession({ progress: (p) => progress.push(p), table: () => {}, error: () => {} });
    await s.addArchives([new File([zip as Uint8Array<ArrayBuffer>], 'trap.zip')]);
    expect(progress.find((p) => p.phase === 'done')?.warnings).toEqual(c.warnings);
  });

  it('an id, time, language or reply name of hundreds of characters is not a tweet', async () => {
    const entry = { tweet: { id_str: '1'.repeat(300), full_text: 'a tweet of several words' } };
    const e = await errorOf(read(buildArchiveZip({ tweets: [], files: { 'data/tweets.js': ytdFile('tweets', 0, [entry]) } }), 'long.zip'));
    expect(e.code).toBe('bad-shape');
    expect(e.message).toBe('long.zip: data/tweets.js: entry 1 is not a tweet (its id_str runs 300 characters)');
  });

  it('an empty or blank tweets-part1.js is an empty part', async () => {
    for (const blank of ['', ' \n\t\r\n']) {
      const c = await read(buildArchiveZip({ tweets: makeTweets(4), files: { 'data/tweets-part1.js': blank } }));
      expect(c.tweets).toHaveLength(4);
    }
    // Blank everywhere: no tweets, said as such.
    const e = await errorOf(read(buildArchiveZip({ tweets: [], files: { 'data/tweets.js': '', 'data/tweets-part1.js': ' ' } }), 'blank.zip'));
    expect(e.code).toBe('no-tweets');
  });
});

describe('the note join gives the answers of the plain scan', () => {
  /** The join as a scan of every candidate for every tweet: slow, obviously right. */
  function scanJoin(tweets: { createdAt: string; fullText: string }[], notes: NoteTweet[]): (string | undefined)[] {
    const used = new Set<number>();
    return tweets.map((t) => {
      const s = epochSeconds(t.createdAt);
      const body = t.fullText.replace(/(?:\s+https?:\/\/\S+)+\s*$/, '').trimEnd();
      if (s === undefined || !body.endsWith('…')) return undefined;
      const prefix = comparable(body.slice(0, -1));
      const k = notes.findIndex((n, i) => !used.has(i) && epochSeconds(n.createdAt) === s && comparable(n.text).startsWith(prefix));
      if (k < 0) return undefined;
      used.add(k);
      return notes[k].text;
    });
  }

  it('on random tweets and notes sharing seconds and prefixes', () => {
    const rand = mulberry32(19);
    const pick = <T>(xs: T[]) => xs[Math.floor(rand() * xs.length)];
    const words = ['a', 'ab', 'b', 'long', 'post', '&amp;', 'x'];
    const seconds = ['2023-03-15T12:34:56.000Z', '2023-03-15T12:34:57.000Z'];
    const tweetTime = (iso: string) => (iso.endsWith('56.000Z') ? 'Wed Mar 15 12:34:56 +0000 2023' : 'Wed Mar 15 12:34:57 +0000 2023');
    for (let round = 0; round < 200; round++) {
      const notes: NoteTweet[] = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, i) => ({
        id: String(i), createdAt: pick(seconds), text: Array.from({ length: 1 + Math.floor(rand() * 4) }, () => pick(words)).join(' ').replace('&amp;', '&'),
      }));
      const raw = Array.from({ length: 1 + Math.floor(rand() * 8) }, () => {
        const n = pick(notes);
        const cut = n.text.replaceAll('&', '&amp;').slice(0, Math.floor(rand() * (n.text.length + 1)));
        return { createdAt: tweetTime(pick(seconds)), fullText: `${cut}…${rand() < 0.3 ? ' https://t.co/z' : ''}` };
      });
      const table = TweetTable.from(raw.map((t, i) => ({ id: String(i), noteJoined: false, ...t })));
      const expected = scanJoin(raw, notes);
      expect(joinNoteTweets(table, notes)).toBe(expected.filter((x) => x !== undefined).length);
      expect(raw.map((t, i) => (table.noteJoined(i) ? table.fullText(i) : undefined))).toEqual(expected);
    }
  });
});
