// The model worker's logic (TrainingSession) on a Qwen2-family model: the tiny-qwen2 fixtures
// (random weights around Qwen2.5's real tokenizer.json) picked as files and served over HTTP,
// in one file and in two shards; the kept tweets tokenized by Qwen's tokenizer, pool and thread
// alike, each tweet ended by Qwen's <|endoftext|> (151643); a step trained, greedy samples the
// same with and without the KV cache; and a run resumed after a reload with its qwen2 base.
import 'fake-indexeddb/auto';
import fs from 'node:fs';
import type http from 'node:http';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QWEN_EOT, tinyLlamaConfig, tinyLlamaDir, tinyLlamaWeights, TINY_LLAMAS } from '../../scripts/fixtures/tiny-llama.ts';
import { readSafetensors, writeSafetensors } from '../../src/lib/model/safetensors.ts';
import { loadHFDir } from '../../scripts/fixtures/hf-dir.ts';
import { parseLlamaConfig, paramCount } from '../../src/lib/model/llama/index.ts';
import { INDEX_FILE } from '../../src/lib/model/hf-folder.ts';
import { TokenizerJsonBPE } from '../../src/lib/tokenizer/tokenizer-json.ts';
import { createNodeTokenizerPool } from '../../src/lib/tokenizer/node-workers.ts';
import type { TokenizerPoolFactory } from '../../src/lib/tokenizer/dataset-encoder.ts';
import { unpack } from '../../src/lib/tokenizer/packed-ids.ts';
import { SessionCore } from '../../src/workers/model/state.ts';
import { install } from '../../src/workers/model/load.ts';
import { prepare } from '../../src/workers/model/prepare.ts';
import { sessionHarness } from '../helpers/session-harness';
import { MIXED_ACCOUNTS, MIXED_TWEETS, serveModelFolders } from '../helpers/model-server.ts';
import { StreamingDecoder } from '../../src/lib/tokenizer/bpe.ts';
import { decodableIds, promptIds } from '../../src/lib/generate/generate.ts';

const ONE = tinyLlamaDir('tiny-qwen2');
const SHARDED = tinyLlamaDir('tiny-qwen2-sharded');
const dirFiles = (dir: string) => fs.readdirSync(dir).filter((f) => !f.startsWith('.')).map((f) => new File([fs.readFileSync(path.join(dir, f))], f));

let tok: TokenizerJsonBPE;
let server: http.Server;
let base: string;
const terminate: (() => void)[] = [];

beforeAll(async () => {
  tok = TokenizerJsonBPE.fromFiles(fs.readFileSync(path.join(ONE, 'tokenizer.json'), 'utf8'), fs.readFileSync(path.join(ONE, 'tokenizer_config.json'), 'utf8'));
  ({ server, base } = await serveModelFolders({ 'tiny-qwen2': ONE, 'tiny-qwen2-sharded': SHARDED }));
});
afterAll(() => new Promise((r) => server.close(r)));
afterEach(() => {
  for (const t of terminate.splice(0)) t();
});

const TWEETS = MIXED_TWEETS;
const accounts = MIXED_ACCOUNTS;
const settings = { blockSize: 16, batchSize: 2, epochs: 1, checkpointEvery: 1, lossReadEvery: 1, seed: 5, valFraction: 0.25 };
const greedy = (kvCache: boolean) => ({ greedy: true, numSamples: 1, maxNewTokens: 12, minNewTokens: 12, kvCache });

/** A session with the cpu backend, its tokenizer workers ended after the test. */
function harness(createTokenizerPool?: TokenizerPoolFactory) {
  const s = sessionHarness({ createTokenizerPool });
  terminate.push(() => s.session.dispose());
  return s;
}

async function sampleText(s: ReturnType<typeof harness>, id: number, kvCache = true): Promise<string> {
  await s.send({ type: 'sample', id, prompt: '今日は', options: greedy(kvCache) });
  await s.next('sample-end', (e) => e.id === id);
  return s.of('sample').filter((e) => e.id === id).map((e) => e.text).join('');
}

describe('TrainingSession on a qwen2 model', () => {
  it('loads the folder from picked files and from its URL, in one file or in shards: the same model', async () => {
    const s = harness();
    await s.send({ type: 'init' });
    await s.send({ type: 'load', source: { kind: 'files', files: dirFiles(ONE) } });
    expect(s.failures()).toEqual([]);
    const params = paramCount(parseLlamaConfig(tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']), 'qwen2'));
    expect(s.of('loaded')[0]).toEqual({
      type: 'loaded', modelType: 'qwen2', params, layers: 2, width: 32, vocab: 151_936, positions: 512,
      source: `files:${dirFiles(ONE).map((f) => f.name).join(',')}`,
      config: parseLlamaConfig(tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']), 'qwen2'),
    });
    const picked = await sampleText(s, 1);

    await s.send({ type: 'load', source: { kind: 'url', url: base + 'tiny-qwen2-sharded' } });
    expect(s.failures()).toEqual([]);
    expect(s.of('loaded')[1]).toMatchObject({ modelType: 'qwen2', params, source: base + 'tiny-qwen2-sharded' });
    const files = new Set(s.of('load-progress').map((e) => e.file));
    expect([...files].sort()).toEqual(['config.json', INDEX_FILE, 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'tokenizer.json', 'tokenizer_config.json'].sort());
    expect(await sampleText(s, 2)).toBe(picked); // the shards hold tiny-qwen2's weights

    await s.send({ type: 'load', source: { kind: 'files', files: dirFiles(SHARDED) } });
    await s.send({ type: 'load', source: { kind: 'url', url: base + 'tiny-qwen2/' } });
    expect(s.failures()).toEqual([]);
    expect(s.of('loaded')).toHaveLength(4);
    expect(await sampleText(s, 3)).toBe(picked);
  });

  it('refuses, in one line, shards the index names but the pick lacks, a missing tokenizer.json, an embedding smaller than the tokenizer; the model in use stays', async () => {
    const s = harness();
    await s.send({ type: 'init' });
    await s.send({ type: 'load', source: { kind: 'url', url: base + 'tiny-qwen2/' } });
    const before = await sampleText(s, 1);
    const reply = await s.send({ type: 'load', source: { kind: 'files', files: dirFiles(SHARDED).filter((f) => f.name !== 'model-00002-of-00002.safetensors') } });
    expect(reply).toMatchObject({ ok: false, error: 'the model folder has no model-00002-of-00002.safetensors (named by model.safetensors.index.json)' });
    const noTokenizer = await s.send({ type: 'load', source: { kind: 'files', files: dirFiles(ONE).filter((f) => f.name !== 'tokenizer.json') } });
    expect(noTokenizer).toMatchObject({ ok: false, error: 'the model folder has no tokenizer.json' });
    // A model whose embedding has fewer rows than the tokenizer has ids: those ids would index nothing.
    const small = { ...tinyLlamaConfig(TINY_LLAMAS['tiny-qwen2']), vocab_size: 1000 };
    const smallFiles = [
      new File([JSON.stringify(small)], 'config.json'),
      new File([writeSafetensors(tinyLlamaWeights(small, 3)) as Uint8Array<ArrayBuffer>], 'model.safetensors'),
      ...dirFiles(ONE).filter((f) => f.name.startsWith('tokenizer')),
    ];
    const tooSmall = await s.send({ type: 'load', source: { kind: 'files', files: smallFiles } });
    expect(tooSmall).toMatchObject({ ok: false, error: `the tokenizer has ${tok.vocabSize} ids but config.json's vocab_size is 1000: the model has no row for the rest` });
    expect(s.of('status').at(-1)!.status).toBe('ready');
    expect(await sampleText(s, 2)).toBe(before);
  });

  it.each([
    ['on one thread', undefined, 0],
    ['by a pool of worker_threads', ((tables) => createNodeTokenizerPool(tables, { size: 2 })) as TokenizerPoolFactory, 2],
  ])('tokenizes the kept tweets with Qwen\'s tokenizer %s, each tweet ended by <|endoftext|> 151643', async (_how, pool, workers) => {
    await tf.setBackend('cpu');
    const core = new SessionCore({ emit: () => {}, createTokenizerPool: pool });
    install(core, await loadHFDir(ONE), { kind: 'url', url: 'fixture://tiny-qwen2' });
    terminate.push(() => core.model.kind !== 'none' && core.model.base.encoder.terminate());
    const info = await prepare(core, accounts, settings);
    expect(info.tokenized).toMatchObject({ texts: TWEETS.length, workers });
    const { accounts: kept, corpus } = core.prepared!;
    const ids = kept.flatMap((a) => a.tweets.map((t) => Array.from(t.ids)));
    expect(ids).toEqual(TWEETS.map((t) => tok.encode(t)));
    expect(ids.flat()).not.toContain(QWEN_EOT);
    // The epoch's stream: the training tweets, shuffled, each followed by the model's own end-of-text.
    const stream = Array.from(corpus.epochStream(0));
    const pieces = stream.join(',').split(String(QWEN_EOT)).map((p) => p.split(',').filter(Boolean).map(Number)).filter((p) => p.length > 0);
    expect(pieces.length).toBe(corpus.sizes.epochs[0].tweets);
    const encoded = new Set(ids.map((t) => t.join(',')));
    for (const p of pieces) expect(encoded.has(p.join(','))).toBe(true);
    expect(stream.filter((id) => id === QWEN_EOT).length).toBeGreaterThanOrEqual(pieces.length);
    expect(stream).not.toContain(50256); // not GPT-2's separator
    core.model.kind === 'loaded' && core.model.lm.dispose();
  });

  it('trains, samples greedy text the same with and without the KV cache, and resumes after a reload on its qwen2 base', async () => {
    const a = harness();
    await a.send({ type: 'init' });
    await a.send({ type: 'load', source: { kind: 'url', url: base + 'tiny-qwen2-sharded/' } });
    const prepared = await a.call<{ sizes: { totalSteps: number } }>({ type: 'prepare', accounts, settings });
    const total = prepared.sizes.totalSteps;
    expect(total).toBeGreaterThanOrEqual(2);
    await a.call({ type: 'start', name: '@hiro + @dan', card: null });
    await a.next('step', (e) => e.step >= 1);
    await a.send({ type: 'pause' });
    await a.session.idle();
    expect(a.failures()).toEqual([]);
    const pausedAt = a.of('step').at(-1)!.step;
    expect(Number.isFinite(a.of('step')[0].loss)).toBe(true);
    expect(a.of('step')[0].loss).toBeGreaterThan(Math.log(151_936) - 1); // random weights: about ln V

    const cached = await sampleText(a, 1, true);
    expect(await sampleText(a, 2, false)).toBe(cached);
    expect(a.of('sample').filter((e) => e.id === 1)).toHaveLength(12);
    const exported = await a.call<{ bytes: Uint8Array; filename: string }>({ type: 'export', kind: 'weights' });
    const names = [...readSafetensors(exported.bytes).keys()];
    expect(names).toContain('model.layers.0.self_attn.q_proj.bias'); // Qwen2ForCausalLM's names; lm_head tied, not written
    expect(names).not.toContain('lm_head.weight');

    const runId = a.of('status').at(-1)!.runId!;
    const b = harness();
    await b.send({ type: 'init' });
    expect(b.of('resumable')[0].run).toMatchObject({ id: runId, step: pausedAt, totalSteps: total });
    await b.send({ type: 'resume-run', runId });
    await b.session.idle();
    expect(b.failures()).toEqual([]);
    expect(b.of('loaded')[0]).toMatchObject({ modelType: 'qwen2', source: base + 'tiny-qwen2-sharded/' });
    expect(b.of('step').map((e) => e.step)).toEqual(Array.from({ length: total - pausedAt }, (_, i) => pausedAt + 1 + i));
    expect(b.of('status').at(-1)!.status).toBe('done');
  }, 300_000); // 86 s on 2 busy cores: steps over a 151,936-row vocabulary, two loads, two runs
});

describe('generation text with Qwen\'s tokenizer', () => {
  it('streams Japanese and emoji whole, token by token, though tokens cut their characters', () => {
    for (const text of TWEETS) {
      const ids = tok.encode(text);
      const dec = new StreamingDecoder(tok);
      const pieces = ids.map((id) => dec.push(id));
      pieces.push(dec.flush());
      expect(pieces.join('')).toBe(text);
      expect(pieces.join('')).not.toContain('\uFFFD');
    }
    // The test can fail: some token of these texts ends inside a character (its push gives '').
    const cut = TWEETS.some((t) => {
      const dec = new StreamingDecoder(tok);
      return tok.encode(t).some((id) => dec.push(id) === '');
    });
    expect(cut).toBe(true);
  });

  it('prefixes the model\'s own end-of-text, and never draws the ids Qwen2.5 pads its vocabulary with', () => {
    expect(promptIds(tok, '今日は', true)).toEqual([QWEN_EOT, ...tok.encode('今日は')]);
    expect(promptIds(tok, '今日は', false)).toEqual(tok.encode('今日は'));
    const mask = decodableIds(tok, 151_936)!;
    expect([mask[0], mask[QWEN_EOT], mask[tok.encode('今')[0]]]).toEqual([1, 1, 1]);
    expect(mask.slice(tok.vocabSize).every((m) => m === 0)).toBe(true);
  });
});
