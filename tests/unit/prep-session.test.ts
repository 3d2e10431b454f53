// The prep worker's state machine, run in Node without a worker: real zips in, the table,
// pages of rows and training texts out. Expected values are written out by hand from the
// tweets below (docs/design.md#counting-rules), not computed by the modules under test.
import { describe, expect, it } from 'vitest';
import { buildArchiveZip, buildBadArchive, type TweetSpec } from '../../scripts/fixtures/archive.ts';
import type { ArchiveProgress, PrepTable } from '../../src/workers/prep-protocol.ts';
import { etaSeconds } from '../../src/lib/eta.ts';
import { PrepSession } from '../../src/workers/prep-session.ts';

const t = (id: number, text: string, extra: Partial<TweetSpec> = {}): TweetSpec => ({ id: String(1000 + id), text, lang: 'en', ...extra });

// alice: 2 kept, 1 retweet, 1 short, 1 reply (kept unless replies are left out), 1 Japanese
// (short under huggingtweets: one space-free word; kept under multilingual: many words).
const ALICE = [
  t(1, 'the first kept tweet here'),
  t(2, 'RT @bob: something worth sharing today'),
  t(3, 'hi'),
  t(4, '@bob thanks for the kind words', { replyToStatusId: '999', replyToScreenName: 'bob' }),
  t(5, 'second kept & decoded https://t.co/abc tweet'), // the builder escapes & as the archive does
  t(6, '今日は本当にいい天気ですね', { lang: 'ja' }),
];
const BOB = [t(11, 'bob says hello to everyone'), t(12, 'ok')];

function file(name: string, bytes: Uint8Array): File {
  return new File([bytes as Uint8Array<ArrayBuffer>], name, { type: 'application/zip' });
}

function session() {
  const tables: PrepTable[] = [];
  const errors: { archive: string; message: string }[] = [];
  const progress: ArchiveProgress[] = [];
  const s = new PrepSession({ table: (x) => tables.push(x), error: (archive, message) => errors.push({ archive, message }), progress: (p) => progress.push(p) });
  return { s, tables, errors, progress };
}

const alice = () => file('alice.zip', buildArchiveZip({ username: 'alice', displayName: 'Alice A', tweets: ALICE }));
const bob = () => file('bob.zip', buildArchiveZip({ username: 'bob', displayName: 'Bob B', tweets: BOB }));

describe('PrepSession', () => {
  it('loads good archives around a bad one, reports the bad one once, and counts by rule', async () => {
    const { s, tables, errors, progress } = session();
    const res = await s.addArchives([alice(), file('broken.zip', buildBadArchive('not-zip')), bob()]);
    expect(res).toEqual({ loaded: ['alice.zip', 'bob.zip'], failed: ['broken.zip'] });
    expect(errors.map((e) => e.archive)).toEqual(['broken.zip']);
    expect(errors[0].message).not.toContain('\n');
    expect(progress.filter((p) => p.phase === 'done').map((p) => p.archive)).toEqual(['alice.zip', 'bob.zip']);
    expect(progress.find((p) => p.archive === 'broken.zip' && p.phase === 'failed')).toBeDefined();

    const table = tables.at(-1)!;
    expect(table.rule).toBe('multilingual');
    expect(table.archives).toEqual(['alice.zip', 'bob.zip']);
    const pick = (u: PrepTable['users'][number]) => [u.username, u.downloaded, u.retweets, u.short, u.kept];
    expect(table.users.map(pick)).toEqual([['alice', 6, 1, 1, 4], ['bob', 2, 0, 1, 1]]);
    expect(table.reasonCounts).toEqual({ kept: 5, retweet: 1, short: 2, reply: 0 });
    expect(table.languages).toEqual({ en: 4, ja: 1 }); // kept tweets only: not the retweet nor the short ones

    const hugging = s.setOptions('huggingtweets', false);
    expect(hugging.users.map(pick)).toEqual([['alice', 6, 1, 2, 3], ['bob', 2, 0, 1, 1]]);
    expect(hugging.version).toBeGreaterThan(table.version);
    expect(hugging.languages).toEqual({ en: 4 }); // the Japanese tweet is short under huggingtweets' rule

    const noReplies = s.setOptions('huggingtweets', true);
    expect(noReplies.users[0]).toMatchObject({ kept: 2, replies: 1, short: 2, retweets: 1, downloaded: 6 });
  });

  it('hands out the kept, cleaned texts per account in archive order', async () => {
    const { s } = session();
    await s.addArchives([alice(), bob()]);
    s.setOptions('huggingtweets', true);
    expect(s.trainingTexts()).toEqual([
      { username: 'alice', texts: ['the first kept tweet here', 'second kept & decoded tweet'] },
      { username: 'bob', texts: ['bob says hello to everyone'] },
    ]);
  });

  it('pages rows by range, filtered by reason, account and search', async () => {
    const { s } = session();
    await s.addArchives([alice(), bob()]);
    const all = s.queryRows({ reason: 'all', search: '', offset: 0, limit: 100 });
    expect(all.total).toBe(8);
    expect(all.rows.map((r) => r.index)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    // Pages of 3 put together are the whole list.
    const paged = [0, 3, 6].flatMap((offset) => s.queryRows({ reason: 'all', search: '', offset, limit: 3 }).rows);
    expect(paged.map((r) => r.id)).toEqual(all.rows.map((r) => r.id));
    expect(s.queryRows({ reason: 'all', search: '', offset: 7, limit: 10 }).rows.map((r) => r.id)).toEqual(['1012']);
    expect(s.queryRows({ reason: 'all', search: '', offset: 50, limit: 10 }).rows).toEqual([]);

    expect(s.queryRows({ reason: 'dropped', search: '', offset: 0, limit: 10 }).rows.map((r) => r.id)).toEqual(['1002', '1003', '1012']);
    expect(s.queryRows({ reason: 'short', search: '', username: 'bob', offset: 0, limit: 10 }).rows.map((r) => r.id)).toEqual(['1012']);
    // Search is case-insensitive and looks at the text as posted and as cleaned.
    expect(s.queryRows({ reason: 'all', search: 'HELLO', offset: 0, limit: 10 }).rows.map((r) => r.id)).toEqual(['1011']);
    expect(s.queryRows({ reason: 'all', search: '&amp;', offset: 0, limit: 10 }).rows.map((r) => r.id)).toEqual(['1005']);
    expect(s.queryRows({ reason: 'kept', search: 'decoded tweet', offset: 0, limit: 10 }).rows.map((r) => r.text)).toEqual(['second kept & decoded tweet']);
  });

  it('removes an account (any case) and keeps the rest', async () => {
    const { s } = session();
    await s.addArchives([alice(), bob()]);
    const t1 = s.removeAccount('ALICE');
    expect(t1.users.map((u) => u.username)).toEqual(['bob']);
    expect(s.queryRows({ reason: 'all', search: '', offset: 0, limit: 10 }).total).toBe(2);
    expect(s.trainingTexts()).toEqual([{ username: 'bob', texts: ['bob says hello to everyone'] }]);
  });

  it('estimates time left from the rate so far', () => {
    expect(etaSeconds(0, 100, 1000)).toBeNull();
    expect(etaSeconds(25, 100, 1000)).toBeCloseTo(3);
    expect(etaSeconds(100, 100, 1000)).toBe(0);
  });
});
