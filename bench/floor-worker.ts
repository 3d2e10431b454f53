/// <reference lib="webworker" />
// bench:ingest's floor, in a worker of the page under test: posted the very File the page was
// given, it answers the floor's work and how long it took inside the worker. Bundled by
// bench/ingest.ts into .fixtures/bench/ and served beside the app; never part of the app.
import { floorParse, type FloorResult } from './floor.ts';

/** The floor's work and how long it took, in the worker, in milliseconds. */
export type FloorTiming = FloorResult & { ms: number };
export type FloorReply = FloorTiming | { error: string };

const scope = self as unknown as DedicatedWorkerGlobalScope;
scope.onmessage = async (e: MessageEvent<Blob>) => {
  try {
    const start = performance.now();
    const r = await floorParse(e.data);
    scope.postMessage({ ms: performance.now() - start, ...r } satisfies FloorReply);
  } catch (err) {
    scope.postMessage({ error: err instanceof Error ? err.message : String(err) } satisfies FloorReply);
  }
};
