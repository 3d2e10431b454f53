// What a tokenizer worker does with each request, without the worker around it: the page's and
// Node's worker (src/workers/tokenizer.worker.ts) post what this returns, and the pool's tests run
// it in a fake worker on their own thread.
import type { TokenizerReply, TokenizerRequest } from '../../workers/tokenizer-protocol.ts';
import { GPT2Tokenizer, type TokenizerTables } from './bpe.ts';
import { encodePacked } from './packed-ids.ts';

export interface Answer {
  reply: TokenizerReply;
  transfer: ArrayBuffer[];
}

export class TokenizerWorkerCore {
  private tok: GPT2Tokenizer | undefined;
  private initError = 'the worker got no tokenizer tables (init)';

  /** The reply to `msg`. */
  handle(msg: TokenizerRequest): Answer {
    if (msg.type === 'init') return this.init(msg.tables);
    const { job, chunk } = msg;
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

  private init(tables: TokenizerTables): Answer {
    try {
      this.tok = GPT2Tokenizer.fromTables(tables);
      return { reply: { type: 'ready' }, transfer: [] };
    } catch (err) {
      this.tok = undefined;
      this.initError = (err as Error).message;
      return { reply: { type: 'error', message: this.initError }, transfer: [] };
    }
  }
}
