// The CLI contract of docs/design.md#cli: `tokenize --model DIR` (stdin text -> JSON array of ids) and
// `--jsonl` (one JSON string per line -> one JSON array per line), checked against js-tiktoken.
import { describe, it, expect, beforeAll } from 'vitest';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { getEncoding } from 'js-tiktoken';
import { writeGpt2TokenizerFiles } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';
import { tortureStrings } from '../helpers/torture-strings.ts';

const DIR = path.resolve('.fixtures/tokenizer-gpt2');
const tiktoken = getEncoding('gpt2');
const reference = (s: string): number[] => tiktoken.encode(s, [], []);
const JS_WHITESPACE_QUIRK = /[\u0085\ufeff]/; // see tokenizer-bpe.test.ts

function cli(args: string[], input: string, viaNpm = false): { status: number | null; stdout: string; stderr: string } {
  const [cmd, argv] = viaNpm
    ? ['npm', ['run', '-s', 'cli', '--', 'tokenize', ...args]]
    : [path.resolve('node_modules/.bin/tsx'), ['scripts/cli.ts', 'tokenize', ...args]];
  const r = spawnSync(cmd, argv, { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => writeGpt2TokenizerFiles(DIR)); // idempotent: copies GPT-2's files from node_modules

describe('npm run -s cli -- tokenize', () => {
  it('prints the ids of stdin as one JSON array', () => {
    const text = "Hello <|endoftext|> world 🎉\r\nI'M here, they'Ve gone.\n";
    const r = cli(['--model', DIR], text, true);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(reference(text));
    expect(JSON.parse(r.stdout)).not.toContain(50256);
  });

  it('--jsonl: one array per line, in order, for the torture strings', () => {
    const texts = tortureStrings().filter((s) => !JS_WHITESPACE_QUIRK.test(s)).slice(0, 1500);
    const r = cli(['--model', DIR, '--jsonl'], texts.map((s) => JSON.stringify(s)).join('\n') + '\n');
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(texts.length);
    lines.forEach((line, i) => expect(JSON.parse(line), JSON.stringify(texts[i])).toEqual(reference(texts[i])));
  });

  it('--jsonl --threads 2 prints the same as one thread; CRLF lines and a missing final newline are fine', () => {
    const texts = tortureStrings(2400, 5).slice(-300);
    const input = texts.map((s) => JSON.stringify(s)).join('\r\n');
    const one = cli(['--model', DIR, '--jsonl'], input);
    const two = cli(['--model', DIR, '--jsonl', '--threads', '2'], input);
    expect(one.status).toBe(0);
    expect(two.stderr).toBe('');
    expect(two.stdout).toBe(one.stdout);
    expect(one.stdout.trimEnd().split('\n').length).toBe(300);
  });

  it('fails with one readable stderr line and a non-zero exit', () => {
    const cases: [string[], string, RegExp][] = [
      [['--model', path.resolve('.fixtures/no-such-model')], 'hi', /has no vocab\.json/],
      [[], 'hi', /missing --model/],
      [['--model', DIR, '--jsonl'], '"ok"\nnot json\n', /line 2 is not JSON/],
      [['--model', DIR, '--jsonl'], '"ok"\n42\n', /line 2 is not a JSON string/],
      [['--model', DIR, '--bogus'], 'hi', /unexpected --bogus/],
    ];
    for (const [args, input, message] of cases) {
      const r = cli(args, input);
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
