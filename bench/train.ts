// npm run bench:train [-- --backends cpu,wasm,webgpu] [--shape tiny|small|distilgpt2 | --model NAME [--layers N]] [--batch 2] [--block 16] [--steps 3] [--max-buffer-mb 128] [--vk-icd ICD.json] [--recompute false] [--wasm-matmul planned|tfjs]
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
// WebGPU runs on Dawn + SwiftShader here (a CPU emulation), so its shapes stay tiny.
// Also prints the peak memory of one step (tf.profile) and, on paper from paramTable, the
// peak for distilgpt2 at B4 x T256.
import * as tf from '@tensorflow/tfjs';
import { paramCount, trainingFlopsPerToken as gpt2FlopsPerToken } from '../src/lib/model/gpt2/params.ts';
import type { GPT2Config } from '../src/lib/model/gpt2/config.ts';
import { vocabChunkSizes } from '../src/lib/model/embedding.ts';
import { LOSS_PIECE_ROWS } from '../src/lib/model/loss.ts';
import { countParams } from '../src/lib/model/parameters.ts';
import { MODEL_OPTIONS, benchOptions, chosenModel, importBenchWasm, shapeConfig } from './common.ts';
import { matmulParams, mlpWidth, modelLabel, trainingFlopsPerToken, type BenchModel } from './models.ts';
import { syntheticTraining, timeSteps } from './training-step.ts';
import { setupNodeWebGPU } from '../tests/helpers/node-webgpu.ts';

const arg = benchOptions(['backends', ...MODEL_OPTIONS, 'batch', 'block', 'steps', 'max-buffer-mb', 'vk-icd', 'recompute', 'wasm-matmul']);

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
  msPerStep: number;
  tokensPerSec: number;
  modelFlops: number;
  matmulFlops: number;
  matmulShape: string;
  peakBytes: number;
}

async function benchBackend(backend: string, m: BenchModel, B: number, T: number, steps: number, maxBufferBytes?: number): Promise<Row> {
  // setBackend returns false when the backend fails to start: never measure a silent fallback.
  if (!(await tf.setBackend(backend))) throw new Error(`the ${backend} backend failed to start`);
  await tf.ready();
  const training = syntheticTraining(m, B, T, { maxBufferBytes, recompute: RECOMPUTE });
  // Warm-up step (shader compilation on WebGPU), measured for its peak memory.
  let warm: { loss: tf.Scalar; norm: tf.Scalar } | null = null;
  const prof = await tf.profile(() => {
    warm = training.step(0);
    return [warm.loss, warm.norm];
  });
  await warm!.loss.data();
  tf.dispose([warm!.loss, warm!.norm]);
  // On WebGPU a second, plain warm-up: tf.profile times each kernel on its own, and on an H200
  // steps timed right after it came out at 169 ms where steps after plain warm-ups took 96-108.
  if (backend === 'webgpu') {
    const second = training.step(0);
    await second.loss.data();
    tf.dispose([second.loss, second.norm]);
  }
  const { msPerStep } = await timeSteps(training, steps);
  training.dispose();
  const tokensPerSec = (B * T) / (msPerStep / 1000);
  const N = B * T;
  const { width: C, vocab: V } = m.family.dims(m.config);
  const big = C >= 576; // distilgpt2-sized and up: the large squares
  const mm = await bestMatmul([
    [256, 256, 256],
    [512, 512, 512],
    ...(backend === 'webgpu' && !big ? [] : ([[1024, 1024, 1024]] as [number, number, number][])),
    ...(big ? ([[2048, 2048, 2048], [4096, 4096, 4096]] as [number, number, number][]) : []),
    [N, C, Math.min(LOSS_PIECE_ROWS, V)], // the loss head's shape (one piece of it)
    [N, C, Math.min(LOSS_PIECE_ROWS, V), true], // ... as the tied head runs it, h W^T
    [N, C, mlpWidth(m)], // the MLP's
  ]);
  return {
    backend,
    shape: `${modelLabel(m)} B${B}xT${T}`,
    msPerStep,
    tokensPerSec,
    modelFlops: tokensPerSec * trainingFlopsPerToken(m, T),
    matmulFlops: mm.flops,
    matmulShape: mm.shape,
    peakBytes: prof.peakBytes, // every live tensor: weights, moments, gradients, activations
  };
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

async function main(): Promise<void> {
  const backends = arg('backends', 'cpu,wasm,webgpu').split(',');
  const model = chosenModel(arg, 'tiny');
  const B = Number(arg('batch', '2'));
  const T = Number(arg('block', '16'));
  const steps = Number(arg('steps', '3'));
  // The session's chunking (trainingChunkBytes) unless --max-buffer-mb says otherwise.
  const maxMb = arg('max-buffer-mb', '');
  const rows: Row[] = [];
  for (const backend of backends) {
    // --wasm-matmul tfjs measures tfjs' own wasm matmul (transposed and batched products on its scalar loop).
    if (backend === 'wasm') await importBenchWasm(arg('wasm-matmul', 'planned'));
    if (backend === 'webgpu' && !(await setupNodeWebGPU(arg('vk-icd', '') || undefined))) {
      console.error('webgpu: no Vulkan ICD here, skipped');
      continue;
    }
    try {
      rows.push(await benchBackend(backend, model, B, T, steps, maxMb ? Number(maxMb) * 2 ** 20 : undefined));
      console.error(`${backend}: done`);
    } catch (e) {
      console.error(`${backend}: ${(e as Error).message}`);
    }
  }
  console.log(`\n### Training step (${steps} timed steps after one warm-up, two on WebGPU; random weights; ${RECOMPUTE ? 'blocks recomputed in backward' : 'plain autodiff'}; ${new Date().toISOString().slice(0, 10)})\n`);
  console.log('| backend | model | ms/step | tokens/s | model GFLOP/s | best matmul GFLOP/s (shape) | model / matmul | peak tfjs memory of a step |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const r of rows) {
    console.log(
      `| ${r.backend} | ${r.shape} | ${r.msPerStep.toFixed(0)} | ${r.tokensPerSec.toFixed(1)} | ${g(r.modelFlops)} | ${g(r.matmulFlops)} (${r.matmulShape}) | ${((100 * r.modelFlops) / r.matmulFlops).toFixed(0)}% | ${(r.peakBytes / 1e6).toFixed(1)} MB |`,
    );
  }
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
