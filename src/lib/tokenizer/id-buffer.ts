// A growable Int32Array of token ids: where the tokenizer appends the ids of a text, so a worker
// can encode a whole chunk of tweets without a number[] in between and hand back one typed array.

export class IdBuffer {
  /** ids[0 .. length) are the ids appended so far; the rest is room. */
  ids: Int32Array;
  length = 0;

  constructor(capacity = 1024) {
    this.ids = new Int32Array(Math.max(1, capacity));
  }

  /** Makes room for `count` more ids. */
  reserve(count: number): void {
    if (this.length + count <= this.ids.length) return;
    const bigger = new Int32Array(Math.max(2 * this.ids.length, this.length + count));
    bigger.set(this.ids.subarray(0, this.length));
    this.ids = bigger;
  }

  /** A copy of ids[0 .. length), in its own buffer (so it can be transferred). */
  toInt32Array(): Int32Array {
    return this.ids.slice(0, this.length);
  }
}
