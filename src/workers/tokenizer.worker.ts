/// <reference lib="webworker" />
// A tokenizer worker: builds the tokenizer from the tables it is sent once, then encodes chunks of
// texts (see tokenizer-protocol.ts). The pool in src/lib/tokenizer/pool.ts runs several.
// The same file runs in Node under worker_threads (src/lib/tokenizer/node-workers.ts gives it a `self`).
import { GPT2Tokenizer } from '../lib/tokenizer/bpe.ts';
import { encodePacked } from '../lib/tokenizer/packed-ids.ts';
import type { TokenizerReply, TokenizerRequest } from './tokenizer-protocol.ts';

// Replies transfer their buffers, and the first buffer detached in a thread makes V8 throw away
// the optimized code of every function that reads typed arrays. Detaching one now, before any is
// optimized, spares those recompiles in the middle of the first chunks.
const spent = new ArrayBuffer(8);
structuredClone(spent, { transfer: [spent] });

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: TokenizerReply, transfer: Transferable[] = []): void => scope.postMessage(m, transfer);

let tok: GPT2Tokenizer | undefined;
let initError = 'the worker got no tokenizer tables (init)';

scope.addEventListener('message', (e: MessageEvent<TokenizerRequest>) => {
  const msg = e.data;
  if (msg.type === 'init') {
    try {
      tok = GPT2Tokenizer.fromTables(msg.tables);
      post({ type: 'ready' });
    } catch (err) {
      tok = undefined;
      initError = (err as Error).message;
      post({ type: 'error', message: initError });
    }
    return;
  }
  if (!tok) return post({ type: 'error', job: msg.job, chunk: msg.chunk, message: initError });
  try {
    const { ids, offsets } = encodePacked(tok, msg.texts);
    post({ type: 'encoded', job: msg.job, chunk: msg.chunk, ids, offsets }, [ids.buffer, offsets.buffer]);
  } catch (err) {
    post({ type: 'error', job: msg.job, chunk: msg.chunk, message: (err as Error).message });
  }
});
