// The safetensors format (https://huggingface.co/docs/safetensors): an 8-byte little-endian
// header length N, N bytes of JSON {name: {dtype, shape, data_offsets: [begin, end]}, ...,
// "__metadata__": {str: str}}, then the raw little-endian tensor bytes, offsets relative to
// the end of the header. A model file comes from the network or a user's disk, so every
// field is checked before it is trusted, and each error names the tensor and the problem.

export interface TensorData {
  shape: number[];
  data: Float32Array;
}
export interface ReadTensor extends TensorData {
  /** dtype as stored in the file (the data is always converted to float32). */
  dtype: string;
}

/** Bytes per element of every dtype the format defines; the float ones are converted, ints too. */
const ITEM_SIZE: Record<string, number> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U8: 1, BOOL: 1,
};

/** Largest JSON header we accept: real GPT-2 headers are ~15 KB; anything huge is hostile or broken. */
export const MAX_HEADER_BYTES = 100 * 1024 * 1024;

export interface ReadOptions {
  /** Return false to skip decoding a tensor (it is still validated), e.g. attn.bias buffers. */
  include?: (name: string) => boolean;
  /** Largest header accepted (default MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
}

/** Reads and validates a safetensors file; every tensor comes back as float32. */
export function readSafetensors(buf: ArrayBuffer | Uint8Array, opts: ReadOptions = {}): Map<string, ReadTensor> {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const { header, dataStart } = readHeader(bytes, opts.maxHeaderBytes ?? MAX_HEADER_BYTES);
  const dataLen = bytes.byteLength - dataStart;
  const spans: { name: string; begin: number; end: number }[] = [];
  const out = new Map<string, ReadTensor>();
  for (const [name, raw] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
      throw new Error(`safetensors: entry "${name}" is not an object`);
    }
    const { dtype, shape, data_offsets } = raw as Record<string, unknown>;
    if (typeof dtype !== 'string' || !(dtype in ITEM_SIZE)) {
      throw new Error(`safetensors: tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
    }
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw new Error(`safetensors: tensor "${name}" has an invalid shape ${JSON.stringify(shape)}`);
    }
    if (
      !Array.isArray(data_offsets) || data_offsets.length !== 2 ||
      !data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0)
    ) {
      throw new Error(`safetensors: tensor "${name}" has invalid data_offsets ${JSON.stringify(data_offsets)}`);
    }
    const [begin, end] = data_offsets as [number, number];
    if (begin > end) throw new Error(`safetensors: tensor "${name}" has data_offsets [${begin}, ${end}] with begin > end`);
    if (end > dataLen) {
      throw new Error(
        `safetensors: tensor "${name}" data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; file truncated?)`,
      );
    }
    const numel = (shape as number[]).reduce((a, b) => a * b, 1);
    const expected = numel * ITEM_SIZE[dtype];
    if (end - begin !== expected) {
      throw new Error(
        `safetensors: tensor "${name}" holds ${end - begin} bytes but ${dtype} [${shape.join(', ')}] needs ${expected}`,
      );
    }
    spans.push({ name, begin, end });
    if (opts.include && !opts.include(name)) continue;
    out.set(name, { dtype, shape: [...(shape as number[])], data: decode(bytes, dataStart + begin, numel, dtype) });
  }
  spans.sort((a, b) => a.begin - b.begin || a.end - b.end);
  for (let i = 1; i < spans.length; i++) {
    const prev = spans[i - 1];
    const cur = spans[i];
    if (cur.begin < prev.end) {
      throw new Error(`safetensors: tensors "${prev.name}" and "${cur.name}" overlap (bytes ${cur.begin}..${prev.end})`);
    }
  }
  return out;
}

/** The __metadata__ map of a safetensors file (empty when absent). */
export function readSafetensorsMetadata(buf: ArrayBuffer | Uint8Array): Record<string, string> {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const meta = readHeader(bytes, MAX_HEADER_BYTES).header.__metadata__;
  return meta && typeof meta === 'object' ? (meta as Record<string, string>) : {};
}

function readHeader(bytes: Uint8Array, maxHeader: number): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.byteLength < 8) {
    throw new Error(`safetensors: file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) {
    throw new Error(`safetensors: header length ${n} exceeds the file size (${bytes.byteLength} bytes); not a safetensors file or truncated`);
  }
  if (n > BigInt(maxHeader)) {
    throw new Error(`safetensors: header length ${n} is larger than the ${maxHeader}-byte limit`);
  }
  const len = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch (e) {
    throw new Error(`safetensors: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error('safetensors: header is not a JSON object');
  }
  const meta = (header as Record<string, unknown>).__metadata__;
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta) ||
      !Object.values(meta).every((v) => typeof v === 'string'))) {
    throw new Error('safetensors: __metadata__ must map strings to strings');
  }
  return { header: header as Record<string, unknown>, dataStart: 8 + len };
}

/** Copies numel elements of `dtype` at byte `offset` into a new Float32Array. */
function decode(bytes: Uint8Array, offset: number, numel: number, dtype: string): Float32Array {
  if (dtype === 'F32') {
    // One copy into a fresh, 4-byte-aligned buffer whatever the file's alignment.
    const start = bytes.byteOffset + offset;
    return new Float32Array(bytes.buffer.slice(start, start + numel * 4) as ArrayBuffer);
  }
  const out = new Float32Array(numel);
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, numel * ITEM_SIZE[dtype]);
  switch (dtype) {
    case 'F16':
      for (let i = 0; i < numel; i++) out[i] = f16ToF32(view.getUint16(2 * i, true));
      break;
    case 'BF16': {
      // bfloat16 is the top half of a float32.
      const u32 = new Uint32Array(out.buffer);
      for (let i = 0; i < numel; i++) u32[i] = view.getUint16(2 * i, true) << 16;
      break;
    }
    case 'F64': for (let i = 0; i < numel; i++) out[i] = view.getFloat64(8 * i, true); break;
    case 'I64': for (let i = 0; i < numel; i++) out[i] = Number(view.getBigInt64(8 * i, true)); break;
    case 'I32': for (let i = 0; i < numel; i++) out[i] = view.getInt32(4 * i, true); break;
    case 'I16': for (let i = 0; i < numel; i++) out[i] = view.getInt16(2 * i, true); break;
    case 'I8': for (let i = 0; i < numel; i++) out[i] = view.getInt8(i); break;
    case 'U8': case 'BOOL': for (let i = 0; i < numel; i++) out[i] = view.getUint8(i); break;
  }
  return out;
}

/** IEEE half -> float: sign, 5-bit exponent, 10-bit mantissa (subnormals, inf and NaN included). */
export function f16ToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** float -> IEEE half, round to nearest even (used to build F16 fixtures). */
export function f32ToF16(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++;
  return sign | half;
}

const bf16Scratch = new Float32Array(1);
const bf16Bits = new Uint32Array(bf16Scratch.buffer);

/** float -> bfloat16 (the top half of the float32), round to nearest even; NaN stays NaN. */
export function f32ToBf16(x: number): number {
  bf16Scratch[0] = x;
  const u = bf16Bits[0];
  if ((u & 0x7fffffff) > 0x7f800000) return (u >>> 16) | 0x40;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/**
 * Writes tensors as safetensors, in the map's order. F32 by default; `dtype: 'F16'` or
 * `'BF16'` per tensor for small fixtures. The header is padded with spaces to a multiple of 8 bytes, as
 * the reference implementation does, so the data stays aligned.
 */
export function writeSafetensors(
  tensors: Map<string, TensorData & { dtype?: 'F32' | 'F16' | 'BF16' }>,
  metadata?: Record<string, string>,
): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, t] of tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (numel !== t.data.length) {
      throw new Error(`writeSafetensors: "${name}" has ${t.data.length} values but shape [${t.shape.join(', ')}]`);
    }
    const dtype = t.dtype ?? 'F32';
    const size = numel * ITEM_SIZE[dtype];
    header[name] = { dtype, shape: t.shape, data_offsets: [offset, offset + size] };
    offset += size;
  }
  let json = new TextEncoder().encode(JSON.stringify(header));
  const padded = Math.ceil(json.length / 8) * 8;
  if (padded !== json.length) {
    json = new TextEncoder().encode(JSON.stringify(header) + ' '.repeat(padded - json.length));
  }
  const out = new Uint8Array(8 + json.length + offset);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  let pos = 8 + json.length;
  for (const t of tensors.values()) {
    if ((t.dtype ?? 'F32') === 'F32') {
      out.set(new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength), pos);
      pos += t.data.byteLength;
    } else {
      const encode = t.dtype === 'BF16' ? f32ToBf16 : f32ToF16;
      for (let i = 0; i < t.data.length; i++, pos += 2) view.setUint16(pos, encode(t.data[i]), true);
    }
  }
  return out;
}
