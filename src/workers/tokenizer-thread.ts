// Node only: a worker_threads entry that gives tokenizer.worker.ts the `self` of a
// web worker (postMessage with transfers, 'message' events carrying `data`), then runs it.
import { parentPort } from 'node:worker_threads';

if (!parentPort) throw new Error('tokenizer-thread.ts runs only as a worker thread');
const port = parentPort;

(globalThis as unknown as { self: unknown }).self = {
  postMessage: (message: unknown, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer),
  addEventListener: (type: string, listener: (e: { data: unknown }) => void) => {
    if (type === 'message') port.on('message', (data) => listener({ data }));
  },
};

await import('./tokenizer.worker.ts');
