// `score` and `generate` on Llama- and Qwen2-family folders: the real CLI process on the tiny
// fixtures (Qwen2.5's tokenizer.json) against the PyTorch goldens (tests/golden/llama-tiny.json),
// the same JSON as for GPT-2, no prefix token; and generation never drawing the ids Qwen2.5 pads
// its vocabulary with (151,665 tokens, 151,936 embedding rows).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import golden from '../golden/llama-tiny.json';
import { CausalLM } from '../../src/lib/model/causal-lm.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateAll } from '../../src/lib/generate/generate.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { loadTokenizerDir } from '../../scripts/fixtures/tokenizer-dir.ts';
import { tinyLlamaConfig, tinyLlamaDir, TINY_LLAMAS } from '../../scripts/fixtures/tiny-llama.ts';

const ROOT = path.resolve(import.meta.dirname, '../..');

function cli(args: string[], input = '') {
  return spawnSync(process.execPath, ['--import', 'tsx', 'scripts/cli.ts', ...args], { cwd: ROOT, encoding: 'utf8', input });
}

beforeAll(async () => {
  await tf.setBackend('cpu');
  (tf.backend() as unknown as { firstUse: boolean }).firstUse = false;
});

describe.each(['tiny-qwen2-sharded', 'tiny-llama'] as const)('CLI on "%s"', (name) => {
  const g = golden.models[name];

  it('score: tokens, mean loss and per-position losses within 1e-4 of PyTorch', () => {
    const t = g.texts[1]; // Japanese: Qwen's tokenizer, not GPT-2's
    const r = cli(['score', '--model', tinyLlamaDir(name)], t.text);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { tokens: number; loss: number; losses: number[] };
    expect(out.tokens).toBe(t.ids.length); // no prefix token
    expect(out.losses).toHaveLength(t.losses.length);
    out.losses.forEach((l, i) => expect(Math.abs(l - t.losses[i])).toBeLessThan(1e-4));
    const mean = t.losses.reduce((a, b) => a + b, 0) / t.losses.length;
    expect(Math.abs(out.loss - mean)).toBeLessThan(1e-4);
  });

  it('generate --greedy: the golden continuation and its text', async () => {
    const c = g.greedy[1]; // 今日は, no prefix
    expect(c.eot_prefix).toBe(false);
    const n = 16;
    const r = cli(['generate', '--model', tinyLlamaDir(name), '--prompt', c.prompt, '--max-new-tokens', String(n), '--greedy']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { ids: number[]; text: string };
    expect(out.ids).toEqual(c.new_ids.slice(0, n));
    const tok = await loadTokenizerDir(tinyLlamaDir(name));
    expect(out.text).toBe(tok.decode(c.new_ids.slice(0, n)));
  });
});

describe('CLI refusals', () => {
  it('a rope_scaling it does not implement, or an unknown model_type: one stderr line, exit 1', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'llama-cli-'));
    try {
      for (const f of fs.readdirSync(tinyLlamaDir('tiny-qwen2'))) fs.copyFileSync(path.join(tinyLlamaDir('tiny-qwen2'), f), path.join(dir, f));
      const config = tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']);
      for (const [patch, msg] of [
        [{ rope_scaling: { rope_type: 'yarn', factor: 4 } }, /rope_scaling "yarn" is not supported/],
        [{ model_type: 'mistral' }, /model_type "mistral" is not supported/],
        [{ num_key_value_heads: 3 }, /multiple of num_key_value_heads/],
      ] as const) {
        fs.writeFileSync(path.join(dir, 'config.json'), JSON.stringify({ ...config, ...patch }));
        const r = cli(['generate', '--model', dir, '--prompt', 'x', '--max-new-tokens', '2', '--greedy']);
        expect(r.status).toBe(1);
        expect(r.stdout).toBe('');
        expect(r.stderr).toMatch(msg);
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('generation and the padded vocabulary', () => {
  it('never picks an id past the tokenizer, even when those rows win every argmax', async () => {
    const dir = tinyLlamaDir('tiny-qwen2');
    const folder = await loadHFDir(dir);
    const tok = await loadTokenizerDir(dir);
    const V = 151936;
    expect(tok.vocabSize).toBeLessThan(V);
    // Scale the padded rows of the tied table so that, unmasked, one of them is the argmax.
    const emb = folder.weights.get('embed_tokens.weight')!;
    const C = emb.shape[1];
    const data = emb.data.slice();
    for (let i = tok.vocabSize * C; i < V * C; i++) data[i] *= 1000;
    const weights = new Map(folder.weights).set('embed_tokens.weight', { shape: emb.shape, data });
    const model = CausalLM.fromWeights(folder.family, folder.config, weights);
    try {
      const unmasked = tf.tidy(() => model.logits(model.hidden(tf.tensor2d([tok.encode('Hello')], undefined, 'int32'))).argMax(1));
      expect(Math.max(...(await unmasked.data()))).toBeGreaterThanOrEqual(tok.vocabSize); // the test can fail
      unmasked.dispose();
      for (const greedy of [true, false]) {
        const opts = { ...DEFAULT_SAMPLE_OPTIONS, greedy, prefixEot: false, numSamples: 2, minNewTokens: 0, maxNewTokens: 6, seed: 3 };
        for (const { ids } of await generateAll(model, tok, 'Hello', opts)) {
          expect(ids.length).toBeGreaterThan(0);
          for (const id of ids) expect(id).toBeLessThan(tok.vocabSize);
        }
      }
    } finally {
      model.dispose();
    }
  });
});
