// What a tokenizer worker does with each request, without the worker around it: the page's and
// Node's worker (src/workers/tokenizer.worker.ts) post what this returns, and the pool's tests run
// it in a fake worker on their own thread.
import type { TokenizerReply, TokenizerRequest } from './protocol.ts';
import type { ByteLevelBPE, TokenizerTables } from './byte-level-bpe.ts';
import { tokenizerFromTables } from './from-tables.ts';
import { encodePacked } from './packed-ids.ts';
import { WarmUp } from './warm-up.ts';

export interface Answer {
  reply: TokenizerReply;
  transfer: ArrayBuffer[];
}

export class TokenizerWorkerCore {
  private tok: ByteLevelBPE | undefined;
  private initError = 'the worker got no tokenizer tables (init)';
  /** The warm-up still to do, until its last slice or the first data. */
  private warmUp: WarmUp | undefined;

  /** The reply to `msg`. */
  handle(msg: TokenizerRequest): Answer {
    if (msg.type === 'init') return this.init(msg.tables, msg.warmUpChars ?? 0);
    const { job, chunk } = msg;
    this.warmUp = undefined; // data warms the code from here on
    if (!this.tok) return { reply: { type: 'error', job, chunk, message: this.initError }, transfer: [] };
    try {
      const before = this.tok.merges;
      const { ids, offsets } = encodePacked(this.tok, msg.texts);
      const reply: TokenizerReply = { type: 'encoded', job, chunk, ids, offsets, merges: this.tok.merges - before };
      return { reply, transfer: [ids.buffer as ArrayBuffer, offsets.buffer as ArrayBuffer] };
    } catch (err) {
      return { reply: { type: 'error', job, chunk, message: (err as Error).message }, transfer: [] };
    }
  }

  /** Whether a slice of the warm-up sample is waiting: the worker runs warmUpSlice() when it has no message. */
  get warming(): boolean {
    return this.warmUp !== undefined;
  }

  /** Encodes the next slice of the warm-up sample; after the last, the 'warm' reply to post. */
  warmUpSlice(): Answer | undefined {
    if (this.warmUp?.step() !== false) return undefined;
    this.warmUp = undefined;
    return { reply: { type: 'warm' }, transfer: [] };
  }

  private init(tables: TokenizerTables, warmUpChars: number): Answer {
    try {
      this.tok = tokenizerFromTables(tables);
      this.warmUp = warmUpChars > 0 ? new WarmUp(tables, warmUpChars) : undefined;
      return { reply: { type: 'ready' }, transfer: [] };
    } catch (err) {
      this.tok = undefined;
      this.initError = (err as Error).message;
      return { reply: { type: 'error', message: this.initError }, transfer: [] };
    }
  }
}
