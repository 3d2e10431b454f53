// safetensors reader/writer: round trips, dtype conversion against hand-worked bit patterns,
// and every validation error a broken or hostile file should produce.
import { describe, expect, it } from 'vitest';
import {
  f16ToF32,
  f32ToF16,
  MAX_TENSORS,
  readSafetensors,
  readSafetensorsMetadata,
  writeSafetensors,
} from '../../src/lib/model/safetensors.ts';

/** Builds a file by hand: header object + raw data bytes, like the format's spec describes. */
function rawFile(header: unknown, data: Uint8Array, headerLen?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen ?? json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('safetensors', () => {
  it('round-trips float32 tensors and metadata, header padded to 8 bytes', () => {
    const a = { shape: [2, 3], data: new Float32Array([1, -2, 3.5, 0, 1e-7, -65504]) };
    const b = { shape: [4], data: new Float32Array([0.1, 0.2, 0.3, 0.4]) };
    const scalar = { shape: [], data: new Float32Array([-1e4]) };
    const bytes = writeSafetensors(new Map([['a', a], ['b.weight', b], ['s', scalar]]), { format: 'pt' });
    const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.__metadata__).toEqual({ format: 'pt' });
    expect(header.a).toEqual({ dtype: 'F32', shape: [2, 3], data_offsets: [0, 24] });
    expect(header['b.weight'].data_offsets).toEqual([24, 40]);
    const back = readSafetensors(bytes);
    expect([...back.keys()]).toEqual(['a', 'b.weight', 's']);
    expect(back.get('a')!.data).toEqual(a.data);
    expect(back.get('a')!.shape).toEqual([2, 3]);
    expect(back.get('b.weight')!.data).toEqual(b.data);
    expect(back.get('s')!.shape).toEqual([]);
    expect(back.get('s')!.data[0]).toBe(-1e4);
    expect(readSafetensorsMetadata(bytes)).toEqual({ format: 'pt' });
  });

  it('decodes F16 and BF16 from known bit patterns', () => {
    // IEEE half: 0x3c00 = 1, 0xc000 = -2, 0x7bff = 65504 (max), 0x0001 = 2^-24 (smallest subnormal), 0x7c00 = inf
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x7bff, 0x0001, 0x7c00, 0x3555]);
    // bfloat16: top half of float32; 0x3f80 = 1, 0xc0a0 = -5, 0x3e20 = 0.15625
    const bf16 = new Uint16Array([0x3f80, 0xc0a0, 0x3e20]);
    const data = new Uint8Array(f16.byteLength + bf16.byteLength);
    data.set(new Uint8Array(f16.buffer), 0);
    data.set(new Uint8Array(bf16.buffer), f16.byteLength);
    const file = rawFile(
      {
        h: { dtype: 'F16', shape: [6], data_offsets: [0, 12] },
        b: { dtype: 'BF16', shape: [3], data_offsets: [12, 18] },
      },
      data,
    );
    const t = readSafetensors(file);
    expect(Array.from(t.get('h')!.data)).toEqual([1, -2, 65504, 2 ** -24, Infinity, 0.333251953125]);
    expect(t.get('h')!.dtype).toBe('F16');
    expect(Array.from(t.get('b')!.data)).toEqual([1, -5, 0.15625]);
  });

  it('f32ToF16 rounds to nearest even and inverts f16ToF32 on every half value', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16ToF32(h);
      if (Number.isNaN(x)) continue;
      expect(f32ToF16(x)).toBe(h);
    }
    expect(f32ToF16(1 + 2 ** -11)).toBe(0x3c00); // halfway between 1 and next: ties to even (1)
    expect(f32ToF16(1 + 3 * 2 ** -11)).toBe(0x3c02); // halfway, odd below: rounds up
    expect(f32ToF16(70000)).toBe(0x7c00); // overflow -> inf
  });

  it('writes F16 tensors that read back within half precision', () => {
    const data = new Float32Array([0.1, -0.2, 3.14159, 1000.5]);
    const back = readSafetensors(writeSafetensors(new Map([['x', { shape: [4], data, dtype: 'F16' as const }]])));
    const x = back.get('x')!;
    expect(x.dtype).toBe('F16');
    for (let i = 0; i < 4; i++) expect(Math.abs(x.data[i] - data[i])).toBeLessThanOrEqual(Math.abs(data[i]) * 2 ** -11);
  });

  it('skips decoding excluded tensors but still validates them', () => {
    const bytes = writeSafetensors(new Map([['keep', { shape: [1], data: new Float32Array([1]) }], ['attn.bias', { shape: [1], data: new Float32Array([2]) }]]));
    expect([...readSafetensors(bytes, { include: (n) => n !== 'attn.bias' }).keys()]).toEqual(['keep']);
  });

  const f32 = (n: number) => new Uint8Array(n * 4);
  const cases: [string, Uint8Array, RegExp][] = [
    ['a file shorter than 8 bytes', new Uint8Array(5), /too short/],
    ['a header length beyond the file', rawFile({}, f32(0), 1000), /header length 1000 exceeds the file size/],
    ['a header that is not JSON', rawFile('{"a": ', f32(0)), /not valid UTF-8 JSON/],
    ['a header that is a JSON array', rawFile('[1,2]   ', f32(0)), /not a JSON object/],
    ['an unknown dtype', rawFile({ x: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, f32(1)), /"x" has unknown dtype "Q4"/],
    ['offsets past the end', rawFile({ x: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)), /"x" data_offsets \[0, 16\] run past the end of the data \(8 bytes/],
    ['begin after end', rawFile({ x: { dtype: 'F32', shape: [0], data_offsets: [8, 4] } }, f32(2)), /begin > end/],
    ['a size that does not match the shape', rawFile({ x: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, f32(2)), /"x" holds 8 bytes but F32 \[3\] needs 12/],
    ['overlapping tensors', rawFile({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] } }, f32(3)), /"a" and "b" overlap/],
    ['a negative shape', rawFile({ x: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /"x" has an invalid shape/],
    ['bad metadata', rawFile({ __metadata__: { n: 1 } }, f32(0)), /__metadata__ must map strings to strings/],
    ['a gap between tensors', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] }, b: { dtype: 'F32', shape: [1], data_offsets: [8, 12] } }, f32(3)),
      /^model\.safetensors: bytes 4\.\.8 of the data belong to no tensor \(a gap before "b"\)$/],
    ['a gap at the start', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /bytes 0\.\.4 of the data belong to no tensor \(a gap before "a"\)/],
    ['bytes after the last tensor', rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)),
      /the data section is 8 bytes but its tensors end at byte 4 \(4 bytes belong to no tensor\)/],
    ['a tensor inside another', rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 12] }, b: { dtype: 'U8', shape: [4], data_offsets: [4, 8] } }, f32(3)),
      /^model\.safetensors: tensors "a" and "b" overlap \(bytes 4\.\.8 of the data\)$/],
    ['a dtype named like an object property', rawFile({ x: { dtype: 'constructor', shape: [1], data_offsets: [0, 4] } }, f32(1)), /"x" has unknown dtype "constructor"/],
    ['a shape too large to count', rawFile({ x: { dtype: 'F32', shape: [2 ** 40, 2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, f32(1)),
      /"x" holds 4 bytes but F32 \[1099511627776, 1099511627776, 1099511627776\] needs more than the whole data section \(4 bytes\)/],
    ['a fractional dimension', rawFile({ x: { dtype: 'F32', shape: [0.5, 2], data_offsets: [0, 4] } }, f32(1)), /"x" has an invalid shape \[0\.5,2\]/],
    ['more than 8 dimensions', rawFile({ x: { dtype: 'F32', shape: Array(9).fill(1), data_offsets: [0, 4] } }, f32(1)), /"x" has an invalid shape/],
  ];
  for (const [what, file, message] of cases) {
    it(`refuses ${what}`, () => {
      expect(() => readSafetensors(file)).toThrow(message);
    });
  }

  it('names the file it was given', () => {
    expect(() => readSafetensors(rawFile({ x: { dtype: 'Q4', shape: [1], data_offsets: [0, 4] } }, f32(1)), { file: 'shard-2.safetensors' }))
      .toThrow(/^shard-2\.safetensors: tensor "x" has unknown dtype "Q4"$/);
  });

  it('refuses more entries than any real model has, before looking at one', () => {
    const header: Record<string, unknown> = {};
    for (let i = 0; i <= MAX_TENSORS; i++) header[`t${i}`] = { dtype: 'U8', shape: [0], data_offsets: [0, 0] };
    expect(() => readSafetensors(rawFile(header, new Uint8Array(0)))).toThrow(`model.safetensors: the header lists ${MAX_TENSORS + 1} tensors, more than the ${MAX_TENSORS} any real model has`);
    delete header[`t${MAX_TENSORS}`];
    expect(readSafetensors(rawFile(header, new Uint8Array(0))).size).toBe(MAX_TENSORS);
  });

  it('200 tensors over the same 4 MiB are refused from the header, before any is decoded', () => {
    const N = 4 * 2 ** 20;
    const header: Record<string, unknown> = {};
    for (let i = 0; i < 200; i++) header[`t${i}`] = { dtype: 'U8', shape: [N], data_offsets: [0, N] };
    let decoded = 0;
    const t0 = performance.now();
    expect(() => readSafetensors(rawFile(header, new Uint8Array(N)), { include: () => (decoded++, true) })).toThrow(/"t\d+" and "t\d+" overlap/);
    expect(decoded).toBe(0);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('keeps the header order when the data is laid out in another, and reads empty tensors', () => {
    const data = new Float32Array([1, 2, 3]);
    const file = rawFile({
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
      e: { dtype: 'F32', shape: [0, 5], data_offsets: [12, 12] },
      a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
    }, new Uint8Array(data.buffer));
    const back = readSafetensors(file);
    expect([...back.keys()]).toEqual(['b', 'e', 'a']);
    expect([...back.get('b')!.data]).toEqual([2, 3]);
    expect([...back.get('a')!.data]).toEqual([1]);
    expect(back.get('e')!.shape).toEqual([0, 5]);
  });

  it('refuses a header larger than the sane maximum', () => {
    const file = writeSafetensors(new Map([['x', { shape: [1], data: new Float32Array([1]) }]]));
    expect(() => readSafetensors(file, { maxHeaderBytes: 16 })).toThrow(/header length \d+ is larger than the 16-byte limit/);
    expect(readSafetensors(file, { maxHeaderBytes: 1024 }).get('x')!.data[0]).toBe(1);
  });

  it('refuses a huge declared header even when the buffer is that big', () => {
    const file = new Uint8Array(8);
    new DataView(file.buffer).setBigUint64(0, 2n ** 60n, true);
    expect(() => readSafetensors(file)).toThrow(/exceeds the file size/);
  });
});
