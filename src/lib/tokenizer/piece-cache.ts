// The merge cache: piece -> its ids, as an open-addressing hash table that is looked up with a
// range of the text. A Map<string, number[]> would need a new string for every piece of every
// tweet just to ask; here nothing is made, not even on a miss: each piece is kept as a record in
// one Int32Array, its length, its ids and its UTF-16 units two to an int,
//
//   [units, count, id 0 .. id count-1, units 0|1, units 2|3, ...]
//
// and the table holds (hash, record) pairs side by side. A hit reads the pair, then one record,
// usually a single cache line, where key strings, hashes and bounds in separate arrays took four
// or five: on 2 cores, one thread went from 34 to 43 MB/s (docs/benchmarks.md, Tokenizer). There are no
// strings for the garbage collector to trace, and no tweet is kept alive by a key cut from it.
import { IdBuffer } from './id-buffer.ts';

/** Pieces held at most; the cache starts over when full. */
const MAX_PIECES = 200_000;
/** An empty slot's record. */
const EMPTY = -1;

export class PieceCache {
  /** Pieces cached. */
  size = 0;

  /** Every cached piece's record, back to back. */
  private readonly store = new IdBuffer(1 << 14);
  private mask = 0;
  /** Slot s: the piece's hash at 2s, where its record starts in `store` at 2s + 1 (EMPTY: none). */
  private slots = new Int32Array(0);

  constructor() {
    this.reset(1 << 12);
  }

  /** The record of text[start .. end), or -1. */
  find(text: string, start: number, end: number): number {
    // hash(text, start, end), written out: V8 did not inline the call, which cost ~25 % of a
    // warm encode.
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    const len = end - start;
    const slots = this.slots, store = this.store.ids;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      const rec = slots[2 * s + 1];
      if (rec === EMPTY) return -1;
      if (slots[2 * s] !== h || store[rec] !== len) continue;
      let at = rec + 2 + store[rec + 1], i = start;
      while (i + 1 < end && store[at] === (text.charCodeAt(i) | (text.charCodeAt(i + 1) << 16))) (i += 2), at++;
      if (i === end || (i + 1 === end && store[at] === text.charCodeAt(i))) return rec;
    }
  }

  /** Where the records are: the piece of record r has ids[from(r) .. to(r)). */
  get ids(): Int32Array {
    return this.store.ids;
  }

  from(rec: number): number {
    return rec + 2;
  }

  to(rec: number): number {
    return rec + 2 + this.store.ids[rec + 1];
  }

  /** Caches ids[0 .. count) as the ids of text[start .. end), which is not cached yet; returns its record. */
  add(text: string, start: number, end: number, ids: Int32Array, count: number): number {
    const store = this.store;
    if (this.size >= MAX_PIECES) {
      store.length = 0;
      this.reset(this.slots.length / 2);
    } else if (2 * (this.size + 1) > this.slots.length / 2) this.rehash(this.slots.length);
    const len = end - start;
    store.reserve(2 + count + ((len + 1) >> 1));
    const rec = store.length, dest = store.ids;
    dest[rec] = len;
    dest[rec + 1] = count;
    let at = rec + 2;
    for (let i = 0; i < count; i++) dest[at++] = ids[i];
    for (let i = start; i < end; i += 2) dest[at++] = text.charCodeAt(i) | (i + 1 < end ? text.charCodeAt(i + 1) << 16 : 0);
    store.length = at;
    const h = hash(text, start, end);
    const s = this.emptySlot(h);
    this.slots[2 * s] = h;
    this.slots[2 * s + 1] = rec;
    this.size++;
    return rec;
  }

  private emptySlot(hash: number): number {
    let s = hash & this.mask;
    while (this.slots[2 * s + 1] !== EMPTY) s = (s + 1) & this.mask;
    return s;
  }

  /** Empties the table (not the records), with room for `slots` slots. */
  private reset(slots: number): void {
    this.slots = new Int32Array(2 * slots).fill(EMPTY);
    this.mask = slots - 1;
    this.size = 0;
  }

  /** The same pieces in a table of `slots` slots (kept at most half full, so probes stay short). */
  private rehash(slots: number): void {
    const old = this.slots;
    this.reset(slots);
    for (let s = 0; s < old.length; s += 2) {
      if (old[s + 1] === EMPTY) continue;
      const t = this.emptySlot(old[s]);
      this.slots[2 * t] = old[s];
      this.slots[2 * t + 1] = old[s + 1];
      this.size++;
    }
  }
}

/** FNV-1a over the UTF-16 units of text[start .. end), then murmur3's finaliser to spread the low bits. */
function hash(text: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
