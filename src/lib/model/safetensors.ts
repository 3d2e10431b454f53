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

/**
 * Largest JSON header we accept. The reference implementation allows 100 MB; a GPT-2 header is
 * ~15 KB (gpt2-xl's ~70 KB) and a 7B model's shard ~30 KB, so 16 MiB is ample, and it bounds
 * what JSON.parse may build from a hostile file (tens of MB of objects, not gigabytes).
 */
export const MAX_HEADER_BYTES = 16 * 2 ** 20;
/** Most entries accepted: a 256-layer GPT-2 has 3,588 with its mask buffers; 16k leaves room for any real file. */
export const MAX_TENSORS = 16_384;
/** Most dimensions of one tensor (the format's tensors in practice have 0 to 5). */
export const MAX_DIMS = 8;

export interface ReadOptions {
  /** Return false to skip decoding a tensor (it is still validated), e.g. attn.bias buffers. */
  include?: (name: string) => boolean;
  /** Largest header accepted (default MAX_HEADER_BYTES). */
  maxHeaderBytes?: number;
  /** The file's name, for messages (default model.safetensors). */
  file?: string;
}

/** One tensor as the header describes it; begin/end are relative to the data section. */
export interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

export interface SafetensorsHeader {
  /** Every tensor in the header's order; sorted, their ranges cover the data section exactly, without gaps or overlap. */
  entries: TensorEntry[];
  /** Byte offset of the data section in the file. */
  dataStart: number;
  metadata: Record<string, string>;
}

/**
 * Reads a safetensors file's header and checks all of it before any tensor is decoded, as the
 * reference implementation does: known dtypes, non-negative integer shapes, byte sizes equal to
 * shape x dtype size, and ranges that, sorted, tile the data section from 0 to its end with no
 * gap or overlap. So a file whose header promises more than it holds fails in one line, having
 * allocated nothing but the parsed header.
 */
export function readSafetensorsHeader(buf: ArrayBuffer | Uint8Array, opts: ReadOptions = {}): SafetensorsHeader {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const file = opts.file ?? 'model.safetensors';
  const { header, dataStart } = readHeader(bytes, opts.maxHeaderBytes ?? MAX_HEADER_BYTES, file);
  const dataLen = bytes.byteLength - dataStart;
  const names = Object.keys(header).filter((n) => n !== '__metadata__');
  if (names.length > MAX_TENSORS) {
    throw new Error(`${file}: the header lists ${names.length} tensors, more than the ${MAX_TENSORS} any real model has`);
  }
  const entries = names.map((name) => checkEntry(file, name, header[name], dataLen));
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let at = 0;
  for (let i = 0; i < sorted.length; i++) {
    const e = sorted[i];
    if (e.begin < at) {
      const prev = sorted[i - 1];
      throw new Error(`${file}: tensors "${prev.name}" and "${e.name}" overlap (bytes ${e.begin}..${Math.min(at, e.end)} of the data)`);
    }
    if (e.begin > at) {
      throw new Error(`${file}: bytes ${at}..${e.begin} of the data belong to no tensor (a gap before "${e.name}")`);
    }
    at = e.end;
  }
  if (at !== dataLen) {
    throw new Error(`${file}: the data section is ${dataLen} bytes but its tensors end at byte ${at} (${dataLen - at} bytes belong to no tensor)`);
  }
  const meta = header.__metadata__;
  return { entries, dataStart, metadata: (meta ?? {}) as Record<string, string> };
}

/** Checks one header entry against the format and the data section's length. */
function checkEntry(file: string, name: string, raw: unknown, dataLen: number): TensorEntry {
  const where = `${file}: tensor "${name}"`;
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where} is not an object in the header`);
  const { dtype, shape, data_offsets } = raw as Record<string, unknown>;
  if (typeof dtype !== 'string' || !Object.hasOwn(ITEM_SIZE, dtype)) {
    throw new Error(`${where} has unknown dtype ${JSON.stringify(dtype)?.slice(0, 40)}`);
  }
  if (!Array.isArray(shape) || shape.length > MAX_DIMS || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where} has an invalid shape ${JSON.stringify(shape)?.slice(0, 80)}`);
  }
  if (!Array.isArray(data_offsets) || data_offsets.length !== 2 || !data_offsets.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new Error(`${where} has invalid data_offsets ${JSON.stringify(data_offsets)?.slice(0, 80)}`);
  }
  const [begin, end] = data_offsets as [number, number];
  if (begin > end) throw new Error(`${where} has data_offsets [${begin}, ${end}] with begin > end`);
  if (end > dataLen) {
    throw new Error(`${where} data_offsets [${begin}, ${end}] run past the end of the data (${dataLen} bytes; file truncated?)`);
  }
  // The product stays below 2^53 because it is bounded by the data section before it can overflow.
  let numel = (shape as number[]).includes(0) ? 0 : 1;
  let counted = 0;
  for (const d of shape as number[]) {
    if (numel * ITEM_SIZE[dtype] > dataLen) break;
    numel *= d;
    counted++;
  }
  const expected = numel * ITEM_SIZE[dtype];
  if (end - begin !== expected) {
    const needs = counted < shape.length || !Number.isSafeInteger(expected) ? `more than the whole data section (${dataLen} bytes)` : String(expected);
    throw new Error(`${where} holds ${end - begin} bytes but ${dtype} [${(shape as number[]).join(', ')}] needs ${needs}`);
  }
  return { name, dtype, shape: [...(shape as number[])], begin, end };
}

/** Decodes one validated tensor of the file to float32. */
export function decodeTensor(bytes: Uint8Array, header: SafetensorsHeader, entry: TensorEntry): ReadTensor {
  const numel = (entry.end - entry.begin) / ITEM_SIZE[entry.dtype];
  return { dtype: entry.dtype, shape: [...entry.shape], data: decode(bytes, header.dataStart + entry.begin, numel, entry.dtype) };
}

/** Reads and validates a safetensors file (the whole header first); every tensor comes back as float32. */
export function readSafetensors(buf: ArrayBuffer | Uint8Array, opts: ReadOptions = {}): Map<string, ReadTensor> {
  const bytes = buf instanceof Uint8Array ? buf : new Uint8Array(buf);
  const header = readSafetensorsHeader(bytes, opts);
  const out = new Map<string, ReadTensor>();
  for (const e of header.entries) {
    if (opts.include && !opts.include(e.name)) continue;
    out.set(e.name, decodeTensor(bytes, header, e));
  }
  return out;
}

/** The __metadata__ map of a safetensors file (empty when absent). */
export function readSafetensorsMetadata(buf: ArrayBuffer | Uint8Array): Record<string, string> {
  return readSafetensorsHeader(buf).metadata;
}

function readHeader(bytes: Uint8Array, maxHeader: number, file: string): { header: Record<string, unknown>; dataStart: number } {
  if (bytes.byteLength < 8) {
    throw new Error(`${file}: file is ${bytes.byteLength} bytes, too short for the 8-byte header length`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(bytes.byteLength - 8)) {
    throw new Error(`${file}: header length ${n} exceeds the file size (${bytes.byteLength} bytes); not a safetensors file or truncated`);
  }
  if (n > BigInt(maxHeader)) {
    throw new Error(`${file}: header length ${n} is larger than the ${maxHeader}-byte limit`);
  }
  const len = Number(n);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + len)));
  } catch (e) {
    throw new Error(`${file}: header is not valid UTF-8 JSON (${(e as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) {
    throw new Error(`${file}: header is not a JSON object`);
  }
  const meta = (header as Record<string, unknown>).__metadata__;
  if (meta !== undefined && (meta === null || typeof meta !== 'object' || Array.isArray(meta) ||
      !Object.values(meta).every((v) => typeof v === 'string'))) {
    throw new Error(`${file}: __metadata__ must map strings to strings`);
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
