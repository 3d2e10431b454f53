/// <reference lib="webworker" />
// A tokenizer worker: builds the tokenizer from the tables it is sent once, warms up on a sample
// until data comes (warm-up.ts), then encodes chunks of texts (see lib/tokenizer/protocol.ts; what it
// does with each message is in worker-core.ts). The pool in src/lib/tokenizer/pool.ts runs
// several. The same file runs in Node under worker_threads (started by src/lib/tokenizer/node-workers.ts;
// tokenizer-thread.ts gives it a `self`).
import { TokenizerWorkerCore } from '../lib/tokenizer/worker-core.ts';
import type { TokenizerRequest } from '../lib/tokenizer/protocol.ts';

// Replies transfer their buffers, and the first buffer detached in a thread makes V8 throw away
// the optimized code of every function that reads typed arrays. Detaching one now, before any is
// optimized, spares those recompiles in the middle of the first chunks.
const spent = new ArrayBuffer(8);
structuredClone(spent, { transfer: [spent] });

const scope = self as unknown as DedicatedWorkerGlobalScope;
const core = new TokenizerWorkerCore();

scope.addEventListener('message', (e: MessageEvent<TokenizerRequest>) => {
  const { reply, transfer } = core.handle(e.data);
  scope.postMessage(reply, transfer);
  nextSlice();
});

// The warm-up sample goes a slice per task, queued behind any message already waiting: a
// message port, not setTimeout, which would add 4 ms between nested timers.
const slices = new MessageChannel();
let sliceQueued = false;
slices.port1.onmessage = () => {
  sliceQueued = false;
  if (!core.warming) return;
  const done = core.warmUpSlice();
  if (done) scope.postMessage(done.reply, done.transfer);
  nextSlice();
};
function nextSlice(): void {
  if (!core.warming || sliceQueued) return;
  sliceQueued = true;
  slices.port2.postMessage(null);
}
