// `npm run -s cli -- score`: the real CLI process on a tiny fixture, against the PyTorch
// golden losses; and the windowing used for texts longer than n_positions.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import golden from '../golden/model-tiny.json';
import { tinyConfig, tinyModelDir, tinyWeights } from '../../scripts/fixtures/tiny-model.ts';
import { scoreIds } from '../../scripts/cli/score.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { lossesOf } from '../helpers/model-helpers.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

function cli(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile('npx', ['tsx', 'scripts/cli.ts', ...args], { cwd: ROOT }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

describe('score CLI', () => {
  it('prints tokens, mean loss and per-position losses matching PyTorch', async () => {
    const t = golden.models['tiny-bare'].texts[1];
    const r = await cli(['score', '--model', tinyModelDir('tiny-bare')], t.text);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.tokens).toBe(t.ids.length); // our tokenizer agrees with js-tiktoken's ids
    expect(out.losses).toHaveLength(t.ids.length - 1);
    out.losses.forEach((l: number, i: number) => expect(Math.abs(l - t.losses[i])).toBeLessThan(1e-4));
    const mean = t.losses.reduce((a, b) => a + b, 0) / t.losses.length;
    expect(Math.abs(out.loss - mean)).toBeLessThan(1e-4);
  });

  it('fails with one readable line', async () => {
    const r = await cli(['score', '--model', tinyModelDir('tiny')], 'x');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toBe('error: the text has 1 token(s); scoring needs at least 2\n');
    const r2 = await cli(['score'], 'hello world');
    expect(r2.stderr).toBe('error: missing --model\n');
  });
});

describe('scoreIds windows', () => {
  const config = parseConfig({ ...tinyConfig({ nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 8 }), vocab_size: 100 });
  let model: GPT2;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = GPT2.fromWeights(config, tinyWeights(config, 9));
    return () => model.dispose();
  });
  const ids = Array.from({ length: 21 }, (_, i) => (i * 37 + 11) % 100);

  it('equals one pass when the text fits', async () => {
    expect(await scoreIds(model, ids.slice(0, 8))).toEqual(await lossesOf(model, ids.slice(0, 8)));
  });

  it('scores each target once, with at least half a window of context, when it does not', async () => {
    const losses = await scoreIds(model, ids);
    expect(losses).toHaveLength(20);
    // Target j+1 is scored in window [s, s+8) with s the largest multiple of 4 such that j - s >= 3 (or s = 0).
    for (let j = 0; j < 20; j++) {
      const s = j < 7 ? 0 : Math.floor((j - 3) / 4) * 4;
      const w = await lossesOf(model, ids.slice(s, s + 8));
      expect(losses[j]).toBeCloseTo(w[j - s], 5);
    }
  });
});
