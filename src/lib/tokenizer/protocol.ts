// The tokenizer worker's typed protocol, shared by both sides (pool.ts and worker-core.ts here,
// src/workers/tokenizer.worker.ts around the latter). Messages are handled in order, so a pool
// may send `init` and its first `encode` at once.
import type { TokenizerTables } from './bpe.ts';

/** Requests from the pool to one worker. */
export type TokenizerRequest =
  /**
   * Build the tokenizer from the tables the pool's owner built from vocab.json + merges.txt and
   * answer ready; then, until the first encode, encode a sample of about warmUpChars characters
   * a slice at a time (warm-up.ts) and answer warm once it is all done.
   */
  | { type: 'init'; tables: TokenizerTables; warmUpChars?: number }
  /** Encode a chunk of texts; `job` and `chunk` only route the reply back. */
  | { type: 'encode'; job: number; chunk: number; texts: string[] };

/** Replies from a worker. */
export type TokenizerReply =
  | { type: 'ready' }
  /** The warm-up sample is done (not sent when data came first). */
  | { type: 'warm' }
  /**
   * The ids of the chunk's texts, back to back: text i has ids[offsets[i] .. offsets[i + 1]).
   * Both buffers are transferred, not copied. `merges`: pieces the chunk made this worker merge
   * (merge cache misses).
   */
  | { type: 'encoded'; job: number; chunk: number; ids: Int32Array; offsets: Int32Array; merges: number }
  /** One readable line; `job` is absent when init failed. */
  | { type: 'error'; job?: number; chunk?: number; message: string };
