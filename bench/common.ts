// What the model benches (train, generate, profile) share: the GPT-2 shapes they build (or,
// with --model, models.ts' models), their options, and which wasm matmul they measure.
import { parseConfig, type GPT2Config } from '../src/lib/model/gpt2/config.ts';
import { importWasmBackend } from '../src/lib/wasm-matmul.ts';
import { parseArgs } from '../scripts/cli/args.ts';
import { benchModel, gpt2BenchModel, type BenchModel } from './models.ts';

export const SHAPES = {
  tiny: { n_layer: 2, n_embd: 64, n_head: 4 },
  small: { n_layer: 4, n_embd: 256, n_head: 4 }, // for a quick look on a busy machine
  distilgpt2: { n_layer: 6, n_embd: 768, n_head: 12 },
} as const;

export type ShapeName = keyof typeof SHAPES;

/** A GPT-2 config.json of the named shape: GPT-2's vocabulary and positions, distilgpt2's dropout. */
export function shapeConfig(name: string): GPT2Config {
  if (!(name in SHAPES)) throw new Error(`--shape: one of ${Object.keys(SHAPES).join(', ')}`);
  return parseConfig({
    model_type: 'gpt2', vocab_size: 50257, n_positions: 1024, ...SHAPES[name as ShapeName],
    layer_norm_epsilon: 1e-5, activation_function: 'gelu_new', resid_pdrop: 0.1, embd_pdrop: 0.1, attn_pdrop: 0.1,
  });
}

/** The bench's `--name VALUE` options (names listed in `valued`), read with a default each. */
export function benchOptions(valued: string[]): (name: string, fallback: string) => string {
  const { options } = parseArgs(process.argv.slice(2), valued);
  return (name, fallback) => options.get(name) ?? fallback;
}

/** tfjs' wasm backend as the app runs it (planned matmul), or with `--wasm-matmul tfjs` tfjs' own kernel. */
export async function importBenchWasm(matmul: string): Promise<void> {
  if (matmul === 'tfjs') await import('@tensorflow/tfjs-backend-wasm');
  else await importWasmBackend();
}

/** The options chosenModel reads. */
export const MODEL_OPTIONS = ['shape', 'model', 'layers'];

/**
 * The model a bench builds: `--model NAME` (a preset or gpt2-medium, models.ts) with
 * `--layers N` of its blocks, else the GPT-2 `--shape`.
 */
export function chosenModel(arg: (name: string, fallback: string) => string, defaultShape: string): BenchModel {
  const name = arg('model', '');
  const layers = arg('layers', '');
  if (!name) {
    if (layers) throw new Error('--layers shortens a --model');
    const shape = arg('shape', defaultShape);
    return gpt2BenchModel(shape, shapeConfig(shape));
  }
  return benchModel(name, layers ? Number(layers) : undefined);
}
