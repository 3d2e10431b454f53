// `npm run -s cli -- stats` as a person runs it: real zips on disk, JSON on stdout,
// one error line on stderr with a non-zero exit. Counts checked against the reference.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildArchiveZip, buildBadArchive, buildTwoAccountArchives, makeTweets } from '../../scripts/fixtures/archive.ts';
import { referenceStats } from '../helpers/huggingtweets-reference.ts';

const dir = mkdtempSync(join(tmpdir(), 'tweetforge-cli-stats-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, bytes: Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, bytes);
  return path;
}

function cli(...args: string[]) {
  const res = spawnSync('npx', ['tsx', 'scripts/cli.ts', 'stats', ...args], { encoding: 'utf8', timeout: 120_000 });
  return { status: res.status, stdout: res.stdout, stderr: res.stderr };
}

describe('cli stats', () => {
  const two = buildTwoAccountArchives();
  const paths = two.map((a) => write(a.name, a.bytes));

  it('prints the huggingtweets table for two archives, equal to the reference', () => {
    const res = cli('--rule', 'huggingtweets', ...paths);
    expect(res.stderr).toBe('');
    expect(res.status).toBe(0);
    const out = JSON.parse(res.stdout);
    expect(out.rule).toBe('huggingtweets');
    expect(out.users.map((u: Record<string, unknown>) => ({ username: u.username, displayName: u.displayName, downloaded: u.downloaded, retweets: u.retweets, short: u.short, kept: u.kept })))
      .toEqual(two.map((a) => { const { keptTexts: _k, ...row } = referenceStats(a.bytes); return row; }));
  });

  it('defaults to multilingual, which keeps more of the Japanese tweets; --no-replies counts replies apart', () => {
    const hugging = JSON.parse(cli('--rule', 'huggingtweets', paths[1]).stdout).users[0];
    const multi = JSON.parse(cli(paths[1]).stdout);
    expect(multi.rule).toBe('multilingual');
    expect(multi.users[0].downloaded).toBe(hugging.downloaded);
    expect(multi.users[0].kept).toBeGreaterThan(hugging.kept);
    const noReplies = JSON.parse(cli('--no-replies', paths[1]).stdout).users[0];
    expect(noReplies.replies).toBeGreaterThan(0);
    expect(noReplies.downloaded).toBe(noReplies.retweets + noReplies.short + noReplies.kept + noReplies.replies);
  });

  it('merges the same account given twice', () => {
    const t = makeTweets(30);
    const a = write('a1.zip', buildArchiveZip({ username: 'same', tweets: t.slice(0, 20) }));
    const b = write('a2.zip', buildArchiveZip({ username: 'same', tweets: t.slice(10), layout: 'tweet', entries: 'bare' }));
    const out = JSON.parse(cli(a, b).stdout);
    expect(out.users).toHaveLength(1);
    expect(out.users[0].downloaded).toBe(30);
  });

  it("counts the kept tweets' languages as the model card does: pseudo-languages, retweets and short tweets aside", () => {
    const tweet = (i: number, text: string, lang: string) => ({ id: String(5000 + i), text: `${text} ${i}`, lang });
    const tweets = [
      ...Array.from({ length: 6 }, (_, i) => tweet(i, 'a tweet in english here', 'en')),
      ...Array.from({ length: 3 }, (_, i) => tweet(10 + i, '今日は本当にいい天気ですね', 'ja')),
      ...Array.from({ length: 2 }, (_, i) => tweet(20 + i, 'only a picture of the sea', 'und')),
      tweet(30, 'RT @x: 今日は本当にいい天気ですね', 'ja'),
      tweet(31, 'ok', 'en'),
      tweet(32, 'un tweet en español aquí', 'es-419'),
    ];
    const out = JSON.parse(cli(write('langs.zip', buildArchiveZip({ username: 'lang', tweets }))).stdout);
    expect(out.users[0]).toMatchObject({ downloaded: 14, retweets: 1, short: 1, kept: 12 });
    expect(out.languages).toEqual({ en: 6, es: 1, ja: 3 });
  });

  it('bad input: one stderr line naming the problem, exit 1', () => {
    const bad = write('bad-json.zip', buildBadArchive('bad-json'));
    const res = cli(paths[0], bad);
    expect(res.status).toBe(1);
    expect(res.stdout).toBe('');
    expect(res.stderr).toMatch(/^error: bad-json\.zip: data\/tweets\.js: broken JSON in entry 2 at byte \d+: .+\n$/);
    const notZip = cli(write('notes.zip', buildBadArchive('not-zip')));
    expect(notZip.status).toBe(1);
    expect(notZip.stderr).toBe('error: notes.zip is not a zip file: expected your Twitter/X archive (.zip)\n');
    const missing = cli(join(dir, 'nope.zip'));
    expect(missing.stderr).toMatch(/^error: cannot open .*nope\.zip: no such file\n$/);
    expect(cli('--rule', 'spaces', paths[0]).stderr).toBe('error: --rule must be one of: huggingtweets, multilingual\n');
    expect(cli().status).toBe(1);
  });
});
