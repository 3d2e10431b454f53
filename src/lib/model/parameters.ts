// A model's logical parameters on the device. Each is one parameter to everything outside the
// embedding/loss code (trainer, checkpoints, export): one name, one shape. A vocabulary table
// larger than the device's buffer limit is held as row slices (several tf.Variables), cut here
// and read through RowSlices by embedding.ts and loss.ts; its slices are joined back whenever
// the parameter leaves the device.
import * as tf from '@tensorflow/tfjs';
import type { ParamSpec, RowSlices, Weights } from './family.ts';
import { vocabChunkSizes } from './embedding.ts';

export interface WeightTensor {
  shape: number[];
  data: Float32Array;
}

export interface Parameter {
  readonly name: string;
  readonly shape: readonly number[];
  readonly decay: boolean;
  /** Consecutive row blocks of the parameter, in order: one for all but a sliced vocabulary table. */
  readonly slices: readonly tf.Variable[];
}

const F32 = 4;
const count = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1);

/**
 * Uploads `weights` (logical names, checked against `table`) as variables named under `scope`.
 * Vocabulary tables are cut into as few row slices as fit `maxBufferBytes`; any other parameter
 * past the limit is refused. On failure, what was uploaded is freed.
 */
export function uploadParameters(
  table: readonly ParamSpec[],
  weights: Map<string, WeightTensor>,
  maxBufferBytes: number,
  scope: string,
): Parameter[] {
  const out: Parameter[] = [];
  try {
    for (const spec of table) {
      const w = weights.get(spec.name);
      if (!w) throw new Error(`no weights for "${spec.name}"`);
      const [rows, ...rest] = spec.shape;
      const rowFloats = count(rest);
      const sizes = spec.vocabRows ? vocabChunkSizes(rows, rowFloats, maxBufferBytes) : [rows];
      if (!spec.vocabRows && w.data.length * F32 > maxBufferBytes) {
        throw new Error(`"${spec.name}" (${w.data.length * F32} bytes) exceeds this device's ${maxBufferBytes}-byte buffer limit`);
      }
      const slices: tf.Variable[] = [];
      out.push({ name: spec.name, shape: spec.shape.slice(), decay: spec.decay, slices });
      let start = 0;
      for (const size of sizes) {
        const suffix = sizes.length === 1 ? '' : `/rows${start}`;
        const data = w.data.subarray(start * rowFloats, (start + size) * rowFloats);
        const t = tf.tensor(data, [size, ...rest], 'float32');
        slices.push(tf.variable(t, true, `${scope}/${spec.name}${suffix}`));
        t.dispose();
        start += size;
      }
    }
  } catch (e) {
    disposeParameters(out);
    throw e;
  }
  return out;
}

export function disposeParameters(params: readonly Parameter[]): void {
  for (const p of params) for (const v of p.slices) v.dispose();
}

/** The row slices of a table given as consecutive row blocks. */
export function rowSlices(blocks: readonly tf.Tensor[]): RowSlices {
  let start = 0;
  return blocks.map((weight) => {
    const size = weight.shape[0] as number;
    const slice = { start, size, weight: weight as tf.Tensor2D };
    start += size;
    return slice;
  });
}

/** A Weights view over tensors by logical name (each a list of row blocks). */
export function weightsView(blocks: ReadonlyMap<string, readonly tf.Tensor[]>): Weights {
  const find = (name: string) => {
    const b = blocks.get(name);
    if (!b) throw new Error(`model: no parameter "${name}" here (disposed, or not this piece's)`);
    return b;
  };
  return {
    get: <R extends tf.Rank>(name: string) => {
      const b = find(name);
      if (b.length !== 1) throw new Error(`model: "${name}" is a sliced table; read it with rows()`);
      return b[0] as tf.Tensor<R>;
    },
    rows: (name) => rowSlices(find(name)),
  };
}

/** The view of `names`' parameters with their slices replaced, in order, by `flat` (tf.grads' inputs). */
export function substituted(params: ReadonlyMap<string, Parameter>, names: readonly string[], flat: readonly tf.Tensor[]): Weights {
  const blocks = new Map<string, tf.Tensor[]>();
  let i = 0;
  for (const name of names) {
    const n = params.get(name)!.slices.length;
    blocks.set(name, flat.slice(i, i + n));
    i += n;
  }
  return weightsView(blocks);
}

/** A parameter's whole value, its slices read back and laid end to end (a sync point). */
export async function readParameter(p: Parameter, read: (v: tf.Variable) => Promise<Float32Array> = async (v) => (await v.data()) as Float32Array): Promise<Float32Array> {
  if (p.slices.length === 1) return read(p.slices[0]);
  const out = new Float32Array(count(p.shape));
  let at = 0;
  for (const v of p.slices) {
    const data = await read(v);
    out.set(data, at);
    at += data.length;
  }
  return out;
}

/** Splits a whole parameter's floats into its slices' shares, in order (views, no copies). */
export function sliceShares(p: Parameter, data: Float32Array): Float32Array[] {
  let at = 0;
  return p.slices.map((v) => data.subarray(at, (at += v.size)));
}

export { countParams } from './param-count.ts';
