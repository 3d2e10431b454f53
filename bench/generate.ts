// npm run bench:generate [-- --shape distilgpt2|small|tiny] [--backend wasm|cpu|webgpu] [--tokens 32,128] [--samples 1] [--repeat N] [--wasm-matmul planned|tfjs]
//
// Tokens per second of generate()'s loop with and without the KV cache, on the same model
// and backend, at each number of new tokens. The model is randomly initialised but shaped
// like distilgpt2 (6 layers, 768 wide, 12 heads, 1024 positions, 50257 tokens), so every
// matmul is the real size; speed does not depend on the weights' values. Sampling uses
// the page's settings (top-k 50, top-p 0.95, temperature 1) and min_new_tokens = N so every
// run makes exactly N tokens. Prompt: <|endoftext|> "My dream is" (4 ids), as the page.
// Prints a markdown table for docs/benchmarks.md.
import os from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { benchOptions, importBenchWasm, shapeConfig } from './common.ts';
import { GPT2 } from '../src/lib/model/gpt2/index.ts';
import { paramCount } from '../src/lib/model/gpt2/params.ts';
import { syntheticWeights } from '../tests/helpers/synthetic.ts';
import { DEFAULT_SAMPLE_OPTIONS, generateIds, type SampleOptions } from '../src/lib/generate/generate.ts';
import { setupNodeWebGPU } from '../tests/helpers/node-webgpu.ts';

const arg = benchOptions(['shape', 'backend', 'tokens', 'samples', 'repeat', 'wasm-matmul']);
await importBenchWasm(arg('wasm-matmul', 'planned'));

const PROMPT = [50256, 3666, 4320, 318]; // <|endoftext|> My dream is

/** Seconds to generate `n` tokens for each of `samples` sequences. */
async function time(model: GPT2, n: number, samples: number, kvCache: boolean): Promise<number> {
  const opts: SampleOptions = { ...DEFAULT_SAMPLE_OPTIONS, numSamples: samples, maxNewTokens: n, minNewTokens: n, kvCache, seed: 1 };
  let count = 0;
  const t0 = performance.now();
  for await (const _ of generateIds(model, PROMPT, opts, 50256)) count++;
  const s = (performance.now() - t0) / 1000;
  if (count !== n * samples) throw new Error(`expected ${n * samples} tokens, got ${count}`);
  return s;
}

async function main(): Promise<void> {
  const shapeName = arg('shape', 'distilgpt2');
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

  const config = shapeConfig(shapeName);
  console.error(`building a random ${shapeName}-shaped model (${(paramCount(config) / 1e6).toFixed(1)}M parameters)…`);
  const model = GPT2.fromWeights(config, syntheticWeights(config));
  await time(model, 4, samples, true); // warm-up: kernels compiled, masks made
  await time(model, 4, samples, false);

  const rows: string[] = [];
  for (const n of tokens) {
    const cached = await best(n, true);
    console.error(`  ${n} tokens, KV cache: ${cached.toFixed(2)} s`);
    const full = await best(n, false);
    console.error(`  ${n} tokens, full recompute: ${full.toFixed(2)} s`);
    const rate = (s: number) => ((n * samples) / s).toFixed(1);
    rows.push(`| ${n} | ${rate(cached)} | ${rate(full)} | ${(full / cached).toFixed(1)}x |`);
  }
  model.dispose();

  console.log(
    `\nGeneration, ${shapeName}-shaped GPT-2 (random weights, ${config.n_layer} layers, ${config.n_embd} wide), ` +
      `tfjs ${backend} backend in Node ${process.version}, ${os.cpus()[0]?.model ?? 'CPU'} (${os.cpus().length} cores, shared), ` +
      `${samples} sample(s), prompt 4 tokens, top-k 50 / top-p 0.95 sampling:\n`,
  );
  console.log('| New tokens | With KV cache (tokens/s) | Full recompute (tokens/s) | Speed-up |');
  console.log('| --- | --- | --- | --- |');
  for (const r of rows) console.log(r);
}

main().catch((e: unknown) => {
  console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
