// The model worker: owns tfjs and the GPU device so the page never freezes. All logic lives
// in TrainingSession (src/lib/train/session.ts); this file only wires it to postMessage.
// Messages are handled one after another; training runs in the background of that queue,
// so pause and cancel take effect after the step in flight.
import wasmUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimdUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreadedUrl from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { TrainingSession } from '../lib/train/session.ts';
import type { ModelEvent, ModelRequest } from './model-protocol.ts';

const scope = self as unknown as {
  postMessage(e: ModelEvent, transfer?: Transferable[]): void;
  onmessage: ((ev: MessageEvent<ModelRequest>) => void) | null;
};

const session = new TrainingSession({ emit: (e, transfer) => scope.postMessage(e, transfer ?? []) });

// The bundler gives each .wasm file its own hashed URL; tfjs wants them by file name.
const WASM_PATHS = {
  'tfjs-backend-wasm.wasm': wasmUrl,
  'tfjs-backend-wasm-simd.wasm': wasmSimdUrl,
  'tfjs-backend-wasm-threaded-simd.wasm': wasmThreadedUrl,
};

let queue: Promise<void> = Promise.resolve();
scope.onmessage = (ev) => {
  const req = ev.data;
  // pause/cancel/stop-sample must not wait behind a long request (a sample stream, a load).
  if (req.type === 'pause' || req.type === 'cancel' || req.type === 'stop-sample') {
    void session.handle(req);
    return;
  }
  const withPaths: ModelRequest = req.type === 'init' ? { ...req, wasmPaths: WASM_PATHS } : req;
  queue = queue.then(() => session.handle(withPaths));
};
