// npm run bench:generate [-- --shape distilgpt2|small|tiny | --model NAME [--layers N]] [--backend wasm|cpu|webgpu] [--tokens 32,128] [--samples 1] [--repeat N] [--full-recompute false] [--wasm-matmul planned|tfjs]
//
// Tokens per second of generate()'s loop with and without the KV cache, on the same model
// and backend, at each number of new tokens. The model is randomly initialised but shaped
// like distilgpt2 (6 layers, 768 wide, 12 heads, 1024 positions, 50257 tokens), so every
// matmul is the real size; speed does not depend on the weights' values. Sampling uses
// the page's settings (top-k 50, top-p 0.95, temperature 1) and min_new_tokens = N so every
// run makes exactly N tokens. Prompt: <|endoftext|> "My dream is" (4 ids), as the page.
// Prints a markdown table for docs/benchmarks.md. --model builds one of the page's presets (or
// gpt2-medium) of any family instead (models.ts), prompted with its end-of-text id and the same
// three ids; --full-recompute false leaves out the no-cache column, which a big model makes slow.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { MODEL_OPTIONS, benchOptions, chosenModel, importBenchWasm } from './common.ts';
import { modelLabel, type BenchModel } from './models.ts';
import { CausalLM } from '../src/lib/model/causal-lm.ts';
import { countParams } from '../src/lib/model/parameters.ts';
import { FAMILIES } from '../src/lib/model/families.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateIds, type SampleOptions } from '../src/lib/generate/generate.ts';
import { setupNodeWebGPU } from '../tests/helpers/node-webgpu.ts';

const arg = benchOptions([...MODEL_OPTIONS, 'full-recompute', 'backend', 'tokens', 'samples', 'repeat', 'wasm-matmul']);
await importBenchWasm(arg('wasm-matmul', 'planned'));

const PROMPT = [50256, 3666, 4320, 318]; // <|endoftext|> My dream is
const BENCH = chosenModel(arg, 'distilgpt2');
const FULL = arg('full-recompute', 'true') !== 'false';
const FAMILY_NAMES: Record<string, string> = { gpt2: 'GPT-2', llama: 'Llama', qwen2: 'Qwen2' };

/** The end-of-text id of a model's config (GPT-2's 50256; Llama/Qwen2: eos_token_id, the first of a list). */
function eotOf(m: BenchModel): number {
  if (m.family === FAMILIES.gpt2) return 50256;
  const eos = (m.config as { eos_token_id?: number | number[] }).eos_token_id;
  return (Array.isArray(eos) ? eos[0] : eos) ?? 0;
}
const EOT = eotOf(BENCH);

/** Seconds to generate `n` tokens for each of `samples` sequences. */
async function time(model: CausalLM, n: number, samples: number, kvCache: boolean): Promise<number> {
  const opts: SampleOptions = { ...DEFAULT_SAMPLE_OPTIONS, numSamples: samples, maxNewTokens: n, minNewTokens: n, kvCache, seed: 1 };
  let count = 0;
  const t0 = performance.now();
  for await (const _ of generateIds(model, [EOT, ...PROMPT.slice(1)], opts, EOT)) count++;
  const s = (performance.now() - t0) / 1000;
  if (count !== n * samples) throw new Error(`expected ${n * samples} tokens, got ${count}`);
  return s;
}

async function main(): Promise<void> {
  const backend = arg('backend', 'wasm');
  const tokens = arg('tokens', '32,128').split(',').map(Number);
  const samples = Number(arg('samples', '1'));
  // WebGPU compiles shaders for each new sequence length on first sight: best of 2 there.
  const repeat = Number(arg('repeat', backend === 'webgpu' ? '2' : '1'));
  const best = async (n: number, kv: boolean) => {
    let s = Infinity;
    for (let r = 0; r < repeat; r++) s = Math.min(s, await time(model, n, samples, kv));
    return s;
  };
  // WebGPU in Node: SwiftShader where Chromium ships it (this project's CI), else Dawn's native adapter.
  if (backend === 'webgpu' && !(await setupNodeWebGPU())) await setupNodeWebGPU('native');
  // setBackend resolves false (and tfjs falls back silently) when a backend fails to start.
  if (!(await tf.setBackend(backend))) throw new Error(`tfjs backend "${backend}" failed to initialise`);
  await tf.ready();
  (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false; // no "install tfjs-node" banner

  const params = countParams(BENCH.family.paramTable(BENCH.config));
  console.error(`building a random ${modelLabel(BENCH)}-shaped model (${(params / 1e6).toFixed(1)}M parameters)…`);
  const model = CausalLM.fromWeights(BENCH.family, BENCH.config, BENCH.weights());
  await time(model, 4, samples, true); // warm-up: kernels compiled, masks made
  if (FULL) await time(model, 4, samples, false);

  const rows: string[] = [];
  for (const n of tokens) {
    const cached = await best(n, true);
    console.error(`  ${n} tokens, KV cache: ${cached.toFixed(2)} s`);
    const rate = (s: number) => ((n * samples) / s).toFixed(1);
    if (!FULL) {
      rows.push(`| ${n} | ${rate(cached)} |`);
      continue;
    }
    const full = await best(n, false);
    console.error(`  ${n} tokens, full recompute: ${full.toFixed(2)} s`);
    rows.push(`| ${n} | ${rate(cached)} | ${rate(full)} | ${(full / cached).toFixed(1)}x |`);
  }
  const dims = model.dims;
  model.dispose();

  console.log(
    `\nGeneration, ${modelLabel(BENCH)}-shaped ${FAMILY_NAMES[BENCH.family.modelType]} (random weights, ${dims.layers} layers, ${dims.width} wide), ` +
      `tfjs ${backend} backend in Node ${process.version}, ${os.cpus()[0]?.model ?? 'CPU'} (${os.cpus().length} cores, shared), ` +
      `${samples} sample(s), prompt 4 tokens, top-k 50 / top-p 0.95 sampling:\n`,
  );
  console.log(FULL ? '| New tokens | With KV cache (tokens/s) | Full recompute (tokens/s) | Speed-up |' : '| New tokens | With KV cache (tokens/s) |');
  console.log(FULL ? '| --- | --- | --- | --- |' : '| --- | --- |');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
