// The page's model-worker client (src/ui/train/trainer.svelte.ts) against a fake Worker: what
// it remembers of a run must not outlive the weights it describes.
import { afterAll, describe, expect, it, vi } from 'vitest';
import { PREPARE_SUPERSEDED, type ModelEvent, type ModelOutMessage, type ModelRequest } from '../../src/workers/model/protocol.ts';

/** A Worker that records requests and lets the test reply. */
class FakeWorker {
  static last: FakeWorker;
  sent: ModelRequest[] = [];
  onmessage: ((ev: { data: ModelOutMessage }) => void) | null = null;
  onerror: ((ev: { message: string }) => void) | null = null;
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(m: ModelRequest): void {
    this.sent.push(m);
  }
  reply(e: ModelOutMessage): void {
    this.onmessage?.({ data: e });
  }
  /** The reply to request `req`: its result, or its error. */
  answer(req: ModelRequest, outcome: { result: unknown } | { error: string }): void {
    const base = { type: 'reply' as const, id: req.id, request: req.type };
    this.reply('error' in outcome ? { ...base, ok: false, error: outcome.error } : { ...base, ok: true, result: outcome.result });
  }
  /** The requests of one type sent so far. */
  of<T extends ModelRequest['type']>(type: T): Extract<ModelRequest, { type: T }>[] {
    return this.sent.filter((r) => r.type === type) as Extract<ModelRequest, { type: T }>[];
  }
  terminate(): void {}
}
vi.stubGlobal('Worker', FakeWorker);
afterAll(() => {
  vi.unstubAllGlobals();
});

const { ModelWorkerClient } = await import('../../src/ui/train/trainer.svelte.ts');
const loaded: ModelEvent = { type: 'loaded', modelType: 'gpt2', params: 1, layers: 1, width: 8, vocab: 50257, positions: 64, source: 'fixture://tiny', config: {} };
const step = (n: number): ModelEvent => ({
  type: 'step', step: n, totalSteps: 10, epoch: 0, epochs: 1, loss: 5 - n / 10, lr: 1e-4, gradNorm: 1, tokensPerSec: 1, etaSec: 1,
  memory: { numTensors: 1, numBytes: 1 },
});

describe('ModelWorkerClient', () => {
  it('says it is stopping from the click until the worker has stopped, a cancel overriding a pause', () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    client.pause(); // nothing training: nothing to wait for
    expect(client.stopping).toBeNull();
    w.reply({ type: 'status', status: 'training', runId: 'run-1' });
    client.pause();
    expect(client.stopping).toBe('pause');
    w.reply(step(1)); // the step in flight ends; still stopping
    client.pause();
    expect(client.stopping).toBe('pause');
    client.cancel();
    expect(client.stopping).toBe('cancel');
    expect(w.sent.filter((r) => r.type === 'pause' || r.type === 'cancel').map((r) => r.type)).toEqual(['pause', 'pause', 'pause', 'cancel']);
    w.reply({ type: 'status', status: 'cancelled', runId: 'run-1' });
    expect(client.stopping).toBeNull();
    w.reply({ type: 'status', status: 'training', runId: 'run-2' });
    client.pause();
    w.reply({ type: 'status', status: 'paused', runId: 'run-2' });
    expect(client.stopping).toBeNull();
  });

  it("forgets the last run's steps, losses and id when other weights are loaded", async () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    w.reply({ type: 'status', status: 'training', runId: 'run-1' });
    w.reply(step(1));
    w.reply(step(2));
    w.reply({ type: 'eval', step: 2, epoch: 0, valLoss: 4 });
    w.reply({ type: 'checkpoint', runId: 'run-1', step: 2, bytes: 10 });
    expect(client.progress?.step).toBe(2);
    expect(client.runId).toBe('run-1');

    const picked = client.loadFiles([]); // a bundle from disk: not run-1's weights
    expect(w.sent.at(-1)).toMatchObject({ type: 'load', source: { kind: 'files' } });
    // As the session says it: the run is still in hand while loading (a failed load keeps it),
    // and gone once the new model is in.
    w.reply({ type: 'status', status: 'loading', runId: 'run-1' });
    w.reply(loaded);
    w.reply({ type: 'status', status: 'ready' });
    w.answer(w.of('load')[0], { result: null });
    await picked;
    expect(client.progress).toBeNull();
    expect(client.losses).toEqual([]);
    expect(client.valLosses).toEqual([]);
    expect(client.runId).toBeNull();

    w.reply(step(3)); // a new run's steps are kept as before
    expect(client.losses).toHaveLength(1);
  });
});

describe('ModelWorkerClient samples', () => {
  const sample = (id: number, i: number, text: string, done = false): ModelEvent => ({ type: 'sample', id, sample: i, text, done });
  /** The id of the sample request the client sent last. */
  const sentSampleId = (w: FakeWorker) => (w.sent.at(-1) as Extract<ModelRequest, { type: 'sample' }>).id;

  it('says why samples ended early: a Stop, or training resumed (which stops sampling in the worker)', () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    client.sample('My dream is', { numSamples: 2 }, 'generate');
    const first = sentSampleId(w);
    w.reply(sample(first, 0, ' a'));
    w.reply(sample(first, 1, ' b'));
    client.resume();
    expect(w.sent.at(-1)).toMatchObject({ type: 'resume' });
    w.reply({ type: 'sample-end', id: first, stopped: 'training resumed' }); // as the worker says it
    expect([client.sampling, client.samplesStopped]).toEqual([false, 'training resumed']);

    client.sample('My dream is', { numSamples: 2 }, 'generate');
    expect(client.samplesStopped).toBeNull(); // a new request starts clean
    const second = sentSampleId(w);
    w.reply(sample(second, 0, ' c'));
    client.stopSample();
    w.reply({ type: 'sample-end', id: second });
    expect(client.samplesStopped).toBe('stopped');
  });

  it('says nothing when every sample had finished before the stop got there', () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    client.sample('Hi', { numSamples: 2 }, 'generate');
    const id = sentSampleId(w);
    w.reply(sample(id, 0, ' a'));
    w.reply(sample(id, 1, ' b'));
    w.reply(sample(id, 0, '!', true));
    w.reply(sample(id, 1, '?', true));
    client.stopSample();
    w.reply({ type: 'sample-end', id });
    expect([client.samples, client.samplesStopped]).toEqual([[' a!', ' b?'], null]);
  });
});

describe('ModelWorkerClient errors', () => {
  it('shows an error where it was asked for: a refused prepare rejects its caller and is not listed twice', async () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    const prepared = client.prepare([{ username: 'a', texts: ['x'] }], { epochs: 0 });
    w.answer(w.of('prepare')[0], { error: 'Epochs must be a whole number from 1 to 50, not 0.' });
    await expect(prepared).rejects.toThrow('Epochs must be');
    expect(client.errors).toEqual([]);
    // Training's own errors have nobody waiting: the panel lists them.
    w.reply({ type: 'error', during: 'train', message: 'out of memory' });
    expect(client.errors).toEqual(['out of memory']);
  });
});

describe('ModelWorkerClient replies', () => {
  it('gives each request its own reply, by id, whatever order the replies come in', async () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    const ids = w.sent.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length); // init's, and every request's after it, unique
    const first = client.export('weights');
    const second = client.export('weights');
    const [a, b] = w.of('export');
    expect(a.id).not.toBe(b.id);
    w.answer(b, { result: { kind: 'weights', bytes: new Uint8Array([2]), filename: 'second.safetensors' } });
    w.answer(a, { result: { kind: 'weights', bytes: new Uint8Array([1]), filename: 'first.safetensors' } });
    expect((await first).filename).toBe('first.safetensors');
    expect((await second).filename).toBe('second.safetensors');
  });

  it('rejects a prepare that a newer one replaced, keeps the newer one\'s progress, and resolves the newer with its sizes', async () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    const older = client.prepare([{ username: 'a', texts: ['x'] }], { epochs: 1 });
    const newer = client.prepare([{ username: 'a', texts: ['x', 'y'] }], { epochs: 2 });
    const [a, b] = w.of('prepare');
    w.reply({ type: 'prepare-progress', texts: 1, totalTexts: 2, tokens: 3, etaSec: null });
    w.answer(a, { error: PREPARE_SUPERSEDED });
    await expect(older).rejects.toThrow(PREPARE_SUPERSEDED);
    expect(client.prepareProgress?.texts).toBe(1); // the newer one is still tokenizing
    const sizes = { sizes: {}, config: { epochs: 2 }, checkpointBytes: 12, storage: { ok: true, message: '', needBytes: 1 }, tokenized: { texts: 2, workers: 0, ms: 1 } };
    w.answer(b, { result: sizes });
    expect(await newer).toEqual(sizes);
    expect([client.prepared, client.prepareProgress, client.errors]).toEqual([sizes, null, []]);
  });

  it("lists the failures nobody awaits, and a sample's only while it is the latest", () => {
    const client = new ModelWorkerClient();
    const w = FakeWorker.last;
    client.deleteRun('run-1');
    w.answer(w.of('delete-run')[0], { error: 'cancel this run before deleting it' });
    expect(client.errors).toEqual(['cancel this run before deleting it']);
    client.sample('Hi', {}, 'generate');
    client.sample('Hi', {}, 'generate');
    const [older, latest] = w.of('sample');
    w.answer(older, { error: 'too late' });
    expect(client.sampleError).toBeNull();
    w.answer(latest, { error: 'pause training to sample from the current weights' });
    expect(client.sampleError).toEqual({ from: 'generate', message: 'pause training to sample from the current weights' });
    expect(client.sampling).toBe(false);
    expect(client.errors).toEqual(['cancel this run before deleting it']); // shown by the generate step, not listed
  });
});
