// The two rules of docs/design.md#counting-rules on hand-picked tweets, with the answers written out.
import { describe, expect, it } from 'vitest';
import { TweetTable } from '../../src/lib/archive/tweet-table.ts';
import type { ArchiveContent, RawTweet } from '../../src/lib/archive/types.ts';
import { cleanText, decodeEntities, searchMatcher } from '../../src/lib/dataset/clean.ts';
import { classifyTweet, countWords } from '../../src/lib/dataset/rules.ts';
import { buildDataset, keptTexts, mergeArchives } from '../../src/lib/dataset/table.ts';
import { boring_tweet, clean_tweet, fix_text } from '../helpers/huggingtweets-reference.ts';
import { rng, tortureStrings } from '../helpers/torture-strings.ts';

const tweet = (id: string, fullText: string, extra: Partial<RawTweet> = {}): RawTweet =>
  ({ id, createdAt: 'Wed Mar 15 12:34:56 +0000 2023', fullText, noteJoined: false, ...extra });

describe('cleaning', () => {
  it('decodes &amp; first, then &lt;, then &gt; (so &amp;lt; becomes <, as huggingtweets did)', () => {
    expect(decodeEntities('&amp;lt;')).toBe('<');
    expect(decodeEntities('&amp;amp;')).toBe('&amp;');
    expect(decodeEntities('a &lt;b&gt; &amp; c')).toBe('a <b> & c');
    expect(decodeEntities('&quot;kept&quot; &#39;too&#39;')).toBe('&quot;kept&quot; &#39;too&#39;');
    expect(cleanText('&amp;lt;3 you')).toBe(clean_tweet(fix_text('&amp;lt;3 you')));
  });

  it('removes URLs at the start, middle and end, and after newlines', () => {
    expect(cleanText('https://t.co/a hello world')).toBe('hello world');
    expect(cleanText('hello https://t.co/a world')).toBe('hello world');
    expect(cleanText('hello world https://t.co/a')).toBe('hello world');
    expect(cleanText('hello\nhttps://t.co/a\nworld')).toBe('hello world');
    expect(cleanText('hello\nhttp://t.co/a world')).toBe('hello world');
    expect(cleanText('hello world\nhttps://t.co/a')).toBe('hello world');
    expect(cleanText('a http://x.y/z b https://q.r c')).toBe('a b c');
  });

  it('keeps what huggingtweets kept: a bare scheme, and text glued before a URL', () => {
    expect(cleanText('http: and https: alone')).toBe('http: and https: alone');
    // "{w}\S+ " eats the space after the URL, gluing the neighbours together.
    expect(cleanText('see:https://t.co/q glued')).toBe('see:glued');
  });

  it('collapses every whitespace run, newlines and ideographic spaces too', () => {
    expect(cleanText('  a \n\n b\t\tc\u3000d  ')).toBe('a b c d');
  });
});

describe('huggingtweets rule', () => {
  it('counts whitespace words, setting aside any holding http, @ or # (case-insensitive)', () => {
    expect(countWords('one two three', 'huggingtweets')).toBe(3);
    expect(countWords('@a #b HTTPx one two', 'huggingtweets')).toBe(2);
    expect(countWords('mail me@x.com please now', 'huggingtweets')).toBe(3);
    expect(countWords('Https is a word', 'huggingtweets')).toBe(3);
    expect(classifyTweet(tweet('1', '@pal #tag two words'), 'huggingtweets').reason).toBe('short');
    expect(classifyTweet(tweet('1', 'three real words https://t.co/x'), 'huggingtweets').reason).toBe('kept');
  });

  it('retweets start with "RT @" exactly', () => {
    expect(classifyTweet(tweet('1', 'RT @x: a retweet of many words'), 'huggingtweets').reason).toBe('retweet');
    expect(classifyTweet(tweet('1', 'rt @x: not one by this rule'), 'huggingtweets').reason).toBe('kept');
    expect(classifyTweet(tweet('1', ' RT @x: leading space so not one'), 'huggingtweets').reason).toBe('kept');
  });
});

describe('a Japanese tweet under both rules', () => {
  const ja = tweet('1', '今日は本当にいい天気ですね', { lang: 'ja' });
  it('is short under huggingtweets (one space-separated token)', () => {
    expect(boring_tweet(clean_tweet(fix_text(ja.fullText)))).toBe(true);
    expect(classifyTweet(ja, 'huggingtweets').reason).toBe('short');
  });
  it('is kept under multilingual: Intl.Segmenter finds its words', () => {
    // 今日 / は / 本当 / に / いい / 天気 / です / ね
    expect(countWords(ja.fullText, 'multilingual', 'ja')).toBeGreaterThanOrEqual(5);
    expect(classifyTweet(ja, 'multilingual').reason).toBe('kept');
  });
  it('a short Japanese tweet stays short under multilingual', () => {
    expect(classifyTweet(tweet('2', 'おはよう', { lang: 'ja' }), 'multilingual').reason).toBe('short');
  });
  it('multilingual still sets aside @, # and URL tokens, and works without or with a pseudo lang', () => {
    expect(countWords('@someone #日本 ラーメン', 'multilingual', 'ja')).toBe(1);
    expect(classifyTweet(tweet('3', '今日は本当にいい天気ですね', { lang: 'und' }), 'multilingual').reason).toBe('kept');
    expect(classifyTweet(tweet('4', '今日は本当にいい天気ですね', { lang: 'not a tag!' }), 'multilingual').reason).toBe('kept');
    expect(countWords('three plain words', 'multilingual', 'en')).toBe(3);
  });
});

describe('the table', () => {
  const archive = (username: string, tweets: RawTweet[], name = `${username}.zip`): ArchiveContent =>
    ({ name, account: { username, displayName: username.toUpperCase() }, tweets: TweetTable.from(tweets) });

  const tweets = [
    tweet('1', 'RT @x: a retweet of many words'),
    tweet('2', 'too short'),
    tweet('3', 'this one has enough words'),
    tweet('4', '@pal this reply has enough words', { inReplyToStatusId: '99' }),
    tweet('5', 'RT @pal: a retweet that is a reply too', { inReplyToStatusId: '98' }),
  ];

  it('counts each reason; downloaded = retweets + short + kept', () => {
    const d = buildDataset([archive('ada', tweets)], 'huggingtweets');
    expect(d.users).toEqual([{ username: 'ada', displayName: 'ADA', downloaded: 5, retweets: 2, short: 1, kept: 2, replies: 0 }]);
    expect([...d.tweets].map((t) => t.reason)).toEqual(['retweet', 'short', 'kept', 'kept', 'retweet']);
    expect(keptTexts(d)).toEqual(['this one has enough words', '@pal this reply has enough words']);
  });

  it('leaves out replies that are not retweets when asked; downloaded = retweets + short + kept + replies', () => {
    const d = buildDataset([archive('ada', tweets)], 'multilingual', { excludeReplies: true });
    expect(d.users[0]).toMatchObject({ downloaded: 5, retweets: 2, short: 1, kept: 1, replies: 1 });
    expect([...d.tweets].find((t) => t.id === '4')?.reason).toBe('reply');
    expect(d.excludeReplies).toBe(true);
  });

  it('merges the same account dropped twice by tweet id, in order of first appearance', () => {
    const a1 = archive('ada', tweets.slice(0, 3), 'old.zip');
    const b = archive('bob', [tweet('7', 'bob says three words')]);
    const a2 = archive('Ada', [tweets[2], tweets[3], { ...tweet('3', 'joined long text of the same post'), noteJoined: true }], 'new.zip');
    const merged = mergeArchives([a1, b, a2]);
    expect(merged.map((c) => c.account.username)).toEqual(['ada', 'bob']);
    expect(merged[0].name).toBe('old.zip + new.zip');
    expect([...merged[0].tweets].map((t) => t.id)).toEqual(['1', '2', '3', '4']);
    // A copy joined to its long post wins over the cut copy.
    expect(merged[0].tweets.at(2).fullText).toBe('joined long text of the same post');
    const d = buildDataset([a1, b, a2], 'huggingtweets');
    expect(d.users.map((u) => [u.username, u.downloaded])).toEqual([['ada', 4], ['bob', 1]]);
    // Merging what is merged changes nothing.
    const plain = (ms: typeof merged) => ms.map((m) => ({ name: m.name, account: m.account, tweets: [...m.tweets] }));
    expect(plain(mergeArchives(merged))).toEqual(plain(merged));
  });
});

describe('the explorer search (searchMatcher)', () => {
  it('finds what the plain definition finds: the search in the text as archived or as cleaned', () => {
    const texts = [...tortureStrings(600), 'ΟΔΟΣ\tκαι', 'a &amp; b', 'foohttp://x bar', 'x  y', ' lead', 'trail ', 'nel\u0085line', 'a\u3000b c',
      'ΣΑ&amp;x', 'a&lt;b  c', '&amp;lt;tag&gt; x', 'x https://t.co/a y', 'R&amp;D\nteam'];
    const r = rng(5);
    for (const text of texts) {
      const searches = [' ', 'a b', 'x y', 'a & b', 'foobar', 'ς', 'σ', 'και', 'σα&', '<b c', '<tag>', 'x y', 'r&d team', 'd t', text.slice(0, 3), text.slice(2, 9)];
      for (let k = 0; k < 3; k++) {
        const at = Math.floor(r() * text.length);
        searches.push(text.slice(at, at + 1 + Math.floor(r() * 6)));
      }
      for (const raw of searches) {
        const search = raw.trim().toLowerCase();
        if (!search) continue;
        const plain = text.toLowerCase().includes(search) || cleanText(text).toLowerCase().includes(search);
        expect(searchMatcher(search)(text), `${JSON.stringify(text)} ~ ${JSON.stringify(search)}`).toBe(plain);
      }
    }
  });
});
