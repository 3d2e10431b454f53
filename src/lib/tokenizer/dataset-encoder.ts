// Encodes a dataset's texts for training: through a pool of tokenizer workers where one can be
// made, else on the calling thread, so training never depends on workers starting. The pool
// is made by start() or on first use, and kept until terminate() (the model worker makes one
// encoder per loaded model and starts its pool then, so the workers have warmed up before the
// data comes); a pool that fails is dropped for good and the texts are encoded here instead.
import type { ByteLevelBPE, TokenizerTables } from './byte-level-bpe.ts';
import { IdBuffer } from './id-buffer.ts';
import type { PackedIds } from './packed-ids.ts';
import type { EncodeAllOptions, TokenizerPool } from './pool.ts';

/** What the encoder needs of a tokenizer (GPT2Tokenizer, TokenizerJsonBPE): its tables go to the pool's workers. */
export type EncodingTokenizer = Pick<ByteLevelBPE, 'tables' | 'encodeInto'>;

/** What the encoder needs of a pool; the page makes web Workers, Node worker_threads, tests fakes. */
export type TokenizerPoolFactory = (tables: TokenizerTables) => Pick<TokenizerPool, 'size' | 'encodeAll' | 'terminate'>;

export interface EncodedTexts {
  /** The ids of each text, in order, packed in one or more parts (unpack() gives one view per text). */
  ids: PackedIds[];
  /** Workers that encoded them; 0: the calling thread did. */
  workers: number;
}

/** On the calling thread, the event loop gets a turn this often, for an abort or a newer request to get in. */
const SLICE_MS = 50;

export class DatasetEncoder {
  #pool: ReturnType<TokenizerPoolFactory> | null = null;
  #poolFailed = false;

  constructor(
    private readonly tok: EncodingTokenizer,
    private readonly createPool?: TokenizerPoolFactory,
  ) {}

  /** Starts the pool's workers now, ahead of the first encode (which would otherwise start them). */
  start(): void {
    this.#getPool();
  }

  /** Texts in, their ids out; rejects with signal.reason when aborted, never because a worker failed. */
  async encode(texts: readonly string[], opts: EncodeAllOptions = {}): Promise<EncodedTexts> {
    opts.signal?.throwIfAborted();
    const pool = this.#getPool();
    if (pool) {
      try {
        return { ids: await pool.encodeAll(texts, opts), workers: pool.size };
      } catch (e) {
        opts.signal?.throwIfAborted();
        console.warn(`tokenizer workers failed (${(e as Error).message}); tokenizing on one thread`);
        this.#poolFailed = true;
        this.terminate();
      }
    }
    return { ids: await encodeOnThread(this.tok, texts, opts), workers: 0 };
  }

  /** Stops the pool's workers (the next encode makes a new pool, unless one has failed). */
  terminate(): void {
    this.#pool?.terminate();
    this.#pool = null;
  }

  #getPool(): ReturnType<TokenizerPoolFactory> | null {
    if (this.#pool || this.#poolFailed || !this.createPool) return this.#pool;
    try {
      this.#pool = this.createPool(this.tok.tables);
    } catch (e) {
      console.warn(`no tokenizer workers (${(e as Error).message}); tokenizing on one thread`);
      this.#poolFailed = true;
    }
    return this.#pool;
  }
}

/** The pool's contract on one thread: progress after each slice of SLICE_MS, abortable between slices. */
async function encodeOnThread(tok: EncodingTokenizer, texts: readonly string[], { signal, onProgress }: EncodeAllOptions): Promise<PackedIds[]> {
  const out = new IdBuffer();
  const offsets = new Int32Array(texts.length + 1);
  let sliceStart = performance.now();
  for (let i = 0; i < texts.length; i++) {
    tok.encodeInto(texts[i], out);
    offsets[i + 1] = out.length;
    if (i === texts.length - 1 || performance.now() - sliceStart >= SLICE_MS) {
      onProgress?.({ texts: i + 1, totalTexts: texts.length, tokens: out.length });
      await new Promise((resolve) => setTimeout(resolve, 0));
      signal?.throwIfAborted();
      sliceStart = performance.now();
    }
  }
  return [{ ids: out.toInt32Array(), offsets }];
}
