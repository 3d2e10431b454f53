// The page's tokenizer pool: web Workers running src/workers/tokenizer.worker.ts.
// `new Worker(new URL(..., import.meta.url))` written inline is the form Vite recognises and
// bundles as a separate worker file.
import type { TokenizerTables } from './byte-level-bpe.ts';
import { TokenizerPool, type PoolOptions, type PoolWorker } from './pool.ts';

/** A web Worker, adapted to what the pool needs. */
export function webPoolWorker(worker: Worker): PoolWorker {
  return {
    send: (message, transfer = []) => worker.postMessage(message, transfer),
    listen(onReply, onCrash) {
      worker.onmessage = (e) => onReply(e.data);
      worker.onerror = (e) => onCrash(e.message || 'the worker script failed to load');
    },
    terminate: () => worker.terminate(),
  };
}

/** A pool of defaultPoolSize() workers (navigator.hardwareConcurrency) unless opts.size says otherwise. */
export function createBrowserTokenizerPool(tables: TokenizerTables, opts?: PoolOptions): TokenizerPool {
  return new TokenizerPool(
    () => webPoolWorker(new Worker(new URL('../../workers/tokenizer.worker.ts', import.meta.url), { type: 'module' })),
    tables,
    opts,
  );
}
