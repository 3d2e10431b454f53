// Splits a streamed `window.YTD.<name>.partN = [ {...}, {...} ]` file into its top-level
// array entries by scanning BYTES, so a 500 MB tweets.js never becomes one string.
// Scanning bytes is safe for UTF-8: `{`, `}`, `[`, `]`, `"` and `\` are ASCII, and ASCII
// bytes never occur inside a multi-byte sequence.
import { ArchiveError } from './errors.ts';

const QUOTE = 0x22, BACKSLASH = 0x5c, LBRACE = 0x7b, RBRACE = 0x7d, LBRACKET = 0x5b, RBRACKET = 0x5d, COMMA = 0x2c;

/** One entry's raw bytes, where it sits in the member, and its position in the array. */
export type EntryHandler = (bytes: Uint8Array, index: number, byteOffset: number) => void;

const enum Phase { Prefix, BeforeEntry, AfterEntry, Entry, Done }

/** An entry larger than this is a file that never closes its braces, not a tweet. */
export const MAX_ENTRY_BYTES = 16 * 1024 * 1024;
/** The `window.YTD.tweets.part0 = ` prefix is a few dozen bytes; this is generous. */
const MAX_PREFIX_BYTES = 4096;

export class EntrySplitter {
  private phase = Phase.Prefix;
  private depth = 0;
  private inString = false;
  private escaped = false;
  /** Copies of the current entry's bytes from earlier chunks. */
  private pieces: Uint8Array[] = [];
  private piecesBytes = 0;
  private entryOffset = 0;
  /** Absolute offset of the current chunk's first byte in the member. */
  private offset = 0;
  /** Entries emitted so far. */
  count = 0;
  /** True while everything pushed was whitespace (or nothing). */
  blank = true;

  constructor(private readonly file: string, private readonly onEntry: EntryHandler) {}

  push(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      switch (this.phase) {
        case Phase.Prefix: {
          // Skip `window.YTD.x.partN = ` (and a BOM) up to the array's `[`.
          for (; i < n; i++) {
            const c = chunk[i];
            if (!isSpace(c)) this.blank = false;
            if (c === LBRACKET) break;
            if (c === LBRACE) throw this.shapeError('holds a JSON object where an array of entries was expected');
          }
          if (i === n) {
            if (this.offset + n > MAX_PREFIX_BYTES) throw this.jsonError(this.offset + n, 'no JSON array found');
            break;
          }
          i++;
          this.phase = Phase.BeforeEntry;
          break;
        }
        case Phase.BeforeEntry:
        case Phase.AfterEntry: {
          const c = chunk[i];
          if (isSpace(c)) { i++; break; }
          if (c === RBRACKET && (this.phase === Phase.AfterEntry || this.count === 0)) {
            this.phase = Phase.Done; i++; break;
          }
          if (this.phase === Phase.AfterEntry) {
            if (c !== COMMA) throw this.jsonError(this.offset + i, `expected "," or "]" after entry ${this.count}`);
            this.phase = Phase.BeforeEntry; i++; break;
          }
          if (c !== LBRACE) {
            if (c === QUOTE || c === LBRACKET || c === 0x2d || (c >= 0x30 && c <= 0x39) || c === 0x74 || c === 0x66 || c === 0x6e) {
              throw this.shapeError(`entry ${this.count + 1} is not a JSON object`);
            }
            throw this.jsonError(this.offset + i, `unexpected character before entry ${this.count + 1}`);
          }
          this.phase = Phase.Entry;
          this.depth = 0;
          this.inString = false;
          this.escaped = false;
          this.entryOffset = this.offset + i;
          i = this.scanEntry(chunk, i);
          break;
        }
        case Phase.Entry:
          i = this.scanEntry(chunk, i);
          break;
        case Phase.Done: {
          // After the closing `]`: only whitespace or a `;` may follow.
          const c = chunk[i];
          if (!isSpace(c) && c !== 0x3b) throw this.jsonError(this.offset + i, 'unexpected data after the array');
          i++;
          break;
        }
      }
    }
    this.offset += n;
  }

  /** Call at the end of the member: a file cut inside the array is broken JSON. */
  end(): void {
    if (this.phase === Phase.Done) return;
    if (this.phase === Phase.Prefix && this.offset === 0) throw this.jsonError(0, 'the file is empty');
    const where = this.phase === Phase.Entry ? `inside entry ${this.count + 1}` : 'before the closing "]"';
    throw this.jsonError(this.offset, `the file ends ${where}`);
  }

  /** Scans from `start` (inside an entry) to the entry's closing brace or the chunk's end. */
  private scanEntry(chunk: Uint8Array, start: number): number {
    const n = chunk.length;
    let depth = this.depth, inString = this.inString, escaped = this.escaped;
    let i = start;
    for (; i < n; i++) {
      const c = chunk[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === BACKSLASH) escaped = true;
        else if (c === QUOTE) inString = false;
      } else if (c === QUOTE) inString = true;
      else if (c === LBRACE || c === LBRACKET) depth++;
      else if (c === RBRACE || c === RBRACKET) {
        if (--depth === 0) break;
      }
    }
    const entryStartInChunk = this.pieces.length === 0 ? this.entryOffset - this.offset : 0;
    if (i === n) {
      // The entry goes on in the next chunk: keep a copy (the stream may reuse its buffer).
      this.depth = depth; this.inString = inString; this.escaped = escaped;
      const piece = chunk.slice(entryStartInChunk);
      this.pieces.push(piece);
      this.piecesBytes += piece.length;
      if (this.piecesBytes > MAX_ENTRY_BYTES) {
        throw this.jsonError(this.entryOffset, `entry ${this.count + 1} never closes (over ${MAX_ENTRY_BYTES >> 20} MiB)`);
      }
      return n;
    }
    const tail = chunk.subarray(entryStartInChunk, i + 1);
    let bytes = tail;
    if (this.pieces.length > 0) {
      bytes = new Uint8Array(this.piecesBytes + tail.length);
      let at = 0;
      for (const p of this.pieces) { bytes.set(p, at); at += p.length; }
      bytes.set(tail, at);
      this.pieces = [];
      this.piecesBytes = 0;
    }
    this.onEntry(bytes, this.count, this.entryOffset);
    this.count++;
    this.phase = Phase.AfterEntry;
    return i + 1;
  }

  private jsonError(byteOffset: number, what: string): ArchiveError {
    return new ArchiveError('bad-json', `${this.file}: broken JSON at byte ${byteOffset}: ${what}`, this.file);
  }

  private shapeError(what: string): ArchiveError {
    return new ArchiveError('bad-shape', `${this.file}: unexpected shape: ${what}`, this.file);
  }
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

/** Decodes and parses one entry; errors name the file, the entry and its byte offset. */
export function parseEntry(file: string, bytes: Uint8Array, index: number, byteOffset: number): unknown {
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ArchiveError('not-utf8', `${file} is not UTF-8 text (entry ${index + 1}, at byte ${byteOffset})`, file);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    // V8 says where in the entry's text; turn that into a byte offset in the file.
    const pos = /at position (\d+)/.exec(why);
    const at = pos ? byteOffset + utf8Encoder.encode(text.slice(0, Number(pos[1]))).length : byteOffset;
    const what = why.replace(/\s*in JSON at position \d+.*$/, '').replace(/\s*\(line \d+ column \d+\)$/, '');
    throw new ArchiveError('bad-json', `${file}: broken JSON in entry ${index + 1} at byte ${at}: ${what}`, file);
  }
}
