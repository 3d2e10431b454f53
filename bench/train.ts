// npm run bench:train [-- --backends cpu,wasm,webgpu] [--shape tiny|small|distilgpt2 | --model NAME [--layers N]] [--batch 2] [--block 16] [--steps 3] [--max-buffer-mb 128] [--vk-icd ICD.json] [--recompute false] [--wasm-matmul planned|tfjs]
//                       [--lora R [--lora-alpha A] [--lora-targets q_proj,v_proj] [--compare-full false] [--rounds 1]] [--matmul false]
//
// Fine-tuning speed on each tfjs backend Node has here: ms per optimizer step, tokens/s, and
// model FLOP/s (nanoGPT's estimate: 6N + 12 L T C per token, N the parameters the step
// multiplies by, i.e. all but the position table), beside the best plain matmul rate the same
// backend reaches in the same run, so the ratio says how much of the hardware the step uses.
// The step is the real one (optimizerStep: chunked cross-entropy, gradients, clipping, AdamW)
// on a randomly initialised model of the chosen shape: speed does not depend on the values.
// --model takes the page's presets (distilgpt2, gpt2, SmolLM2-135M, SmolLM2-360M, Qwen2.5-0.5B)
// and gpt2-medium, any family; their FLOPs come from the family's parameter table (models.ts),
// and --layers N builds N of their blocks (per-block cost is what a shortened run measures).
// --lora R trains rank-R adapters (lib/lora, PEFT's default targets unless --lora-targets) on the
// frozen random model, and in the same run full fine-tuning of the same shape (unless
// --compare-full false), alternated --rounds times (full, LoRA, full, LoRA, ...) so a machine
// shared with other work slows both alike; each row carries the 1-minute load average at its end.
// LoRA's FLOPs: 4N for frozen matrices (forward, and the input gradient only) + 6 per adapter
// parameter + attention (models.ts' loraTrainingFlopsPerToken). --matmul false skips the plain
// matmul reference (minutes on WASM at the large shapes). --steps 0 runs the profiled warm-up step
// alone (its peak memory; its time includes compilation and profiling): for shapes too slow to repeat.
// WebGPU runs on Dawn + SwiftShader here (a CPU emulation), so its shapes stay tiny.
// Also prints the peak memory of one step (tf.profile) and, on paper from paramTable, the
// peak for distilgpt2 at B4 x T256.
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { paramCount, trainingFlopsPerToken as gpt2FlopsPerToken } from '../src/lib/model/gpt2/params.ts';
import type { GPT2Config } from '../src/lib/model/gpt2/config.ts';
import { vocabChunkSizes } from '../src/lib/model/embedding.ts';
import { LOSS_PIECE_ROWS } from '../src/lib/model/loss.ts';
import { countParams } from '../src/lib/model/parameters.ts';
import { MODEL_OPTIONS, benchOptions, chosenModel, importBenchWasm, shapeConfig } from './common.ts';
import { benchModel, loraParams, loraTrainingFlopsPerToken, matmulParams, mlpWidth, modelLabel, trainingFlopsPerToken, type BenchModel } from './models.ts';
import { attachLora, detachLora } from '../src/lib/lora/adapters.ts';
import { LORA_DEFAULTS, loraConfig, type LoraConfig } from '../src/lib/lora/config.ts';
import { trainableParams } from '../src/lib/train/trainer.ts';
import { syntheticTraining, timeSteps } from './training-step.ts';
import type { CausalLM } from '../src/lib/model/causal-lm.ts';
import { estimateMemory } from '../src/lib/model/memory-estimate.ts';
import { setupNodeWebGPU } from '../tests/helpers/node-webgpu.ts';

const arg = benchOptions(['backends', ...MODEL_OPTIONS, 'batch', 'block', 'steps', 'max-buffer-mb', 'vk-icd', 'recompute', 'wasm-matmul', 'lora', 'lora-alpha', 'lora-targets', 'compare-full', 'rounds', 'matmul']);

/**
 * Peak float32 bytes of one training step, on paper, for this code: weights, gradients and
 * two AdamW moments (16 bytes a parameter); with blocks recomputed (the default), each
 * block's input plus ONE block's activations and intermediate gradients (tfjs frees neither
 * until its tf.grads call returns, so count them twice); the widest moment of the chunked
 * loss; and the tied embedding's gradient arriving from two paths before they are summed.
 */
export function peakBytesOnPaper(c: GPT2Config, B: number, T: number, maxBufferBytes = 128 * 2 ** 20): Record<string, number> {
  const N = B * T;
  const C = c.n_embd;
  const P = paramCount(c);
  const state = 16 * P;
  // Per layer, floats autodiff keeps: LN in/out (2NC) x2, qkv (3NC), y + proj (2NC), MLP
  // pre-activation + gelu_new's intermediates (x^3, inner, tanh, out: 5 x 4NC), MLP out (NC),
  // dropout masks (3NC + attention's), attention scores + probabilities (B nh T^2 each).
  const perLayer = (4 + 3 + 2 + 20 + 1 + 3) * N * C + 3 * B * c.n_head * T * T;
  const activations = 4 * ((c.n_layer + 1) * N * C + 2 * perLayer);
  // The session caps chunks at LOSS_PIECE_ROWS rows (trainingChunkBytes), under the device's limit.
  const chunk = Math.max(...vocabChunkSizes(c.vocab_size, C, Math.min(maxBufferBytes, LOSS_PIECE_ROWS * C * 4)));
  const loss = 4 * 3 * N * chunk; // logits, softmax, gradient of one chunk
  const embeddingGrad = 2 * 4 * c.vocab_size * C;
  return { state, activations, loss, embeddingGrad, chunkRows: chunk, total: state + activations + loss + embeddingGrad };
}

/**
 * Best GFLOP/s of a plain matmul on the current backend over a few square sizes and the model's
 * own shapes; `transposeB` as the tied head multiplies (h W^T), which some backends run faster.
 */
async function bestMatmul(sizes: [number, number, number, boolean?][]): Promise<{ flops: number; shape: string }> {
  let best = { flops: 0, shape: '' };
  for (const [m, k, n, transposeB = false] of sizes) {
    const a = tf.randomUniform([m, k]);
    const b = tf.randomUniform(transposeB ? [n, k] : [k, n]);
    await tf.matMul(a, b, false, transposeB).data(); // warm-up (shader compile)
    const reps = 3;
    const t0 = performance.now();
    let out: tf.Tensor | null = null;
    for (let i = 0; i < reps; i++) {
      out?.dispose();
      out = tf.matMul(a, b, false, transposeB);
    }
    await out!.data(); // sync point: waits for the queued work
    const s = (performance.now() - t0) / 1000;
    const flops = (2 * m * k * n * reps) / s;
    if (flops > best.flops) best = { flops, shape: `${m}x${k}x${n}${transposeB ? ' (B transposed)' : ''}` };
    tf.dispose([a, b, out!]);
  }
  return best;
}

interface Row {
  backend: string;
  shape: string;
  /** 'full', or 'LoRA r16' */
  training: string;
  msPerStep: number;
  tokensPerSec: number;
  modelFlops: number;
  peakBytes: number;
  /** The 1-minute load average when the row's steps ended (the machine may be shared). */
  load: number;
}

/** LoRA's trainable hook: adapters attached to the frozen model, freed with it. */
const loraTrainable = (lora: LoraConfig) => (model: CausalLM) => {
  attachLora(model, lora);
  return { params: trainableParams(model), dispose: () => detachLora(model) };
};

/** One model built, a profiled warm-up step (two on WebGPU), `steps` timed steps, the model freed. */
async function benchRun(backend: string, m: BenchModel, B: number, T: number, steps: number, lora: LoraConfig | null, maxBufferBytes?: number): Promise<Row> {
  const training = syntheticTraining(m, B, T, { maxBufferBytes, recompute: RECOMPUTE, trainable: lora ? loraTrainable(lora) : undefined });
  try {
    // Warm-up step (shader compilation on WebGPU), measured for its peak memory.
    let warm: { loss: tf.Scalar; norm: tf.Scalar } | null = null;
    const t0 = performance.now();
    const prof = await tf.profile(() => {
      warm = training.step(0);
      return [warm.loss, warm.norm];
    });
    await warm!.loss.data();
    const warmMs = performance.now() - t0;
    tf.dispose([warm!.loss, warm!.norm]);
    // --steps 0: the peak alone, and the profiled warm-up's time (compilation and profiling included).
    if (steps === 0) return row(backend, m, B, T, lora, warmMs, prof.peakBytes, true);
    // On WebGPU a second, plain warm-up: tf.profile times each kernel on its own, and on an H200
    // steps timed right after it came out at 169 ms where steps after plain warm-ups took 96-108.
    if (backend === 'webgpu') {
      const second = training.step(0);
      await second.loss.data();
      tf.dispose([second.loss, second.norm]);
    }
    const { msPerStep } = await timeSteps(training, steps);
    return row(backend, m, B, T, lora, msPerStep, prof.peakBytes, false);
  } finally {
    training.dispose();
  }
}

function row(backend: string, m: BenchModel, B: number, T: number, lora: LoraConfig | null, msPerStep: number, peakBytes: number, warmOnly: boolean): Row {
  const tokensPerSec = (B * T) / (msPerStep / 1000);
  const flopsPerToken = lora ? loraTrainingFlopsPerToken(m, T, lora) : trainingFlopsPerToken(m, T);
  return {
    backend,
    shape: `${modelLabel(m)} B${B}xT${T}`,
    training: (lora ? `LoRA r${lora.r}` : 'full') + (warmOnly ? ' (warm-up step only)' : ''),
    msPerStep,
    tokensPerSec,
    modelFlops: tokensPerSec * flopsPerToken,
    peakBytes, // every live tensor: weights, moments, gradients, activations
    load: os.loadavg()[0],
  };
}

/** The best plain matmul rate on the current backend, over squares and the model's own shapes. */
async function matmulReference(backend: string, m: BenchModel, B: number, T: number): Promise<{ flops: number; shape: string }> {
  const N = B * T;
  const { width: C, vocab: V } = m.family.dims(m.config);
  const big = C >= 576; // distilgpt2-sized and up: the large squares
  return bestMatmul([
    [256, 256, 256],
    [512, 512, 512],
    ...(backend === 'webgpu' && !big ? [] : ([[1024, 1024, 1024]] as [number, number, number][])),
    ...(big ? ([[2048, 2048, 2048], [4096, 4096, 4096]] as [number, number, number][]) : []),
    [N, C, Math.min(LOSS_PIECE_ROWS, V)], // the loss head's shape (one piece of it)
    [N, C, Math.min(LOSS_PIECE_ROWS, V), true], // ... as the tied head runs it, h W^T
    [N, C, mlpWidth(m)], // the MLP's
  ]);
}

/** --recompute false measures plain autodiff (every activation and gradient alive at once). */
const RECOMPUTE = arg('recompute', 'true') !== 'false';

const gb = (n: number) => `${(n / 1e9).toFixed(2)} GB`;
const g = (n: number) => `${(n / 1e9).toFixed(2)}`;

/** What a --model table needs beside it: the parameters, FLOPs per token, and what --layers left out. */
function printModelNotes(m: BenchModel, T: number): void {
  const params = countParams(m.family.paramTable(m.config));
  const M = (n: number) => `${(n / 1e6).toFixed(1)}M`;
  console.log(
    `\n${modelLabel(m)}: ${M(params)} parameters, ${M(matmulParams(m))} of them multiplied per token; ` +
      `training FLOPs per token at T=${T}: ${(trainingFlopsPerToken(m, T) / 1e6).toFixed(0)} M (6N + 12 L T d_q).`,
  );
  if (m.layers < m.fullLayers) {
    console.log(
      `Built with ${m.layers} of its ${m.fullLayers} blocks (--layers): per-block cost is what this run measures. ` +
        `The embedding and head are the full model's, so a step costs head + ${m.layers} x block; ` +
        `two runs at different --layers give the two apart, and the full model's step is head + ${m.fullLayers} x block.`,
    );
  }
}

/** --lora's settings for the model: PEFT's defaults (targets included) unless told; null without --lora. */
function loraOption(m: BenchModel): LoraConfig | null {
  const r = arg('lora', '');
  if (!r) return null;
  const targets = arg('lora-targets', '');
  return loraConfig(m.family.modelType, {
    r: Number(r),
    alpha: Number(arg('lora-alpha', String(LORA_DEFAULTS.alpha))),
    ...(targets ? { targets: targets.split(',') } : {}),
  });
}

/** Beside a LoRA table: what trains, how its FLOPs count, LoRA / full per round, and memory-estimate.ts' figures. */
function printLoraNotes(m: BenchModel, lora: LoraConfig, rows: Row[], B: number, T: number): void {
  console.log(
    `\nLoRA r${lora.r}, alpha ${lora.alpha} on ${lora.targets.join(', ')}: ${loraParams(m, lora).toLocaleString('en-US')} trained parameters. ` +
      `Its model FLOPs per token at T=${T}: ${(loraTrainingFlopsPerToken(m, T, lora) / 1e6).toFixed(0)} M ` +
      `(4N for frozen matrices: forward 2N + input gradient 2N, no weight gradient; + 6 per adapter parameter + 12 L T d_q), ` +
      `full fine-tuning's ${(trainingFlopsPerToken(m, T) / 1e6).toFixed(0)} M (6N + 12 L T d_q).`,
  );
  for (const backend of new Set(rows.map((r) => r.backend))) {
    const mine = rows.filter((r) => r.backend === backend);
    const full = mine.filter((r) => r.training.startsWith('full'));
    const ours = mine.filter((r) => r.training.startsWith('LoRA'));
    const pairs = Math.min(full.length, ours.length);
    const ratios = Array.from({ length: pairs }, (_, i) => (ours[i].msPerStep / full[i].msPerStep).toFixed(2));
    if (pairs > 0) console.log(`${backend}: LoRA step / full step, per round: ${ratios.join(', ')}; peak memory LoRA / full: ${(ours[0].peakBytes / full[0].peakBytes).toFixed(2)}`);
  }
  const estimate = (layers: BenchModel) => {
    const e = (opts: { lora?: { rank: number; targets: string[] } }) => gb(estimateMemory(layers.family, layers.config, { batch: B, block: T, ...opts }).trainingBytes);
    console.log(`memory-estimate.ts for ${modelLabel(layers)} at B${B}xT${T}: full ${e({})}, LoRA r${lora.r} ${e({ lora: { rank: lora.r, targets: lora.targets } })}`);
  };
  estimate(m);
  if (m.layers < m.fullLayers) estimate(benchModel(m.label));
}

async function main(): Promise<void> {
  const backends = arg('backends', 'cpu,wasm,webgpu').split(',');
  const model = chosenModel(arg, 'tiny');
  const B = Number(arg('batch', '2'));
  const T = Number(arg('block', '16'));
  const steps = Number(arg('steps', '3'));
  if (!Number.isInteger(steps) || steps < 0) throw new Error('--steps: a whole number, 0 for the profiled warm-up step alone');
  const lora = loraOption(model);
  // Full fine-tuning first in each round, then LoRA: alternated, so a load that comes and goes touches both.
  const modes: (LoraConfig | null)[] = lora ? (arg('compare-full', 'true') === 'false' ? [lora] : [null, lora]) : [null];
  const rounds = Number(arg('rounds', '1'));
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 20) throw new Error('--rounds: a whole number from 1 to 20');
  // The session's chunking (trainingChunkBytes) unless --max-buffer-mb says otherwise.
  const maxMb = arg('max-buffer-mb', '');
  const rows: Row[] = [];
  const matmul = new Map<string, { flops: number; shape: string }>();
  for (const backend of backends) {
    // --wasm-matmul tfjs measures tfjs' own wasm matmul (transposed and batched products on its scalar loop).
    if (backend === 'wasm') await importBenchWasm(arg('wasm-matmul', 'planned'));
    if (backend === 'webgpu' && !(await setupNodeWebGPU(arg('vk-icd', '') || undefined))) {
      console.error('webgpu: no Vulkan ICD here, skipped');
      continue;
    }
    try {
      // setBackend returns false when the backend fails to start: never measure a silent fallback.
      if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to start`);
      await tf.ready();
      for (let round = 0; round < rounds; round++) {
        for (const mode of modes) {
          // One that does not fit (full fine-tuning past WASM's 4 GB heap) leaves the other to run.
          try {
            const row = await benchRun(backend, model, B, T, steps, mode, maxMb ? Number(maxMb) * 2 ** 20 : undefined);
            rows.push(row);
            console.error(`${backend} ${row.training}: ${row.msPerStep.toFixed(0)} ms/step, peak ${(row.peakBytes / 1e6).toFixed(0)} MB, load ${row.load.toFixed(2)}`);
          } catch (e) {
            console.error(`${backend} ${mode ? `LoRA r${mode.r}` : 'full'}: ${(e as Error).message}`);
          }
        }
      }
      if (arg('matmul', 'true') !== 'false') matmul.set(backend, await matmulReference(backend, model, B, T));
      console.error(`${backend}: done`);
    } catch (e) {
      console.error(`${backend}: ${(e as Error).message}`);
    }
  }
  console.log(`\n### Training step (${steps} timed steps after one warm-up, two on WebGPU; random weights; ${RECOMPUTE ? 'blocks recomputed in backward' : 'plain autodiff'}; ${new Date().toISOString().slice(0, 10)}; ${os.cpus().length} cores)\n`);
  console.log('| backend | model | training | ms/step | tokens/s | model GFLOP/s | best matmul GFLOP/s (shape) | model / matmul | peak tfjs memory of a step | load (1 min) |');
  console.log('| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    const mm = matmul.get(r.backend);
    const ref = mm ? `${g(mm.flops)} (${mm.shape}) | ${((100 * r.modelFlops) / mm.flops).toFixed(0)}%` : '- | -';
    console.log(
      `| ${r.backend} | ${r.shape} | ${r.training} | ${r.msPerStep.toFixed(0)} | ${r.tokensPerSec.toFixed(1)} | ${g(r.modelFlops)} | ${ref} | ${(r.peakBytes / 1e6).toFixed(1)} MB | ${r.load.toFixed(2)} |`,
    );
  }
  if (lora) printLoraNotes(model, lora, rows, B, T);
  if (arg('model', '')) {
    printModelNotes(model, T);
    return;
  }
  const d = shapeConfig('distilgpt2');
  const paper = peakBytesOnPaper(d, 4, 256);
  console.log('\n### distilgpt2 at B4 x T256, on paper (float32, from paramTable)\n');
  console.log('| part | bytes |');
  console.log('| --- | ---: |');
  console.log(`| weights + gradients + AdamW moments (16 B x ${paramCount(d).toLocaleString('en-US')} params) | ${gb(paper.state)} |`);
  console.log(`| block inputs + one block's activations and gradients (recomputed) | ${gb(paper.activations)} |`);
  console.log(`| chunked loss (3 x [1024, ${paper.chunkRows}] buffers: one vocabulary chunk) | ${gb(paper.loss)} |`);
  console.log(`| embedding gradient from both paths before summing (2 x wte) | ${gb(paper.embeddingGrad)} |`);
  console.log(`| **peak** | **${gb(paper.total)}** |`);
  console.log(`\nTraining FLOPs per token: ${(gpt2FlopsPerToken(d, 256) / 1e6).toFixed(0)} M (6N + 12LTC).`);
}

await main();
