// A model whose vocab_size exceeds its tokenizer's vocabulary (GPT-2's 50257 tokens, padded to
// 50304 as checkpoints often are) never samples an id it cannot decode. The padded rows are made
// to win: ln_f maps every position to the same vector h (weight 0, bias 1) and their wte rows
// point along it, so without the mask greedy decoding and sampling would draw them every time.
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { parseConfig } from '../../src/lib/model/gpt2/config.ts';
import { GPT2Tokenizer } from '../../src/lib/tokenizer/bpe.ts';
import { DEFAULT_SAMPLE_OPTIONS, decodableIds, generateAll, generateIds, type SampleOptions } from '../../src/lib/generate/generate.ts';
import { maskUndecodable, pickToken } from '../../src/lib/generate/samplers.ts';
import { tinyConfig, tinyWeights } from '../../scripts/fixtures/tiny-model.ts';
import { GPT2_MERGES_TXT, GPT2_VOCAB_JSON } from '../../scripts/fixtures/gpt2-tokenizer-files.ts';

const PADDED = 50304;
let tok: GPT2Tokenizer;
let model: GPT2;

beforeAll(async () => {
  await tf.setBackend('cpu');
  await tf.ready();
  tok = GPT2Tokenizer.fromFiles(fs.readFileSync(GPT2_VOCAB_JSON, 'utf8'), fs.readFileSync(GPT2_MERGES_TXT, 'utf8'));
  const config = parseConfig({ ...tinyConfig({ nLayer: 1, nEmbd: 16, nHead: 2, nPositions: 32 }), vocab_size: PADDED });
  const w = tinyWeights(config, 3);
  const C = config.n_embd;
  w.set('ln_f.weight', { shape: [C], data: new Float32Array(C) });
  w.set('ln_f.bias', { shape: [C], data: new Float32Array(C).fill(1) });
  const wte = w.get('wte.weight')!.data;
  for (let id = tok.vocabSize; id < PADDED; id++) wte.fill(5 + (id % 7), id * C, (id + 1) * C); // logit 16 x (5..11)
  model = GPT2.fromWeights(config, w);
  return () => model.dispose();
});

const opts = (o: Partial<SampleOptions> = {}): SampleOptions => ({
  ...DEFAULT_SAMPLE_OPTIONS, prefixEot: false, minNewTokens: 0, numSamples: 2, maxNewTokens: 8, seed: 5, ...o,
});

describe('a vocab_size larger than the vocabulary', () => {
  it('marks exactly the ids past the tokenizer as undecodable, and nothing for a matching model', () => {
    const mask = decodableIds(tok, PADDED)!;
    expect(mask.length).toBe(PADDED);
    expect(mask.subarray(0, 50257).every((m) => m === 1)).toBe(true);
    expect(mask.subarray(50257).every((m) => m === 0)).toBe(true);
    expect(decodableIds(tok, 50257)).toBeUndefined();
  });

  it('without the mask the padded ids win (the test can fail); with it they are never drawn', async () => {
    const raw: number[] = [];
    for await (const e of generateIds(model, tok.encode('Hello'), opts({ greedy: true }), tok.eotId)) raw.push(e.id);
    expect(raw.every((id) => id >= 50257)).toBe(true);
    for (const greedy of [true, false]) {
      const out = await generateAll(model, tok, 'Hello', opts({ greedy, temperature: 1.5, topK: 0, topP: 1 }));
      for (const s of out) {
        expect(s.ids.length).toBeGreaterThan(0);
        expect(s.ids.every((id) => id < 50257)).toBe(true);
        expect(s.text).toBe(tok.decode(s.ids.filter((id) => id !== tok.eotId)));
      }
    }
  });

  it('maskUndecodable removes only the masked ids, whatever the warpers do after', () => {
    const logits = new Float32Array([1, 9, 3, 8]);
    const decodable = Uint8Array.from([1, 0, 1, 0]);
    expect([...maskUndecodable(logits, decodable)]).toEqual([1, -Infinity, 3, -Infinity]);
    const ctx = { seen: [1], newTokens: 0, eotId: 0, decodable };
    expect(pickToken(logits, { ...opts(), greedy: true, repetitionPenalty: 1 }, ctx, 0)).toBe(2);
    for (const u of [0, 0.5, 0.999]) expect([0, 2]).toContain(pickToken(logits, { ...opts(), topK: 1 }, ctx, u));
  });
});
