// Loading a base model when one is already in use (TrainingSession, cpu backend, the tiny
// fixture model): a load that fails leaves the model in use, and the status it had, so the page
// can still generate and export; a load that succeeds drops the previous weights' run (its
// optimizer state, its id), so nothing trains or describes the new weights as that run.
import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import type { FolderModel } from '../../src/lib/model/load';
import { loadHFDir } from '../../scripts/fixtures/hf-dir';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model';
import { sessionHarness } from '../helpers/session-harness';

let files: FolderModel;
beforeAll(async () => {
  files = await loadHFDir(tinyModelDir('tiny'));
});

/** URLs the session can load: the tiny model; its files with a weight missing; a server that is down. */
async function loadUrl(url: string): Promise<FolderModel> {
  if (url === 'fixture://tiny') return { ...files, weights: new Map(files.weights) };
  if (url === 'fixture://no-lm-weights') {
    const weights = new Map(files.weights);
    weights.delete('h.1.mlp.c_proj.weight');
    return { ...files, weights };
  }
  throw new Error(`could not fetch ${url}config.json (network error)`);
}

async function loadedSession() {
  const s = sessionHarness({ loadUrl });
  await s.send({ type: 'init' });
  await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
  return s;
}

const greedy = { greedy: true, numSamples: 1, maxNewTokens: 4, minNewTokens: 4 };

/** The text a greedy sample of 4 tokens gives, or the error it ends with. */
async function sampleText(s: ReturnType<typeof sessionHarness>, id: number): Promise<string> {
  const reply = await s.send({ type: 'sample', id, prompt: 'My dream is', options: greedy });
  if (!reply.ok) return `error: ${reply.error}`;
  await s.next('sample-end', (e) => e.id === id);
  const failed = s.of('error').find((e) => e.during === 'sample' && e.id === id);
  if (failed) return `error: ${failed.message}`;
  return s.of('sample').filter((e) => e.id === id).map((e) => e.text).join('');
}

describe('TrainingSession: downloading a base model', () => {
  it('reports each file\'s bytes with the time left at its rate so far', async () => {
    const MB = 1 << 20;
    // A slow line, on a clock of our own: the weights come in 4 parts, 300 ms apart.
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    const slow = async (url: string, onProgress: (file: string, loaded: number, total: number) => void) => {
      onProgress('config.json', 700, 700);
      for (let part = 1; part <= 4; part++) {
        now += 300;
        onProgress('model.safetensors', part * 10 * MB, 40 * MB);
      }
      return loadUrl(url);
    };
    const s = sessionHarness({ loadUrl: slow });
    try {
      await s.send({ type: 'init' });
      await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    } finally {
      clock.mockRestore();
    }
    const weights = s.of('load-progress').filter((e) => e.file === 'model.safetensors');
    expect(weights.map((e) => e.loaded / MB)).toEqual([10, 20, 30, 40]);
    // No rate at the first report; then 10 MB per 0.3 s, measured from that report on.
    expect(weights.map((e) => e.etaSec)).toEqual([null, 0.6, 0.3, 0]);
    expect(s.of('load-progress').find((e) => e.file === 'config.json')!.etaSec).toBeNull();
    s.session.dispose();
  });
});

describe('TrainingSession: loading another base model', () => {
  it('keeps the model in use, and its status, when the new one cannot be fetched or put on the device', async () => {
    const s = await loadedSession();
    const before = await sampleText(s, 1);
    expect(before).not.toMatch(/^error/);
    const tensors = tf.memory().numTensors;

    const errors: string[] = [];
    for (const url of ['https://example.invalid/model/', 'fixture://no-lm-weights']) {
      const reply = await s.send({ type: 'load', source: { kind: 'url', url } });
      if (!reply.ok) errors.push(reply.error);
      expect(reply).toMatchObject({ ok: false, request: 'load' });
      expect(s.of('status').at(-1)!.status).toBe('ready'); // not left 'loading', which blocks Generate and Export
      expect(s.of('loaded').length).toBe(1);
    }
    expect(errors[1]).toMatch(/h\.1\.mlp\.c_proj\.weight/);
    expect(s.failures()).toEqual(errors.map((e) => `load: ${e}`));
    // The failed upload freed what it had put on the device; the old model is whole.
    expect(tf.memory().numTensors).toBe(tensors);
    expect(await sampleText(s, 2)).toBe(before);
    s.session.dispose();
  });

  it('goes back to idle when the first model fails to load', async () => {
    const s = sessionHarness({ loadUrl });
    await s.send({ type: 'init' });
    await s.send({ type: 'load', source: { kind: 'url', url: 'https://example.invalid/model/' } });
    expect(s.of('status').map((e) => e.status)).toEqual(['loading', 'idle']);
    expect(s.failures()).toEqual([expect.stringMatching(/^load: .*network error/)]);
  });

  it("drops the previous weights' run once a new base model is in: its optimizer state and its id", async () => {
    const s = await loadedSession();
    const modelOnly = tf.memory().numTensors;
    await s.send({
      type: 'prepare',
      accounts: [{ username: 'alice', texts: Array.from({ length: 8 }, (_, i) => `my coffee number ${i} is very good today`) }],
      settings: { blockSize: 16, batchSize: 2, epochs: 1, checkpointEvery: 100, lossReadEvery: 1, seed: 3 },
    });
    await s.send({ type: 'start', name: '@alice' });
    await s.session.idle();
    const done = s.of('status').at(-1)!;
    expect(done.status).toBe('done');
    expect(done.runId).toMatch(/^run-/);
    expect(tf.memory().numTensors).toBeGreaterThan(modelOnly); // the optimizer's moments

    const statusesBefore = s.of('status').length;
    await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    const after = s.of('status').slice(statusesBefore);
    expect(after.map((e) => e.status)).toEqual(['loading', 'ready']);
    expect(after[1].runId).toBeUndefined(); // the page shows no run, and its model card claims none
    expect(tf.memory().numTensors).toBe(modelOnly);
    await s.send({ type: 'resume' });
    expect(s.failures().at(-1)).toMatch(/^resume: nothing to resume/);
    s.session.dispose();
  });

  it('refuses picked files whose config.json this device cannot hold, before reading the weights; the model in use stays', async () => {
    const s = await loadedSession();
    const before = await sampleText(s, 3);
    // A GPT-2 as wide and deep as the bounds allow: 825 billion parameters, with a weights file of 8 bytes.
    const config = { ...(files.config as object), n_layer: 256, n_embd: 16384, n_head: 128 };
    const picked = [
      new File([JSON.stringify(config)], 'config.json'),
      new File([new Uint8Array(8)], 'model.safetensors'),
      new File([files.tokenizerFiles['vocab.json']], 'vocab.json'),
      new File([files.tokenizerFiles['merges.txt']], 'merges.txt'),
    ];
    const reply = await s.send({ type: 'load', source: { kind: 'files', files: picked } });
    expect(reply).toMatchObject({
      ok: false,
      request: 'load',
      error: expect.stringMatching(/^this model has 825\.\d billion parameters: about \d+(\.\d)? [GT]iB of weights, .*more than a browser tab can hold/),
    });
    expect(s.of('status').at(-1)!.status).toBe('ready');
    expect(await sampleText(s, 4)).toBe(before);
    s.session.dispose();
  });

  it('passes the memory line of config.json on to the page with the progress', async () => {
    const noting = async (url: string, onProgress: (file: string, loaded: number, total: number, note?: string) => void) => {
      onProgress('config.json', 700, 700, 'This model needs about 1.8 GiB to train.');
      onProgress('model.safetensors', 10, 10);
      return loadUrl(url);
    };
    const s = sessionHarness({ loadUrl: noting });
    await s.send({ type: 'init' });
    await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    expect(s.of('load-progress').map((e) => e.note)).toEqual(['This model needs about 1.8 GiB to train.', undefined]);
    s.session.dispose();
  });

  it('stops a sampling in flight when another model comes in, and says why', async () => {
    const s = await loadedSession();
    await s.send({ type: 'sample', id: 7, prompt: 'My dream is', options: { ...greedy, maxNewTokens: 200, minNewTokens: 200 } });
    await s.next('sample', (e) => e.id === 7);
    await s.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    const end = await s.next('sample-end', (e) => e.id === 7);
    expect(end.stopped).toBe('another model was loaded');
    expect(s.of('sample').filter((e) => e.id === 7).length).toBeLessThan(200);
    expect(s.failures()).toEqual([]);
  });
});
