// The page's model-worker client (src/ui/train/trainer.svelte.ts) against a fake Worker: what
// it remembers of a run must not outlive the weights it describes.
import { describe, expect, it } from 'vitest';
import type { ModelEvent, ModelRequest } from '../../src/workers/model-protocol.ts';

/** A Worker that records requests and lets the test reply. */
class FakeWorker {
  static last: FakeWorker;
  sent: ModelRequest[] = [];
  onmessage: ((ev: { data: ModelEvent }) => void) | null = null;
  onerror: ((ev: { message: string }) => void) | null = null;
  constructor() {
    FakeWorker.last = this;
  }
  postMessage(m: ModelRequest): void {
    this.sent.push(m);
  }
  reply(e: ModelEvent): void {
    this.onmessage?.({ data: e });
  }
  terminate(): void {}
}
(globalThis as unknown as { Worker: unknown }).Worker = FakeWorker;

const { ModelWorkerClient } = await import('../../src/ui/train/trainer.svelte.ts');
const loaded: ModelEvent = { type: 'loaded', params: 1, nLayer: 1, nEmbd: 8, vocabSize: 50257, nPositions: 64 };
const step = (n: number): ModelEvent => ({
  type: 'step', step: n, totalSteps: 10, epoch: 0, epochs: 1, loss: 5 - n / 10, lr: 1e-4, gradNorm: 1, tokensPerSec: 1, etaSec: 1,
  memory: { numTensors: 1, numBytes: 1 },
});

describe('ModelWorkerClient', () => {
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
    await picked;
    expect(client.progress).toBeNull();
    expect(client.losses).toEqual([]);
    expect(client.valLosses).toEqual([]);
    expect(client.runId).toBeNull();

    w.reply(step(3)); // a new run's steps are kept as before
    expect(client.losses).toHaveLength(1);
  });
});
