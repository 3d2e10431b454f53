// A pool of tokenizer workers that encodes a whole dataset: texts in, their ids out in the order
// given, packed in two typed arrays per chunk, with progress and cancellation.
//
// The pool knows workers only through PoolWorker, made by an injected factory: the page passes
// web Workers (browser-workers.ts), Node passes worker_threads (node-workers.ts), and both run
// the same src/workers/tokenizer.worker.ts. Texts travel in chunks of about `chunkChars`
// characters; each worker holds up to two chunks, so it never waits for the next one, and a
// fast worker takes more chunks than a slow one. Each worker warms its JIT on a sample until
// data comes (warm-up.ts), so a pool made ahead of its data meets the data with compiled code.
import type { TokenizerReply, TokenizerRequest } from './protocol.ts';
import type { TokenizerTables } from './byte-level-bpe.ts';
import { packedCount, type PackedIds } from './packed-ids.ts';
import { WARM_UP_CHARS } from './warm-up.ts';

/** One worker as the pool sees it. */
export interface PoolWorker {
  send(message: TokenizerRequest, transfer?: Transferable[]): void;
  /** Called once, right after creation: replies, and a crash of the worker itself. */
  listen(onReply: (reply: TokenizerReply) => void, onCrash: (message: string) => void): void;
  terminate(): void;
}

export type WorkerFactory = () => PoolWorker;

export interface PoolOptions {
  /** Number of workers; default defaultPoolSize(). */
  size?: number;
  /** Characters per chunk at most (a single longer text still goes alone); default 64k. */
  chunkChars?: number;
  /**
   * A worker with chunks in hand that sends nothing for this long is taken as hung, and the
   * pool fails (the dataset encoder then tokenizes on its own thread); default 60 s. A chunk
   * takes milliseconds, so only a stuck or starved worker gets near it.
   */
  stallMs?: number;
  /**
   * Characters of a sample each worker encodes while it waits for its first chunk, so that its
   * code is compiled when the data comes (warm-up.ts); default WARM_UP_CHARS, 0: none.
   */
  warmUpChars?: number;
}

export interface TokenizeProgress {
  /** Texts encoded so far, out of totalTexts. */
  texts: number;
  totalTexts: number;
  /** Ids produced so far. */
  tokens: number;
}

export interface EncodeAllOptions {
  onProgress?: (p: TokenizeProgress) => void;
  /** Aborting rejects the promise with signal.reason and drops the job's remaining chunks. */
  signal?: AbortSignal;
}

/**
 * Workers beyond this add memory (each holds its own tables and cache) more than speed: on 16
 * vCPUs, 16 workers were no faster than 8 (docs/benchmarks.md, Tokenizer).
 */
export const MAX_WORKERS = 8;
const CHUNKS_IN_FLIGHT = 2;
// ~1.5 ms of encoding: a chunk's messages cost its worker ~30 µs and the main thread ~15 µs,
// whatever its size; smaller datasets are cut finer (encodeAll), so every worker gets several.
const DEFAULT_CHUNK_CHARS = 65_536;
const DEFAULT_STALL_MS = 60_000;

/** navigator.hardwareConcurrency (at least 1, at most 8), where there is a navigator. */
export function defaultPoolSize(): number {
  const cores = typeof navigator === 'undefined' ? 1 : navigator.hardwareConcurrency;
  return Math.max(1, Math.min(MAX_WORKERS, cores || 1));
}

interface Job {
  id: number;
  /** The ids of each chunk, in the job's order. */
  chunks: PackedIds[];
  totalTexts: number;
  chunksLeft: number;
  texts: number;
  tokens: number;
  resolve: (ids: PackedIds[]) => void;
  reject: (reason: unknown) => void;
  onProgress?: (p: TokenizeProgress) => void;
}

interface Task {
  job: Job;
  /** Unique over the pool's life: routes the reply. */
  chunk: number;
  /** Its place among the job's chunks. */
  index: number;
  texts: string[];
}

interface Slot {
  worker: PoolWorker;
  inFlight: Map<number, Task>;
  /** Armed while the worker holds chunks; fires if it stays silent for stallMs. */
  watchdog?: ReturnType<typeof setTimeout>;
}

export class TokenizerPool {
  readonly size: number;
  /** Resolves when every worker has built the tokenizer; encodeAll need not wait for it. */
  readonly ready: Promise<void>;
  /**
   * Resolves when every worker has encoded its whole warm-up sample (at once without one); a
   * worker given data before that stops warming up, and this never resolves. For benchmarks.
   */
  readonly warm: Promise<void>;
  /**
   * Pieces the workers have merged (merge cache misses), all jobs together: each worker keeps its
   * own cache, so a piece met by several workers is merged by each (bench/tokenizer.ts shows it).
   */
  merges = 0;

  private readonly slots: Slot[] = [];
  private readonly chunkChars: number;
  private readonly stallMs: number;
  private queue: Task[] = [];
  private readonly jobs = new Map<number, Job>();
  private nextJob = 0;
  private nextChunk = 0;
  private failure: Error | undefined;

  constructor(createWorker: WorkerFactory, tables: TokenizerTables, opts: PoolOptions = {}) {
    this.size = Math.max(1, Math.floor(opts.size ?? defaultPoolSize()));
    this.chunkChars = opts.chunkChars ?? DEFAULT_CHUNK_CHARS;
    this.stallMs = opts.stallMs ?? DEFAULT_STALL_MS;
    const warmUpChars = opts.warmUpChars ?? WARM_UP_CHARS;
    let readyLeft = this.size, warmLeft = warmUpChars > 0 ? this.size : 0;
    let markReady!: () => void, markFailed!: (e: Error) => void, markWarm!: () => void;
    this.ready = new Promise((resolve, reject) => ((markReady = resolve), (markFailed = reject)));
    this.ready.catch(() => {}); // a failure also rejects every job; nobody need await ready
    this.warm = new Promise((resolve) => (markWarm = resolve));
    if (warmLeft === 0) void this.ready.then(markWarm, () => {});
    for (let i = 0; i < this.size; i++) {
      let worker: PoolWorker;
      try {
        worker = createWorker();
      } catch (e) {
        for (const slot of this.slots) slot.worker.terminate(); // the caller gets no pool to terminate
        throw e;
      }
      const slot: Slot = { worker, inFlight: new Map() };
      slot.worker.listen(
        (reply) => {
          if (reply.type === 'ready') {
            if (--readyLeft === 0) markReady();
          } else if (reply.type === 'warm') {
            if (--warmLeft === 0) markWarm();
          } else if (reply.type === 'error' && reply.job === undefined) {
            this.fail(new Error(`tokenizer worker: ${reply.message}`));
            markFailed(this.failure!);
          } else this.onReply(slot, reply);
        },
        (message) => {
          this.fail(new Error(`tokenizer worker crashed: ${message}`));
          markFailed(this.failure!);
        },
      );
      slot.worker.send({ type: 'init', tables, warmUpChars }); // tables copied to each worker: ~1 MB of typed arrays
      this.slots.push(slot);
    }
  }

  /**
   * Texts in; out, their ids in the same order: each chunk's pack as its worker sent it
   * (unpack() gives one view per text). Copying them into one array was the one serial step left
   * after the last chunk came back: 7-14 ms of a 150-180 ms pass with 2 workers on 2 cores.
   */
  encodeAll(texts: readonly string[], opts: EncodeAllOptions = {}): Promise<PackedIds[]> {
    const { signal, onProgress } = opts;
    if (this.failure) return Promise.reject(this.failure);
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (texts.length === 0) return Promise.resolve([]);
    return new Promise<PackedIds[]>((resolve, reject) => {
      const job: Job = {
        id: this.nextJob++, chunks: [], totalTexts: texts.length, chunksLeft: 0, texts: 0, tokens: 0,
        resolve, reject, onProgress,
      };
      const abort = (): void => this.cancel(job, signal!.reason);
      signal?.addEventListener('abort', abort, { once: true });
      // Settling, however it happens, lets go of the abort listener.
      job.resolve = (ids) => (signal?.removeEventListener('abort', abort), resolve(ids));
      job.reject = (reason) => (signal?.removeEventListener('abort', abort), reject(reason));
      this.jobs.set(job.id, job);

      // Small datasets are cut finer, so that every worker gets a share.
      let total = 0;
      for (const t of texts) total += t.length;
      const limit = Math.max(1024, Math.min(this.chunkChars, Math.ceil(total / (this.size * 4))));
      for (let first = 0; first < texts.length; ) {
        let end = first, chars = 0;
        while (end < texts.length && (end === first || chars + texts[end].length <= limit)) chars += texts[end++].length;
        this.queue.push({ job, chunk: this.nextChunk++, index: job.chunksLeft++, texts: texts.slice(first, end) });
        first = end;
      }
      this.pump();
    });
  }

  /** Stops every worker; pending jobs are rejected. */
  terminate(): void {
    this.fail(new Error('the tokenizer pool was terminated'));
  }

  /** Hands queued chunks to workers with room. */
  private pump(): void {
    for (const slot of this.slots) {
      const idle = slot.inFlight.size === 0;
      while (slot.inFlight.size < CHUNKS_IN_FLIGHT && this.queue.length > 0) {
        const task = this.queue.shift()!;
        slot.inFlight.set(task.chunk, task);
        slot.worker.send({ type: 'encode', job: task.job.id, chunk: task.chunk, texts: task.texts });
      }
      if (idle && slot.inFlight.size > 0) this.watch(slot);
    }
  }

  /** (Re)starts the slot's stall timer while it holds chunks; stops it when it holds none. */
  private watch(slot: Slot): void {
    clearTimeout(slot.watchdog);
    slot.watchdog = undefined;
    if (slot.inFlight.size === 0 || this.failure) return;
    slot.watchdog = setTimeout(() => this.fail(new Error(`a tokenizer worker has not answered for ${Math.round(this.stallMs / 100) / 10} s`)), this.stallMs);
  }

  private onReply(slot: Slot, reply: Extract<TokenizerReply, { type: 'encoded' | 'error' }>): void {
    const task = slot.inFlight.get(reply.chunk!);
    slot.inFlight.delete(reply.chunk!);
    this.watch(slot); // it answered: its next chunk gets a fresh stallMs
    this.pump();
    // A cancelled or failed job's late chunks are dropped here.
    if (!task || !this.jobs.has(task.job.id)) return;
    const job = task.job;
    if (reply.type === 'error') return this.cancel(job, new Error(`tokenizer worker: ${reply.message}`));
    this.merges += reply.merges;
    job.chunks[task.index] = { ids: reply.ids, offsets: reply.offsets };
    job.texts += packedCount(reply);
    job.tokens += reply.ids.length;
    job.onProgress?.({ texts: job.texts, totalTexts: job.totalTexts, tokens: job.tokens });
    if (--job.chunksLeft === 0) {
      this.jobs.delete(job.id);
      job.resolve(job.chunks);
    }
  }

  private cancel(job: Job, reason: unknown): void {
    if (!this.jobs.delete(job.id)) return;
    this.queue = this.queue.filter((t) => t.job !== job);
    job.reject(reason);
  }

  private fail(error: Error): void {
    if (this.failure) return;
    this.failure = error;
    for (const slot of this.slots) {
      clearTimeout(slot.watchdog);
      slot.worker.terminate();
    }
    for (const job of [...this.jobs.values()]) this.cancel(job, error);
    this.queue = [];
  }
}
