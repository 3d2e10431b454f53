// The model worker's logic (TrainingSession) driven as the page drives it, in Node: cpu
// backend, fake-indexeddb, the tiny fixture model (real GPT-2 vocabulary). Start, pause
// (checkpoint), sample while paused, then a fresh session (a reload) offers the run, resumes
// from the checkpoint and finishes.
import 'fake-indexeddb/auto';
import { describe, it, expect } from 'vitest';
import { trainingChunkBytes } from '../../src/workers/model/weights';
import { parseConfig } from '../../src/lib/model/gpt2/config';
import { gpt2Family } from '../../src/lib/model/gpt2/index';
import { qwen2Family } from '../../src/lib/model/llama/index';
import { vocabChunkSizes } from '../../src/lib/model/embedding';
import { LOSS_PIECE_ROWS } from '../../src/lib/model/loss';
import { loadHFDir } from '../../scripts/fixtures/hf-dir';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model';
import { sessionHarness } from '../helpers/session-harness';
import { getRun } from '../../src/lib/storage/checkpoints';
import type { PreparedInfo } from '../../src/workers/model/protocol';

const harness = () => sessionHarness({ loadUrl: async () => loadHFDir(tinyModelDir('tiny')) });

const words = ['dream', 'browser', 'tweets', 'model', 'coffee', 'morning', 'code', 'train', 'night', 'river'];
const texts = (seed: number, n: number) =>
  Array.from({ length: n }, (_, i) => `my ${words[(i + seed) % 10]} is ${words[(i * 3 + seed) % 10]} and ${words[(i * 7) % 10]} today`);

describe('trainingChunkBytes', () => {
  // GPT-2 small/distil, medium, large, xl widths: every weight must fit, and the tied
  // embedding is cut into chunks of at most LOSS_PIECE_ROWS rows where the MLP allows it.
  it.each([768, 1024, 1280, 1600])('n_embd %i: the MLP weight fits; vocabulary chunks follow the loss pieces', (C) => {
    const config = parseConfig({ model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, n_embd: C, n_layer: 2, n_head: C / 64 });
    const limit = trainingChunkBytes(gpt2Family, config);
    expect(limit).toBeGreaterThanOrEqual(C * 4 * C * 4); // c_fc [C, 4C] float32
    const rows = Math.max(...vocabChunkSizes(50257, C, limit));
    expect(rows).toBeLessThanOrEqual(Math.max(LOSS_PIECE_ROWS, 4 * C));
  });

  it("Qwen2.5-0.5B: its [4864, 896] MLP projections fit; the 151,936-row embedding is cut into loss pieces", () => {
    const config = qwen2Family.parseConfig({
      model_type: 'qwen2', hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14,
      num_key_value_heads: 2, max_position_embeddings: 32768, tie_word_embeddings: true, vocab_size: 151936,
    });
    const limit = trainingChunkBytes(qwen2Family, config);
    expect(limit).toBe(4864 * 896 * 4); // larger than LOSS_PIECE_ROWS (4096) rows of 896
    expect(Math.max(...vocabChunkSizes(151936, 896, limit))).toBeLessThanOrEqual(4864);
  });
});

describe('TrainingSession (the model worker, without the Worker)', () => {
  it('trains, pauses with a checkpoint, samples, and resumes after a reload to the end', async () => {
    const a = harness();
    await a.send({ type: 'init' });
    expect(a.of('backend')[0]).toMatchObject({ name: 'cpu', slowdown: 2500 });
    expect(a.of('backend')[0].notice).toMatch(/roughly 2500x slower/);
    expect(a.of('resumable')[0].run).toBeNull();
    await a.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    expect(a.of('loaded')[0]).toMatchObject({ modelType: 'gpt2', vocab: 50257, layers: 2, width: 64 });

    const prepared = await a.call<PreparedInfo>({
      type: 'prepare',
      accounts: [
        { username: 'alice', texts: texts(1, 12) },
        { username: 'bob', texts: texts(4, 5) },
      ],
      settings: { blockSize: 16, batchSize: 2, epochs: 1, checkpointEvery: 2, lossReadEvery: 1, seed: 3 },
    });
    const total = prepared.sizes.totalSteps;
    expect(total).toBeGreaterThanOrEqual(4);
    expect(prepared.storage.ok).toBe(true);
    expect(prepared.checkpointBytes).toBe(a.of('loaded')[0].params * 12);

    // The page's table has more per account than a card tells: only the card's fields are kept.
    const users = [{ username: 'alice', displayName: 'Alice', downloaded: 14, retweets: 1, short: 1, kept: 12 }, { username: 'bob', displayName: 'Bob', downloaded: 5, retweets: 0, short: 0, kept: 5 }];
    const card = { rule: 'at least 3 words', excludeReplies: true, users };
    await a.call({ type: 'start', name: '@alice + @bob', card: { ...card, users: users.map((u) => ({ ...u, replies: 0 })) } });
    await a.next('step', (e) => e.step >= 2);
    await a.send({ type: 'pause' });
    await a.session.idle();
    const paused = a.of('status').at(-1)!;
    expect(paused.status).toBe('paused');
    const pausedAt = a.of('step').at(-1)!.step;
    expect(pausedAt).toBeLessThan(total);
    expect(a.of('checkpoint').map((c) => c.step)).toContain(pausedAt);
    expect(a.of('checkpoint').map((c) => c.step)).toContain(2);
    const s = a.of('step')[0];
    expect(s).toMatchObject({ step: 1, totalSteps: total, epoch: 0, epochs: 1 });
    expect(s.memory.numTensors).toBeGreaterThan(0);

    // Sampling from the paused weights.
    await a.send({ type: 'sample', id: 1, prompt: 'My dream is', options: { greedy: true, numSamples: 1, maxNewTokens: 4, minNewTokens: 4 } });
    await a.next('sample-end', (e) => e.id === 1);
    expect(a.of('sample').filter((e) => e.id === 1).length).toBe(4);
    expect(a.failures()).toEqual([]);

    // A paused run cannot be deleted under the session (its Resume would write checkpoints for a run no shelf lists).
    const runId = paused.runId!;
    await a.send({ type: 'delete-run', runId });
    expect(a.failures()).toEqual(['delete-run: cancel this run before deleting it']);
    await a.send({ type: 'shelf' });
    expect(a.of('shelf').at(-1)!.runs.map((r) => r.run.id)).toEqual([runId]);

    // A reload: a fresh session finds the run and continues from the checkpoint.
    const b = harness();
    await b.send({ type: 'init' });
    const offer = b.of('resumable')[0].run!;
    expect(offer).toMatchObject({ name: '@alice + @bob', step: pausedAt, totalSteps: total });
    await b.send({ type: 'resume-run', runId: offer.id });
    expect(b.of('history')[0].losses.map((l) => l.step)).toEqual(Array.from({ length: pausedAt }, (_, i) => i + 1));
    await b.session.idle();
    expect(b.failures()).toEqual([]);
    expect(b.of('step').map((e) => e.step)).toEqual(Array.from({ length: total - pausedAt }, (_, i) => pausedAt + 1 + i));
    expect(b.of('status').at(-1)!.status).toBe('done');
    expect(b.of('eval').length).toBe(1);
    expect(b.of('checkpoint').at(-1)!.step).toBe(total);

    await b.send({ type: 'shelf' });
    const shelf = b.of('shelf').at(-1)!.runs;
    expect(shelf.length).toBe(1);
    expect(shelf[0].run.card).toEqual(card); // the card's table, kept with the run across the reload
    expect(shelf[0].run.status).toBe('done');
    expect(shelf[0].checkpoints.length).toBe(2);
    expect(shelf[0].checkpoints.at(-1)).toMatchObject({ step: total, current: true });
    await b.send({ type: 'delete-run', runId: offer.id });
    expect(b.of('shelf').at(-1)!.runs).toEqual([]);
    expect(await getRun(offer.id)).toBeUndefined(); // its card table went with it
  });

  it('starts every run from the weights as loaded, not from the last run\'s, and keeps a paused run to its own settings', async () => {
    const s = harness();
    await s.send({ type: 'init' });
    await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    const accounts = [{ username: 'alice', texts: texts(2, 10) }];
    const settings = { blockSize: 16, batchSize: 2, epochs: 1, checkpointEvery: 50, lossReadEvery: 1, seed: 5, lr: 0.01 };
    await s.send({ type: 'prepare', accounts, settings });
    await s.send({ type: 'start', name: 'first' });
    await s.session.idle();
    const first = s.of('step').map((e) => e.loss);
    expect(s.of('status').at(-1)!.status).toBe('done');
    expect(first.at(-1)!).toBeLessThan(first[0] - 0.1); // it learned: the weights moved

    // A second run from the same data and seed: the same first loss, so the same starting weights.
    const loadsBefore = s.of('loaded').length;
    await s.send({ type: 'start', name: 'second' });
    await s.session.idle();
    expect(s.failures()).toEqual([]);
    expect(s.of('loaded').length).toBe(loadsBefore + 1); // read again
    const second = s.of('step').map((e) => e.loss).slice(first.length);
    expect(second[0]).toBeCloseTo(first[0], 5);

    // Paused, then sizes counted for other settings: the run goes on with its own epochs.
    await s.send({ type: 'start', name: 'third' });
    await s.next('step', (e) => s.of('step').indexOf(e) >= first.length + second.length);
    await s.send({ type: 'pause' });
    await s.session.idle();
    await s.send({ type: 'prepare', accounts, settings: { ...settings, epochs: 3 } });
    // Resuming stops a sampling in flight (training needs the weights), and says why.
    await s.send({ type: 'sample', id: 5, prompt: 'My dream is', options: { greedy: true, numSamples: 1, maxNewTokens: 200, minNewTokens: 200 } });
    await s.next('sample', (e) => e.id === 5);
    await s.send({ type: 'resume' });
    expect((await s.next('sample-end', (e) => e.id === 5)).stopped).toBe('training resumed');
    await s.session.idle();
    const third = s.of('step').slice(first.length + second.length);
    expect(third.every((e) => e.epochs === 1)).toBe(true);
    expect(third.at(-1)!.step).toBe(third.at(-1)!.totalSteps);
    expect(s.failures()).toEqual([]);
  });
});
