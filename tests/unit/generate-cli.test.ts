// Greedy continuations against model-core's golden values (tests/golden/model-tiny.json,
// from the independent float64 PyTorch GPT-2): through the CLI (no prefix, text prompt) and
// through generate() with the page's <|endoftext|> prefix, on the tfjs CPU backend.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateAll } from '../../src/lib/generate/generate.ts';
import { loadModelDir } from '../../scripts/fixtures/model-dir.ts';
import { tinyModelDir, type TinyModelName } from '../../scripts/fixtures/tiny-model.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');
interface GreedyCase { prompt: string; ids: number[]; new_ids: number[] }
const golden = JSON.parse(fs.readFileSync(path.join(ROOT, 'tests/golden/model-tiny.json'), 'utf8')) as {
  models: Record<TinyModelName, { greedy: GreedyCase[] }>;
};
const NAMES = Object.keys(golden.models) as TinyModelName[];

function cli(args: string[]) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  for (const name of NAMES) tinyModelDir(name); // built once, idempotently
});

describe('generate CLI: greedy continuations equal the PyTorch golden ones', () => {
  for (const name of NAMES) {
    // The CLI adds no prefix: only the cases whose ids are the prompt's own text qualify.
    const c = golden.models[name].greedy.find((g) => g.prompt !== '' && g.ids[0] !== 50256)!;
    it(`${name}: "${c.prompt}" + ${c.new_ids.length} tokens`, () => {
      const r = cli(['generate', '--model', tinyModelDir(name), '--prompt', c.prompt, '--max-new-tokens', String(c.new_ids.length), '--greedy']);
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
      const out = JSON.parse(r.stdout) as { ids: number[]; text: string };
      expect(out.ids).toEqual(c.new_ids);
      const tok = GPT2Tokenizer.fromFiles(
        fs.readFileSync(path.join(tinyModelDir(name), 'vocab.json'), 'utf8'),
        fs.readFileSync(path.join(tinyModelDir(name), 'merges.txt'), 'utf8'),
      );
      expect(out.text).toBe(tok.decode(c.new_ids));
    });
  }

  it('says what is wrong on one stderr line, exit 1', () => {
    for (const [args, msg] of [
      [['generate', '--prompt', 'x'], /missing --model/],
      [['generate', '--model', tinyModelDir('tiny'), '--prompt', 'x', '--max-new-tokens', 'ten'], /--max-new-tokens must be an integer/],
      [['generate', '--model', path.join(ROOT, 'no-such-dir'), '--prompt', 'x'], /model folder .*no-such-dir has no /],
      [['generate', '--model', tinyModelDir('tiny'), '--prompt', ' word'.repeat(300), '--greedy'], /at most 256/],
    ] as const) {
      const r = cli([...args]);
      expect(r.status).toBe(1);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('generate() with the <|endoftext|> prefix equals the golden continuations', () => {
  for (const name of NAMES) {
    it(name, async () => {
      const files = await loadModelDir(tinyModelDir(name));
      const tok = GPT2Tokenizer.fromFiles(files.vocabJson, files.mergesTxt);
      const model = GPT2.fromWeights(files.config, files.weights);
      for (const c of golden.models[name].greedy.filter((g) => g.ids[0] === 50256)) {
        const opts = { ...DEFAULT_SAMPLE_OPTIONS, greedy: true, prefixEot: true, numSamples: 1, minNewTokens: 0, maxNewTokens: c.new_ids.length };
        const [out] = await generateAll(model, tok, c.prompt, opts);
        expect(out.ids).toEqual(c.new_ids);
      }
      model.dispose();
    });
  }
});
