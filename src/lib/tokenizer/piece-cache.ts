// The merge cache: piece -> its ids, as an open-addressing hash table that is looked up with a
// range of the text. A Map<string, number[]> would need a new string for every piece of every
// tweet just to ask; here only a miss makes one (the key it keeps), and the ids of every piece sit
// back to back in one Int32Array instead of one small array each. Tweets repeat a small set of
// words, so nearly every look-up hits, and the garbage collector has almost nothing to do.
import { IdBuffer } from './id-buffer.ts';

/** Pieces held at most; the cache starts over when full. */
const MAX_PIECES = 200_000;

export class PieceCache {
  /** Pieces cached. */
  size = 0;

  /** The ids of every cached piece, back to back. */
  private readonly store = new IdBuffer(1 << 14);
  private mask = 0;
  private keys: (string | undefined)[] = [];
  private hashes = new Int32Array(0);
  /** Per slot: where its ids start and end in `ids`; start -1 marks an empty slot. */
  private bounds = new Int32Array(0);

  constructor() {
    this.reset(1 << 12);
  }

  /** The slot holding text[start .. end), or -1. */
  find(text: string, start: number, end: number): number {
    // hash(text, start, end), written out: V8 did not inline the call, which cost ~25 % of a
    // warm encode.
    let h = 0x811c9dc5;
    for (let i = start; i < end; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h ^= h >>> 13;
    const len = end - start;
    for (let s = h & this.mask; ; s = (s + 1) & this.mask) {
      if (this.bounds[2 * s] < 0) return -1;
      if (this.hashes[s] !== h) continue;
      const key = this.keys[s]!;
      if (key.length !== len) continue;
      let i = 0;
      while (i < len && key.charCodeAt(i) === text.charCodeAt(start + i)) i++;
      if (i === len) return s;
    }
  }

  /** The ids of every cached piece, back to back: the piece in slot s has ids[from(s) .. to(s)). */
  get ids(): Int32Array {
    return this.store.ids;
  }

  from(slot: number): number {
    return this.bounds[2 * slot];
  }

  to(slot: number): number {
    return this.bounds[2 * slot + 1];
  }

  /** Caches ids[0 .. count) as the ids of `piece`, which is not cached yet; returns its slot. */
  add(piece: string, ids: Int32Array, count: number): number {
    const store = this.store;
    if (this.size >= MAX_PIECES) {
      store.length = 0;
      this.reset(this.keys.length);
    } else if (2 * (this.size + 1) > this.keys.length) this.rehash(2 * this.keys.length);
    store.reserve(count);
    const from = store.length;
    for (let i = 0; i < count; i++) store.ids[from + i] = ids[i];
    store.length += count;
    const h = hash(piece, 0, piece.length);
    const s = this.emptySlot(h);
    this.keys[s] = piece;
    this.hashes[s] = h;
    this.bounds[2 * s] = from;
    this.bounds[2 * s + 1] = store.length;
    this.size++;
    return s;
  }

  private emptySlot(hash: number): number {
    let s = hash & this.mask;
    while (this.bounds[2 * s] >= 0) s = (s + 1) & this.mask;
    return s;
  }

  /** Empties the table (not the ids), with room for `slots` slots. */
  private reset(slots: number): void {
    this.keys = new Array(slots);
    this.hashes = new Int32Array(slots);
    this.bounds = new Int32Array(2 * slots).fill(-1);
    this.mask = slots - 1;
    this.size = 0;
  }

  /** The same pieces in a table of `slots` slots (kept at most half full, so probes stay short). */
  private rehash(slots: number): void {
    const { keys, hashes, bounds } = this;
    this.reset(slots);
    for (let s = 0; s < keys.length; s++) {
      if (bounds[2 * s] < 0) continue;
      const t = this.emptySlot(hashes[s]);
      this.keys[t] = keys[s];
      this.hashes[t] = hashes[s];
      this.bounds[2 * t] = bounds[2 * s];
      this.bounds[2 * t + 1] = bounds[2 * s + 1];
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
