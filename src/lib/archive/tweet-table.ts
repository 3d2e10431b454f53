// An archive's tweets column-wise: a few big strings and typed arrays for all of them,
// instead of an object and five strings per tweet, so memory follows the text (a 30-byte
// entry costs ~25 bytes to keep, not ~300) and the garbage collector has little to walk.

/** One tweet as an object: what TweetTable takes in and hands out one at a time. */
export interface RawTweet {
  id: string;
  createdAt: string;
  /** The note text when joined to a long post, else full_text (HTML-escaped as the archive has it). */
  fullText: string;
  lang?: string;
  inReplyToStatusId?: string;
  inReplyToScreenName?: string;
  noteJoined: boolean;
}

/** A chunk is sealed into one string once it holds this many characters. */
const CHUNK_CHARS = 1 << 16;
/** The short fields (id, time, language, reply id and name) are at most this long. */
export const MAX_FIELD_CHARS = 255;
const FIELDS = 5;
const WIDE = /[^\u0000-\u00ff]/;

/** A growable Uint32Array. */
class U32s {
  a = new Uint32Array(1024);
  push(v: number, at: number): void {
    if (at === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[at] = v;
  }
}

/**
 * Strings appended one after another into chunks of ~64K characters. Latin-1 strings and
 * the others go to separate chunks: V8 keeps a string one byte a character only when all
 * of it is Latin-1, so one emoji would double a mixed chunk.
 */
class TextPool {
  #chunks: string[] = [];
  /** Per kind (0: Latin-1, 1: wide): the open chunk's index, parts and length. */
  #open = [{ at: -1, parts: [] as string[], chars: 0 }, { at: -1, parts: [] as string[], chars: 0 }];
  #chunk = new U32s();
  #start = new U32s();
  #len = new U32s();
  #count = 0;

  /** Appends `s`; returns its slot. */
  add(s: string): number {
    const open = this.#open[WIDE.test(s) ? 1 : 0];
    if (open.at >= 0 && open.chars + s.length > CHUNK_CHARS && open.chars > 0) this.#seal(open);
    if (open.at < 0) {
      open.at = this.#chunks.push('') - 1;
      open.parts = [];
      open.chars = 0;
    }
    const slot = this.#count++;
    this.#chunk.push(open.at, slot);
    this.#start.push(open.chars, slot);
    this.#len.push(s.length, slot);
    open.parts.push(s);
    open.chars += s.length;
    return slot;
  }

  get(slot: number): string {
    const c = this.#chunk.a[slot];
    for (const open of this.#open) if (open.at === c) this.#seal(open);
    const start = this.#start.a[slot];
    return this.#chunks[c].slice(start, start + this.#len.a[slot]);
  }

  /** Joins the open chunk's parts into its string; the next string opens a new chunk. */
  #seal(open: { at: number; parts: string[]; chars: number }): void {
    this.#chunks[open.at] = open.parts.join('');
    open.at = -1;
    open.parts = [];
    open.chars = 0;
  }
}

/** The tweets of one archive, in archive order. */
export class TweetTable implements Iterable<RawTweet> {
  #pool = new TextPool();
  /** Row -> its record's slot in the pool (a joined long post moves to a new record). */
  #slot = new U32s();
  #joined = new Uint8Array(0);
  #length = 0;

  static from(tweets: Iterable<RawTweet>): TweetTable {
    const t = new TweetTable();
    for (const x of tweets) t.push(x);
    return t;
  }

  get length(): number {
    return this.#length;
  }

  /** Appends a tweet; its short fields must be at most MAX_FIELD_CHARS long (entries.ts checks). */
  push(t: RawTweet): void {
    const row = this.#length++;
    this.#slot.push(this.#pool.add(record(t, t.fullText)), row);
    if (row >= this.#joined.length) {
      const b = new Uint8Array(Math.max(1024, this.#joined.length * 2));
      b.set(this.#joined);
      this.#joined = b;
    }
    this.#joined[row] = t.noteJoined ? 1 : 0;
  }

  /** The tweet at `row`, as an object (for a page of rows, never for all of them). */
  at(row: number): RawTweet {
    const f = this.#fields(row);
    const t: RawTweet = { id: f[0], createdAt: f[1], fullText: f[5], noteJoined: this.noteJoined(row) };
    if (f[2]) t.lang = f[2];
    if (f[3]) t.inReplyToStatusId = f[3];
    if (f[4]) t.inReplyToScreenName = f[4];
    return t;
  }

  id(row: number): string {
    return this.#field(row, 0);
  }

  createdAt(row: number): string {
    return this.#field(row, 1);
  }

  lang(row: number): string | undefined {
    return this.#field(row, 2) || undefined;
  }

  inReplyToStatusId(row: number): string | undefined {
    return this.#field(row, 3) || undefined;
  }

  fullText(row: number): string {
    return this.#field(row, FIELDS);
  }

  noteJoined(row: number): boolean {
    this.#check(row);
    return this.#joined[row] === 1;
  }

  /** Gives `row` its long post's whole text (note-join.ts). */
  joinNote(row: number, text: string): void {
    const t = this.at(row);
    this.#slot.a[row] = this.#pool.add(record(t, text));
    this.#joined[row] = 1;
  }

  *[Symbol.iterator](): Iterator<RawTweet> {
    for (let i = 0; i < this.#length; i++) yield this.at(i);
  }

  /** Field `k` of `row`: 0 id, 1 createdAt, 2 lang, 3 reply id, 4 reply name, 5 text ('' when missing). */
  #field(row: number, k: number): string {
    this.#check(row);
    const r = this.#pool.get(this.#slot.a[row]);
    let at = FIELDS;
    for (let j = 0; j < k; j++) at += r.charCodeAt(j);
    return k === FIELDS ? r.slice(at) : r.slice(at, at + r.charCodeAt(k));
  }

  /** [id, createdAt, lang, replyId, replyName, fullText] of `row` ('' for a missing field). */
  #fields(row: number): string[] {
    this.#check(row);
    const r = this.#pool.get(this.#slot.a[row]);
    const out: string[] = [];
    let at = FIELDS;
    for (let k = 0; k < FIELDS; k++) {
      const n = r.charCodeAt(k);
      out.push(r.slice(at, at + n));
      at += n;
    }
    out.push(r.slice(at));
    return out;
  }

  #check(row: number): void {
    if (!(row >= 0 && row < this.#length)) throw new RangeError(`no tweet ${row} (of ${this.#length})`);
  }
}

/** One tweet as one string: the short fields' lengths (one character each), the short fields, the text. */
function record(t: RawTweet, fullText: string): string {
  const { id, createdAt } = t;
  const lang = t.lang ?? '', replyId = t.inReplyToStatusId ?? '', replyName = t.inReplyToScreenName ?? '';
  const longest = Math.max(id.length, createdAt.length, lang.length, replyId.length, replyName.length);
  if (longest > MAX_FIELD_CHARS) throw new RangeError(`a tweet field of ${longest} characters (at most ${MAX_FIELD_CHARS})`);
  return String.fromCharCode(id.length, createdAt.length, lang.length, replyId.length, replyName.length) + id + createdAt + lang + replyId + replyName + fullText;
}
