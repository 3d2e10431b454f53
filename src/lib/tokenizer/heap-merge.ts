// Step 3 of the BPE for long pieces (a run of Japanese, Chinese or Thai with no space in it, a
// 300-letter word): the same merges, in the same order, as the loop in bpe.ts, but each next
// merge is popped from a binary heap of (rank, position) instead of found by scanning every pair,
// and tokens are unlinked from a list instead of shifted. A piece of n bytes costs O(n log n)
// instead of O(n^2).
import { NO_MERGE, type PairRanks } from './pair-ranks.ts';

/** Heap keys are rank * POSITIONS + position: the lowest rank first, the leftmost on a tie. */
const POSITIONS = 2 ** 32;

export class HeapMerger {
  /** The token after / before each position, -1 at the ends; the list skips merged-away tokens. */
  private next = new Int32Array(0);
  private prev = new Int32Array(0);
  /** The rank of the pair that starts at each position; -1 once the position is merged away. */
  private rankAt = new Int32Array(0);
  private heap = new Float64Array(0);
  private size = 0;

  /** Merges parts[0 .. n) in place, as bpe.ts' loop would; returns how many tokens are left. */
  merge(parts: Int32Array, n: number, pairRanks: PairRanks, mergeIds: Int32Array): number {
    if (this.next.length < n) this.grow(n);
    const { next, prev, rankAt } = this;
    this.size = 0;
    for (let i = 0; i < n; i++) {
      next[i] = i + 1 < n ? i + 1 : -1;
      prev[i] = i - 1;
      rankAt[i] = i + 1 < n ? pairRanks.get(parts[i], parts[i + 1]) : NO_MERGE;
      if (rankAt[i] !== NO_MERGE) this.push(rankAt[i] * POSITIONS + i);
    }
    while (this.size > 0) {
      const key = this.pop();
      const rank = Math.floor(key / POSITIONS);
      const at = key - rank * POSITIONS;
      // A pair whose tokens changed since it was pushed is stale: its position now has another
      // rank (a rank names one pair), or none.
      if (rankAt[at] !== rank) continue;
      parts[at] = mergeIds[rank];
      const gone = next[at], after = next[gone];
      next[at] = after;
      if (after >= 0) prev[after] = at;
      rankAt[gone] = -1;
      const before = prev[at];
      if (before >= 0) this.rerank(before, at, parts, pairRanks);
      if (after >= 0) this.rerank(at, after, parts, pairRanks);
      else rankAt[at] = NO_MERGE;
    }
    let count = 0;
    for (let i = 0; i >= 0; i = next[i]) parts[count++] = parts[i]; // position 0 is never merged away
    return count;
  }

  private rerank(left: number, right: number, parts: Int32Array, pairRanks: PairRanks): void {
    const rank = pairRanks.get(parts[left], parts[right]);
    this.rankAt[left] = rank;
    if (rank !== NO_MERGE) this.push(rank * POSITIONS + left);
  }

  private grow(n: number): void {
    this.next = new Int32Array(n);
    this.prev = new Int32Array(n);
    this.rankAt = new Int32Array(n);
    this.heap = new Float64Array(3 * n); // n - 1 pairs at first, then at most 2 more per merge
  }

  private push(key: number): void {
    const heap = this.heap;
    let i = this.size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent] <= key) break;
      heap[i] = heap[parent];
      i = parent;
    }
    heap[i] = key;
  }

  private pop(): number {
    const heap = this.heap;
    const top = heap[0];
    const last = heap[--this.size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  }
}
