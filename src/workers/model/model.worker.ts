// The model worker: owns tfjs and the GPU device so the page never freezes. All logic lives
// in TrainingSession (session.ts); this file only wires it to postMessage.
// Messages are handled one after another; training runs in the background of that queue,
// so pause and cancel take effect after the step in flight.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { createBrowserTokenizerPool } from '../../lib/tokenizer/browser-workers.ts';
import type { ModelOutMessage, ModelRequest } from './protocol.ts';
import { TrainingSession } from './session.ts';

const scope = self as unknown as {
  postMessage(e: ModelOutMessage, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ModelRequest>) => void) | null;
};

const session = new TrainingSession({
  emit: (e, transfer) => scope.postMessage(e, transfer ?? []),
  // Tokenizer workers nested in this one, one per core; where nested workers fail to start,
  // the session tokenizes on this thread instead.
  createTokenizerPool: (tables) => createBrowserTokenizerPool(tables),
});

// The bundler gives each .wasm file its own hashed URL; tfjs wants them by file name.
const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
};

let queue: Promise<void> = Promise.resolve();
/** Prepares received and not yet started: only the newest of them runs. */
let preparesWaiting = 0;
scope.onmessage = (ev) => {
  const req = ev.data;
  // pause/cancel/stop-sample must not wait behind a long request (a sample stream, a load).
  if (req.type === 'pause' || req.type === 'cancel' || req.type === 'stop-sample') {
    void session.handle(req);
    return;
  }
  // A newer prepare replaces one still tokenizing now (not when it finishes) and any still waiting.
  if (req.type === 'prepare') {
    session.abortPrepare();
    preparesWaiting++;
    queue = queue.then(() => (--preparesWaiting > 0 ? session.supersede(req) : session.handle(req)));
    return;
  }
  const withPaths: ModelRequest = req.type === 'init' ? { ...req, wasmPaths: WASM_PATHS } : req;
  queue = queue.then(() => session.handle(withPaths));
};
