// The merge table of the BPE: (left id, right id) -> merge rank, as an open-addressing hash
// table over typed arrays. The BPE asks it once per adjacent pair, so it avoids what a
// Map<string, number> costs per look-up: a joined string key, its hash, boxed numbers.

/** The rank of a pair that merges.txt does not list; larger than any real rank. */
export const NO_MERGE = 0x7fffffff;

export class PairRanks {
  private readonly left: Int32Array; // -1 marks an empty slot
  private readonly right: Int32Array;
  private readonly ranks: Int32Array;
  private readonly mask: number;

  /** Room for `capacity` pairs at a load factor of at most 1/2. */
  constructor(capacity: number) {
    let size = 16;
    while (size < capacity * 2) size *= 2;
    this.left = new Int32Array(size).fill(-1);
    this.right = new Int32Array(size);
    this.ranks = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Records `rank` for (a, b) unless the pair already has one (the first listing wins). */
  set(a: number, b: number, rank: number): void {
    for (let i = slot(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      if (this.left[i] === -1) {
        this.left[i] = a;
        this.right[i] = b;
        this.ranks[i] = rank;
        return;
      }
      if (this.left[i] === a && this.right[i] === b) return;
    }
  }

  /** The rank of (a, b), or NO_MERGE. */
  get(a: number, b: number): number {
    for (let i = slot(a, b) & this.mask; ; i = (i + 1) & this.mask) {
      const l = this.left[i];
      if (l === -1) return NO_MERGE;
      if (l === a && this.right[i] === b) return this.ranks[i];
    }
  }
}

/** Mixes two ids into a well-spread 32-bit hash (multiplicative hashing, murmur3's finaliser). */
function slot(a: number, b: number): number {
  let h = Math.imul(a, 0x9e3779b1) ^ b;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  return h ^ (h >>> 13);
}
