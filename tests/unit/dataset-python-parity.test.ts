// The huggingtweets rule against the Python original: huggingtweets' own fix_text,
// clean_tweet and boring_tweet run by python3 on tricky and random texts; both the
// independent TypeScript port (tests/helpers) and the production cleaner must agree.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { cleanText, isBoringToken, splitWords } from '../../src/lib/dataset/clean.ts';
import { countWords } from '../../src/lib/dataset/rules.ts';
import { boring_tweet, clean_tweet, fix_text, HUGGINGTWEETS_PY } from '../helpers/huggingtweets-reference.ts';

const hasPython = spawnSync('python3', ['-c', 'print(1)']).status === 0;

const TRICKY = [
  'plain words here', '&amp;lt;b&amp;gt; &lt;i&gt; fish &amp; chips', 'https://t.co/abc starts with a url',
  'ends with a url https://t.co/abc', 'in the middle https://t.co/x of text', 'line one\nhttps://t.co/a\nline three words',
  'line one\nhttps://t.co/a more words', 'two\n\nhttp://a.b http://c.d\tafter tab', 'see:https://t.co/q glued on',
  '(https://t.co/paren) inside parens ok', 'http: alone is kept', 'https:// bare scheme', 'HTTP://UPPER.CASE url stays',
  'Check HTTPS and Http words', '@user hello there', 'mail me@example.com now please', '#hash tag words here',
  'a\u3000b\u3000c', 'ideographic\u3000space\u3000splits', 'nbsp\u00a0between\u00a0words', 'x\u001cy\u001dz field seps',
  'next\u0085line here', 'zero\u200bwidth not space', 'bom\ufeffis not space in python', '   leading and trailing   ',
  '今日は本当にいい天気ですね', 'RT @someone: a retweet', 'emoji 🎉 party 🎉 time', 'https://a.b/c https://d.e/f',
  'xhttp://a.b yhttps://c.d z', 'httpshttp://x :y end', 'tab\thttp://x\tafter', '\nhttp://x', 'http://x\n',
];

function randomTexts(n: number, seed: number): string[] {
  let s = seed;
  const r = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const atoms = ['h', 't', 'p', 's', ':', '/', ' ', ' ', '\n', '\t', '\u3000', '\x1c', 'a', 'word', '@', '#', '&amp;', '&lt;', '&gt;',
    'http:', 'https:', 'http://t.co/', 'HTTP', 'é', '🎉', '日本', '\u00a0', '\u0085', '\ufeff', 'amp;', '&'];
  return Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(r() * 14) }, () => atoms[Math.floor(r() * atoms.length)]).join(''));
}

function runPython(texts: string[]): { clean: string; boring: boolean }[] {
  const script = `${HUGGINGTWEETS_PY}
import json, sys
texts = json.loads(sys.stdin.read())
out = []
for t in texts:
    c = clean_tweet(fix_text(t))
    out.append({"clean": c, "boring": boring_tweet(c)})
sys.stdout.write(json.dumps(out))
`;
  const res = spawnSync('python3', ['-c', script], { input: JSON.stringify(texts), encoding: 'utf8' });
  if (res.status !== 0) throw new Error(res.stderr);
  return JSON.parse(res.stdout);
}

describe.skipIf(!hasPython)('huggingtweets rule vs the Python original', () => {
  const texts = [...TRICKY, ...randomTexts(3000, 42)];
  const python = hasPython ? runPython(texts) : [];

  it('the TypeScript port in tests/helpers matches Python', () => {
    const mismatches = texts.filter((t, i) => clean_tweet(fix_text(t)) !== python[i].clean || boring_tweet(python[i].clean) !== python[i].boring);
    expect(mismatches).toEqual([]);
  });

  it('the production cleaner and huggingtweets word count match Python', () => {
    const mismatches = texts.filter((t, i) => {
      const clean = cleanText(t);
      return clean !== python[i].clean || (countWords(clean, 'huggingtweets') < 3) !== python[i].boring;
    });
    expect(mismatches).toEqual([]);
  });

  it('sanity: the inputs exercise URL removal, entities and odd whitespace', () => {
    expect(python[1].clean).toBe('<b> <i> fish & chips');
    expect(python.filter((p, i) => p.clean !== texts[i]).length).toBeGreaterThan(1000);
    expect(splitWords('a\u3000b').length).toBe(2);
    expect(isBoringToken('HtTp')).toBe(true);
  });
});
