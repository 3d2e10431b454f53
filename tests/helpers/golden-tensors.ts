// Reading the tensors the PyTorch golden scripts write (scripts/golden/*.py: float32 bytes,
// base64) and the two distances the golden tests hold them to.

export interface Stored {
  shape: number[];
  data: string;
  norm?: number;
}

/** A stored tensor's float32 values. */
export function f32(s: Stored): Float32Array {
  const buf = Buffer.from(s.data, 'base64');
  return new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** ||a - b|| / ||b|| */
export function relErr(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) {
    d += (a[i] - b[i]) ** 2;
    n += b[i] ** 2;
  }
  return Math.sqrt(d) / Math.sqrt(n);
}

/** max |a - b| */
export function maxAbs(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < b.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}
