// readArchive on real zips built in every layout of docs/design.md#archive-layouts; counts checked against the
// independent huggingtweets reference (fflate + JSON.parse + the Python port).
import { describe, expect, it } from 'vitest';
import { ArchiveError } from '../../src/lib/archive/errors.ts';
import { readArchive, type ReadProgress } from '../../src/lib/archive/read-archive.ts';
import { buildDataset } from '../../src/lib/dataset/table.ts';
import {
  buildArchiveZip, buildBadArchive, buildTwoAccountArchives, escapeHtml, makeTweets, type ArchiveSpec, type BadArchiveKind, type TweetLayout,
} from '../../scripts/fixtures/archive.ts';
import { referenceStats } from '../helpers/huggingtweets-reference.ts';

const read = (zip: Uint8Array, name = 'archive.zip', opts = {}) => readArchive(new Blob([zip as Uint8Array<ArrayBuffer>]), name, opts);

async function errorOf(p: Promise<unknown>): Promise<ArchiveError> {
  try { await p; } catch (e) { if (e instanceof ArchiveError) return e; throw e; }
  throw new Error('no error');
}

/** The production table row for one archive, minus `replies` (the reference has no such toggle). */
async function productionRow(zip: Uint8Array) {
  const content = await read(zip);
  const { replies, ...row } = buildDataset([content], 'huggingtweets').users[0];
  expect(replies).toBe(0);
  return row;
}

describe('layouts', () => {
  const tweets = makeTweets(90, { seed: 3 });
  const layouts: TweetLayout[] = ['tweets', 'tweets-parts', 'tweet', 'tweet-parts', 'root-tweet'];
  const variants: Partial<ArchiveSpec>[] = [
    {}, { entries: 'bare' }, { folder: 'twitter-2023-05-01-abc' }, { macosx: true, folder: 'x' }, { manifest: true, parts: 3 },
  ];
  for (const layout of layouts) {
    for (const v of variants) {
      it(`${layout} ${JSON.stringify(v)}: every tweet, in order, and the reference's counts`, async () => {
        const zip = buildArchiveZip({ username: 'ada', displayName: 'Ada L.', tweets, layout, ...v });
        const content = await read(zip);
        expect(content.account).toEqual({ username: 'ada', displayName: 'Ada L.', accountId: '1000' });
        expect([...content.tweets].map((t) => t.id)).toEqual(tweets.map((t) => t.id));
        expect([...content.tweets].map((t) => t.fullText)).toEqual(tweets.map((t) => escapeHtml(t.text)));
        const ref = referenceStats(zip);
        expect(ref.downloaded).toBe(90);
        expect(await productionRow(zip)).toEqual({ username: ref.username, displayName: ref.displayName,
          downloaded: ref.downloaded, retweets: ref.retweets, short: ref.short, kept: ref.kept });
      });
    }
  }

  it('the fixtures cover every reason (so the comparisons above mean something)', () => {
    const ref = referenceStats(buildArchiveZip({ tweets }));
    expect(ref.retweets).toBeGreaterThan(3);
    expect(ref.short).toBeGreaterThan(10);
    expect(ref.kept).toBeGreaterThan(10);
  });

  it('keeps lang and reply fields', async () => {
    const c = await read(buildArchiveZip({ tweets: [
      { id: '1', text: 'a reply', replyToStatusId: '77', replyToScreenName: 'bob', lang: 'fr' }, { id: '2', text: 'not one' },
    ] }));
    expect(c.tweets.at(0)).toMatchObject({ lang: 'fr', inReplyToStatusId: '77', inReplyToScreenName: 'bob', noteJoined: false });
    expect(c.tweets.at(1).inReplyToStatusId).toBeUndefined();
  });

  it('reads tweet files that only manifest.js names', async () => {
    const t = makeTweets(10);
    const c = await read(buildArchiveZip({ tweets: t.slice(0, 6), manifest: ['data/tweets.js', 'data/tweets-extra.js'],
      files: { 'data/tweets-extra.js': `window.YTD.tweets.part1 = ${JSON.stringify(t.slice(6).map((x) => ({ tweet: { id_str: x.id, full_text: x.text } })))}` } }));
    expect([...c.tweets].map((x) => x.id)).toEqual(t.map((x) => x.id));
  });

  it('never counts deleted-tweets.js, and ignores __MACOSX/ junk named like tweet files', async () => {
    const zip = buildArchiveZip({ tweets: makeTweets(5), deleted: makeTweets(7, { seed: 9, idBase: 9n }), macosx: true });
    const c = await read(zip);
    expect(c.tweets).toHaveLength(5);
    expect(referenceStats(zip).downloaded).toBe(5);
  });

  it('without account.js, takes the account from manifest.js', async () => {
    const c = await read(buildArchiveZip({ username: 'from_manifest', displayName: 'From Manifest', tweets: makeTweets(3), account: false, manifest: true }));
    expect(c.account).toEqual({ username: 'from_manifest', displayName: 'From Manifest', accountId: '1000' });
  });

  it('without account.js or manifest.js, names the account after the file', async () => {
    const c = await read(buildArchiveZip({ tweets: makeTweets(3), account: false }), 'some/dir/my_archive.zip');
    expect(c.account).toEqual({ username: 'my_archive', displayName: 'my_archive' });
  });
});

describe('note tweets (long posts)', () => {
  const cut = 'A long post about tiny models &amp; big dreams that runs past the old limit so the archive cuts it right h…';
  const whole = 'A long post about tiny models & big dreams that runs past the old limit so the archive cuts it right here, and the note keeps it all. https://example.com/x';
  const at = 'Wed Mar 15 12:34:56 +0000 2023';
  // escapeHtml would double-escape the cut copy's &amp;: write the entry as the archive has it.
  const files = (fullText: string, createdAt: string) => ({
    'data/tweets.js': `window.YTD.tweets.part0 = ${JSON.stringify([
      { tweet: { id_str: '10', full_text: 'an ordinary tweet of five words', created_at: at } },
      { tweet: { id_str: '11', full_text: fullText, created_at: createdAt } },
    ])}`,
  });

  it('joins a cut tweet to the note of the same second whose text it begins', async () => {
    const zip = buildArchiveZip({ tweets: [], files: files(cut, at), notes: [{ id: '900', createdAt: '2023-03-15T12:34:56.000Z', text: whole }] });
    const c = await read(zip);
    expect(c.tweets.at(1)).toMatchObject({ id: '11', fullText: whole, noteJoined: true });
    expect(c.tweets.at(0).noteJoined).toBe(false);
    const d = buildDataset([c], 'huggingtweets');
    expect(d.tweets.at(1).text).toBe(whole.replace(' https://example.com/x', ''));
    expect(referenceStats(zip).keptTexts).toEqual([...d.tweets].filter((t) => t.reason === 'kept').map((t) => t.text));
  });

  it('joins when a t.co link follows the ellipsis', async () => {
    const zip = buildArchiveZip({ tweets: [], files: files(`${cut} https://t.co/abc`, at), notes: [{ id: '900', createdAt: '2023-03-15T12:34:56.000Z', text: whole }] });
    expect((await read(zip)).tweets.at(1).noteJoined).toBe(true);
  });

  it('does not join across seconds or when the text differs', async () => {
    const other = buildArchiveZip({ tweets: [], files: files(cut, 'Wed Mar 15 12:34:57 +0000 2023'), notes: [{ id: '900', createdAt: '2023-03-15T12:34:56.000Z', text: whole }] });
    expect((await read(other)).tweets.at(1)).toMatchObject({ fullText: cut, noteJoined: false });
    const differs = buildArchiveZip({ tweets: [], files: files(cut, at), notes: [{ id: '900', createdAt: '2023-03-15T12:34:56.000Z', text: `Another ${whole}` }] });
    expect((await read(differs)).tweets.at(1).noteJoined).toBe(false);
  });
});

describe('progress and cancellation', () => {
  it('reports compressed bytes and tweets, ending at the totals', async () => {
    const zip = buildArchiveZip({ tweets: makeTweets(3000), realistic: true });
    const seen: ReadProgress[] = [];
    const c = await read(zip, 'big.zip', { onProgress: (p: ReadProgress) => seen.push(p) });
    const last = seen[seen.length - 1];
    expect(last).toMatchObject({ archive: 'big.zip', tweets: 3000 });
    expect(last.bytesRead).toBe(last.bytesTotal);
    expect(last.bytesTotal).toBeGreaterThan(10_000);
    expect(last.bytesTotal).toBeLessThan(zip.length);
    expect(seen.length).toBeGreaterThan(3);
    for (let i = 1; i < seen.length; i++) {
      expect(seen[i].bytesRead).toBeGreaterThanOrEqual(seen[i - 1].bytesRead);
      expect(seen[i].tweets).toBeGreaterThanOrEqual(seen[i - 1].tweets);
    }
    expect(c.tweets).toHaveLength(3000);
  });

  it('stops when the signal aborts', async () => {
    const ctl = new AbortController();
    ctl.abort(new Error('stopped by the test'));
    await expect(read(buildArchiveZip({ tweets: makeTweets(10) }), 'a.zip', { signal: ctl.signal })).rejects.toThrow('stopped by the test');
  });
});

describe('bad input: one readable message each', () => {
  const cases: [BadArchiveKind, RegExp][] = [
    ['not-zip', /^bad\.zip is not a zip file/],
    ['truncated', /^bad\.zip is a truncated zip/],
    ['no-tweet-files', /^bad\.zip holds no tweet files: looked for data\/tweets\.js, data\/tweets-partN\.js, data\/tweet\.js, data\/tweet-partN\.js/],
    ['no-tweets', /^bad\.zip: the tweet files \(data\/tweets\.js\) hold no tweets$/],
    ['bad-json', /^bad\.zip: data\/tweets\.js: broken JSON in entry 2 at byte \d+: /],
    ['bad-shape', /^bad\.zip: data\/tweets\.js: entry 2 is not a tweet/],
    ['too-large', /^bad\.zip: data\/tweets\.js inflates past the cap of 97\.7 KiB per file/],
    ['not-utf8', /^bad\.zip: data\/tweets\.js is not UTF-8 text \(entry 1, at byte \d+\)$/],
    ['encrypted', /^bad\.zip is encrypted \(password-protected\): export the archive again without a password$/],
  ];
  for (const [code, message] of cases) {
    it(code, async () => {
      const e = await errorOf(read(buildBadArchive(code), 'bad.zip', { maxMemberBytes: 100_000 }));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
      expect(e.message).not.toMatch(/\n/);
    });
  }

  it('the too-large archive reads fine under the default cap', async () => {
    expect((await read(buildBadArchive('too-large'))).tweets).toHaveLength(2000);
  });

  it('refuses a member that inflates past the size its headers claim (a zip bomb lies)', async () => {
    const zip = buildArchiveZip({ tweets: makeTweets(2000) });
    lieAboutSize(zip, 'data/tweets.js', 1000);
    // zip.js stops at the declared size (its own check); our byte counter backs it up.
    for (const maxMemberBytes of [100_000, undefined]) {
      const e = await errorOf(read(zip, 'bomb.zip', { maxMemberBytes }));
      expect(['too-large', 'truncated']).toContain(e.code);
      expect(e.file).toBe('data/tweets.js');
      expect(e.message).toMatch(/^bomb\.zip: data\/tweets\.js /);
    }
  });

  it('an empty file is not a zip', async () => {
    expect((await errorOf(read(new Uint8Array(0), 'empty.zip'))).code).toBe('not-zip');
  });
});

describe('the two-account fixture', () => {
  it('reads both accounts, joins the long post and agrees with the reference', async () => {
    for (const { name, bytes } of buildTwoAccountArchives()) {
      const c = await read(bytes, name);
      const ref = referenceStats(bytes);
      const { replies: _r, ...row } = buildDataset([c], 'huggingtweets').users[0];
      expect(row).toEqual({ username: ref.username, displayName: ref.displayName, downloaded: ref.downloaded, retweets: ref.retweets, short: ref.short, kept: ref.kept });
      if (name.startsWith('ada')) expect([...c.tweets].filter((t) => t.noteJoined)).toHaveLength(1);
    }
  });
});

/** Rewrites a member's uncompressed size in both the local and the central header. */
function lieAboutSize(zip: Uint8Array, filename: string, size: number): void {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const name = new TextEncoder().encode(filename);
  let patched = 0;
  for (let i = 0; i + 46 < zip.length; i++) {
    const sig = view.getUint32(i, true);
    const [nameLenAt, nameAt, sizeAt] = sig === 0x04034b50 ? [26, 30, 22] : sig === 0x02014b50 ? [28, 46, 24] : [0, 0, 0];
    if (!nameAt || view.getUint16(i + nameLenAt, true) !== name.length) continue;
    if (name.every((b, k) => zip[i + nameAt + k] === b)) { view.setUint32(i + sizeAt, size, true); patched++; }
  }
  expect(patched).toBe(2);
}
