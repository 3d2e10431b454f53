// Two sessions in one process, as two tabs of the app: they share one IndexedDB (fake-indexeddb)
// and one lock manager, a stand-in for navigator.locks that, like a browser's, lets go of a lock
// a little after its holder does. A run open in one tab is marked on the other's shelf, and the
// other can neither resume it nor delete it or its checkpoints; the tab that lets go of a run
// sees it free at once.
import 'fake-indexeddb/auto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { holdRun, openRuns } from '../../src/lib/storage/run-locks';
import { loadHFDir } from '../../scripts/fixtures/hf-dir';
import { tinyModelDir } from '../../scripts/fixtures/tiny-model';
import { sessionHarness } from '../helpers/session-harness';

/** navigator.locks with `ifAvailable`, releasing `delayMs` after the holder's promise settles. */
class DelayedLocks {
  held = new Set<string>();
  constructor(private delayMs: number) {}
  async request(name: string, _opts: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<void> {
    if (this.held.has(name)) return callback(null);
    this.held.add(name);
    try {
      return await callback({ name });
    } finally {
      await new Promise((r) => setTimeout(r, this.delayMs));
      this.held.delete(name);
    }
  }
  async query(): Promise<{ held: { name: string }[] }> {
    return { held: [...this.held].map((name) => ({ name })) };
  }
}

const harness = () => sessionHarness({ loadUrl: async () => loadHFDir(tinyModelDir('tiny')) });
const texts = Array.from({ length: 24 }, (_, i) => `my morning ${i} is coffee and code ${i % 5} today`);

beforeAll(() => {
  vi.stubGlobal('navigator', { locks: new DelayedLocks(300) });
});
afterAll(() => {
  vi.unstubAllGlobals();
});

describe('run locks', () => {
  it('a hold resolves once the lock is gone', async () => {
    const hold = (await holdRun('r1'))!;
    expect(await holdRun('r1')).toBeNull();
    expect(await openRuns()).toEqual(new Set(['r1']));
    await hold();
    expect(await openRuns()).toEqual(new Set());
  });

  it("keeps a second tab's hands off a run open in the first, and frees it when the first lets go", async () => {
    const a = harness();
    await a.send({ type: 'init' });
    await a.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    await a.send({ type: 'prepare', accounts: [{ username: 'alice', texts }], settings: { blockSize: 8, batchSize: 2, epochs: 1, checkpointEvery: 1, seed: 1 } });
    await a.send({ type: 'start', name: '@alice' });
    await a.next('checkpoint');
    await a.send({ type: 'pause' });
    await a.session.idle();
    const runId = a.of('status').at(-1)!.runId!;
    await a.send({ type: 'shelf' });
    expect(a.of('shelf').at(-1)!.runs.map((r) => [r.run.id, r.openElsewhere])).toEqual([[runId, false]]);

    const b = harness();
    await b.send({ type: 'init' });
    expect(b.of('resumable')[0].run).toBeNull();
    await b.send({ type: 'shelf' });
    const [seen] = b.of('shelf').at(-1)!.runs;
    expect([seen.run.id, seen.openElsewhere]).toEqual([runId, true]);
    await b.send({ type: 'delete-run', runId });
    await b.send({ type: 'delete-checkpoint', checkpointId: seen.checkpoints[0].id });
    await b.send({ type: 'resume-run', runId });
    expect(b.failures()).toEqual([
      'delete-run: this run is open in another tab: delete it there, or close that tab first',
      "delete-checkpoint: this run's checkpoint is open in another tab: delete it there, or close that tab first",
      'resume-run: run "@alice" is open in another tab: continue it there, or close that tab first',
    ]);

    // The first tab loads another model, which lets go of the paused run; the browser may still hold
    // its lock for a moment. Each time, the tab can take the run up again at once, its shelf shows
    // the run free at once, and it can delete it at once.
    const letGoAndTakeUp = async () => {
      await a.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
      const before = a.of('status').filter((e) => e.status === 'training').length;
      await a.send({ type: 'resume-run', runId });
      expect(a.of('status').filter((e) => e.status === 'training').length).toBe(before + 1);
      await a.send({ type: 'pause' });
      await a.session.idle();
    };
    await letGoAndTakeUp();
    await a.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    await a.send({ type: 'shelf' });
    expect(a.of('shelf').at(-1)!.runs.map((r) => r.openElsewhere)).toEqual([false]);
    await letGoAndTakeUp();
    await a.send({ type: 'load', source: { kind: 'url', url: 'fixture://tiny' } });
    await a.send({ type: 'delete-run', runId });
    expect(a.failures()).toEqual([]);
    expect(a.of('shelf').at(-1)!.runs).toEqual([]);
  });
});
