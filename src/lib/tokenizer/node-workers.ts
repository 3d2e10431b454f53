// Node only (CLI, bench, tests; never imported by the app): the tokenizer pool on worker_threads,
// each thread running the very file the page runs, src/workers/tokenizer.worker.ts.
import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { TokenizerTables } from './byte-level-bpe.ts';
import { MAX_WORKERS, TokenizerPool, type PoolOptions, type PoolWorker } from './pool.ts';

// Threads load TypeScript through tsx's loader, as the CLI does; it is registered by a small
// bootstrap because Node 20 does not apply an `--import` loader to a worker's entry file.
const TSX_DIR = path.dirname(createRequire(import.meta.url).resolve('tsx/package.json'));
const TSX_API = pathToFileURL(path.join(TSX_DIR, 'dist/esm/api/index.mjs')).href; // exports['./esm/api'].import
const ENTRY = new URL('../../workers/tokenizer-thread.ts', import.meta.url).href;
const BOOTSTRAP = `import(${JSON.stringify(TSX_API)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(ENTRY)}); })`;

/** A worker_threads Worker running the tokenizer worker, adapted to what the pool needs. */
export function nodePoolWorker(): PoolWorker {
  const worker = new Worker(BOOTSTRAP, { eval: true });
  let stopped = false;
  return {
    send: (message, transfer = []) => worker.postMessage(message, transfer as ArrayBuffer[]),
    listen(onReply, onCrash) {
      worker.on('message', onReply);
      worker.on('error', (err) => onCrash(err.message));
      worker.on('exit', (code) => stopped || onCrash(`the thread exited (code ${code})`));
    },
    terminate() {
      stopped = true;
      void worker.terminate();
    },
  };
}

/** Node's count of usable cores, at least 1. */
export function nodePoolSize(): number {
  return Math.max(1, os.availableParallelism());
}

/** A pool of worker_threads; default size: one per core (at most MAX_WORKERS, 8). */
export function createNodeTokenizerPool(tables: TokenizerTables, opts: PoolOptions = {}): TokenizerPool {
  return new TokenizerPool(nodePoolWorker, tables, { ...opts, size: opts.size ?? Math.min(MAX_WORKERS, nodePoolSize()) });
}
