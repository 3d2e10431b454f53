// generate(): KV-cached greedy == full-recompute greedy on a tiny GPT-2 with the real
// vocabulary (tfjs CPU backend); seeds reproduce samples; streamed text is clean UTF-8;
// stop at <|endoftext|>, min/max new tokens and abort, on a scripted stand-in model whose
// logits we choose; no tensor leaks.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import {
  DEFAULT_PROMPT,
  DEFAULT_SAMPLE_OPTIONS,
  generate,
  generateAll,
  generateIds,
  type SampleOptions,
} from '../../src/lib/generate/generate.ts';
import { tinyConfig, tinyWeights } from '../../scripts/fixtures/tiny-model.ts';
import { GPT2_MERGES_TXT, GPT2_VOCAB_JSON } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';

let tok: GPT2Tokenizer;
let model: GPT2;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  tok = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
  const config = tinyConfig({ nLayer: 2, nEmbd: 64, nHead: 4, nPositions: 128 });
  model = GPT2.fromWeights(config, tinyWeights(config, 1));
});

const greedy = (o: Partial<SampleOptions> = {}): SampleOptions => ({
  ...DEFAULT_SAMPLE_OPTIONS,
  greedy: true,
  prefixEot: false,
  minNewTokens: 0,
  numSamples: 1,
  ...o,
});

describe('generate on a tiny GPT-2 (CPU)', () => {
  it('has the page defaults of huggingtweets', () => {
    expect(DEFAULT_PROMPT).toBe('My dream is');
    expect(DEFAULT_SAMPLE_OPTIONS).toMatchObject({
      temperature: 1, topP: 0.95, topK: 50, maxNewTokens: 160, minNewTokens: 10, numSamples: 5, prefixEot: true,
    });
  });

  it('KV-cached greedy equals full-recompute greedy for 60 tokens', async () => {
    const opts = greedy({ maxNewTokens: 60, numSamples: 2 });
    const cached = await generateAll(model, tok, 'Hello, my name is', opts);
    const full = await generateAll(model, tok, 'Hello, my name is', { ...opts, kvCache: false });
    expect(cached[0].ids).toHaveLength(60); // the fixture never draws EOT greedily here
    expect(cached[0].ids).toEqual(full[0].ids);
    expect(cached[1].ids).toEqual(cached[0].ids); // both rows of the batch agree
    expect(new Set(cached[0].ids).size).toBeGreaterThan(5); // not a degenerate repeat
    expect(cached[0].text).toBe(tok.decode(cached[0].ids));
    // GPT2 keeps one causal mask (the last length T): a run leaves no tensor behind, even
    // without the KV cache, where every step is a new length.
    const before = tf.memory().numTensors;
    await generateAll(model, tok, 'Hello, my name is', { ...opts, maxNewTokens: 10 });
    await generateAll(model, tok, 'Hello, my name is', { ...opts, maxNewTokens: 10, kvCache: false });
    const longer = 'word '.repeat(80).trim(); // 80 tokens: past every length the 60-token runs met
    await generateAll(model, tok, longer, { ...opts, maxNewTokens: 10, kvCache: false });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('streams pieces whose concatenation is the decoded text', async () => {
    const pieces: string[] = [];
    const ids: number[] = [];
    for await (const e of generate(model, tok, '🙂 dream', greedy({ maxNewTokens: 20 }))) {
      pieces.push(e.text);
      ids.push(e.id);
      expect(e.done).toBe(ids.length === 20);
    }
    expect(pieces.join('')).toBe(tok.decode(ids));
  });

  it('a seed reproduces the samples; another seed gives others', async () => {
    const opts: SampleOptions = { ...DEFAULT_SAMPLE_OPTIONS, numSamples: 3, maxNewTokens: 12, minNewTokens: 12, seed: 7 };
    const a = await generateAll(model, tok, DEFAULT_PROMPT, opts);
    const b = await generateAll(model, tok, DEFAULT_PROMPT, opts);
    const c = await generateAll(model, tok, DEFAULT_PROMPT, { ...opts, seed: 8 });
    expect(a).toEqual(b);
    expect(a.map((s) => s.ids)).not.toEqual(c.map((s) => s.ids));
    expect(new Set(a.map((s) => s.ids.join())).size).toBe(3); // samples of a batch differ
    // sample i draws from its own stream: alone, sample 0 is the same
    const alone = await generateAll(model, tok, DEFAULT_PROMPT, { ...opts, numSamples: 1 });
    expect(alone[0]).toEqual(a[0]);
  });

  it('respects n_positions', async () => {
    const long = ' word'.repeat(125); // 125 tokens of a 128-position model
    const out = await generateAll(model, tok, long, greedy({ maxNewTokens: 50 }));
    expect(tok.encode(long)).toHaveLength(125);
    expect(out[0].ids).toHaveLength(3);
    await expect(generateAll(model, tok, ' word'.repeat(128), greedy())).rejects.toThrow(/at most 128/);
    await expect(generateAll(model, tok, '', greedy())).rejects.toThrow(/empty/);
  });

  it('refuses settings it cannot use, before any work', async () => {
    const sampled = { ...DEFAULT_SAMPLE_OPTIONS, prefixEot: false };
    await expect(generateAll(model, tok, 'x', { ...sampled, temperature: 0 })).rejects.toThrow(/temperature must be > 0/);
    await expect(generateAll(model, tok, 'x', { ...sampled, topP: 1.5 })).rejects.toThrow(/topP must be in/);
    await expect(generateAll(model, tok, 'x', { ...sampled, topK: 2.5 })).rejects.toThrow(/topK must be an integer/);
    await expect(generateAll(model, tok, 'x', { ...sampled, numSamples: 0 })).rejects.toThrow(/numSamples/);
    await expect(generateAll(model, tok, 'x', { ...sampled, maxNewTokens: 0 })).rejects.toThrow(/maxNewTokens/);
    // greedy ignores the warpers, as HF does
    expect((await generateAll(model, tok, 'x', greedy({ temperature: 0, maxNewTokens: 2 })))[0].ids).toHaveLength(2);
  });
});

/**
 * A stand-in for a model whose next-token logits come from a script: step s (0 = after the
 * prompt) gives every row script[s]. It checks what generate feeds it, too.
 */
function scripted(script: number[][], nPositions = 1024) {
  const V = script[0].length;
  const fed: number[][][] = [];
  let step = 0;
  const fake = {
    dims: { vocab: V, positions: nPositions },
    newCache: (batch: number) => ({ length: 0, batch, dispose: () => {} }),
    hidden(ids: tf.Tensor2D) {
      fed.push(ids.arraySync());
      const [B, T] = ids.shape;
      const h = tf.fill([B * T, 1], step++); // the step number rides in the hidden state
      return h as tf.Tensor2D;
    },
    logits(h: tf.Tensor2D) {
      const s = h.arraySync().map((r) => Math.min(r[0], script.length - 1));
      return tf.tensor2d(s.map((i) => script[i]));
    },
  };
  return { model: fake as unknown as GPT2, fed };
}

describe('the token loop (scripted logits)', () => {
  const EOT = 3; // a 4-token vocabulary where id 3 plays <|endoftext|>
  const row = (best: number) => [0, 1, 2, 3].map((i) => (i === best ? 5 : 0));

  it('stops a sample at EOT and feeds only the new token with the cache', async () => {
    const { model: m, fed } = scripted([row(1), row(2), row(EOT), row(0)]);
    const events = [];
    for await (const e of generateIds(m, [0, 1], greedy({ maxNewTokens: 10, numSamples: 2 }), EOT)) events.push(e);
    expect(events).toEqual([
      { sample: 0, id: 1, done: false }, { sample: 1, id: 1, done: false },
      { sample: 0, id: 2, done: false }, { sample: 1, id: 2, done: false },
      { sample: 0, id: EOT, done: true }, { sample: 1, id: EOT, done: true },
    ]);
    expect(fed).toEqual([[[0, 1], [0, 1]], [[1], [1]], [[2], [2]]]);
  });

  it('min_new_tokens masks EOT until the minimum; max_new_tokens caps', async () => {
    const { model: m } = scripted([row(EOT), row(EOT), row(EOT), row(EOT)]);
    const ids: number[] = [];
    for await (const e of generateIds(m, [0], greedy({ minNewTokens: 2, maxNewTokens: 10 }), EOT)) ids.push(e.id);
    expect(ids).toEqual([0, 0, EOT]); // EOT masked twice, the argmax of the rest is id 0
    const { model: m2 } = scripted([row(1)]);
    const capped: boolean[] = [];
    for await (const e of generateIds(m2, [0], greedy({ maxNewTokens: 4 }), EOT)) capped.push(e.done);
    expect(capped).toEqual([false, false, false, true]);
  });

  it('applies the repetition penalty to prompt and generated tokens', async () => {
    // id 1 leads id 2 by 5 : 4; once 1 is in the sequence its logit halves (2.5) and 2 wins.
    const run = async (prompt: number[]) => {
      const { model: m } = scripted([[0, 5, 4, 0]]);
      const ids: number[] = [];
      for await (const e of generateIds(m, prompt, greedy({ maxNewTokens: 3, repetitionPenalty: 2 }), EOT)) ids.push(e.id);
      return ids;
    };
    // [0, 5, 4, 0] -> 1; seen {0, 1}: [0, 2.5, 4, 0] -> 2; seen {0, 1, 2}: [0, 2.5, 2, 0] -> 1
    expect(await run([0])).toEqual([1, 2, 1]);
    // 1 in the prompt is penalised from the first step: [0, 2.5, 4, 0] -> 2; then 2.5 > 2 -> 1, 1
    expect(await run([1])).toEqual([2, 1, 1]);
  });

  it('streams a character split over two tokens once it is whole', async () => {
    const [a, b] = tok.encode('🙂'); // F0 9F | 99 82
    const V = 50257;
    const hot = (id: number) => Array.from({ length: V }, (_, i) => (i === id ? 9 : 0));
    const { model: m } = scripted([hot(a), hot(b), hot(tok.encode(' ok')[0]), hot(tok.eotId)], 1024);
    const events = [];
    for await (const e of generate(m, tok, 'x', greedy({ maxNewTokens: 10 }))) events.push(e);
    expect(events.map((e) => e.text)).toEqual(['', '🙂', ' ok', '']);
    expect(events.map((e) => e.done)).toEqual([false, false, false, true]);
    expect(events.at(-1)!.id).toBe(tok.eotId);
  });

  it('without the cache, feeds the whole sequence (finished rows padded with EOT)', async () => {
    const { model: m, fed } = scripted([row(1), row(2)]);
    const opts = greedy({ maxNewTokens: 3, kvCache: false });
    for await (const _ of generateIds(m, [0], opts, EOT)) void _;
    expect(fed).toEqual([[[0]], [[0, 1]], [[0, 1, 2]]]);
  });

  it('stops on abort, freeing what it made', async () => {
    const before = tf.memory().numTensors;
    const ac = new AbortController();
    const seen: number[] = [];
    const run = (async () => {
      for await (const e of generate(model, tok, 'Hello', greedy({ maxNewTokens: 50 }), ac.signal)) {
        seen.push(e.id);
        if (seen.length === 3) ac.abort();
      }
    })();
    await expect(run).rejects.toThrow(/abort/i);
    expect(seen).toHaveLength(3);
    expect(tf.memory().numTensors).toBe(before);
  });
});
