// npm run bench:profile [-- --shape tiny|small|distilgpt2] [--batch 2] [--block 16] [--steps 3] [--submit-batches 64,256] [--vk-icd ICD.json] [--kernels true]
//
// Where a training step's time goes on WebGPU (Dawn in Node: SwiftShader here, a real GPU's
// Vulkan driver with --vk-icd). Per step: wall time, the time JavaScript takes to queue the
// step's work, and process CPU time; then the same with other values of tfjs' submit batch
// (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, 15 by default); then, with --kernels, one step under
// tf.profile: how many kernels, and the GPU time of each kind (timestamp queries, each kernel
// submitted alone, so the sum overstates a real step's GPU time). Wall ≈ queue time and
// GPU time ≪ wall means the step is bound by the CPU cost of dispatching, not by the GPU.
import * as tf from '@tensorflow/tfjs';
import { GPT2 } from '../src/lib/model/gpt2.ts';
import { AdamW } from '../src/lib/train/adamw.ts';
import { optimizerStep } from '../src/lib/train/step.ts';
import { trainableParams } from '../src/lib/train/trainer.ts';
import { trainingChunkBytes } from '../src/lib/train/session.ts';
import { syntheticTokens, syntheticWeights } from '../src/lib/train/synthetic.ts';
import { benchOptions, shapeConfig } from './common.ts';
import { setupNodeWebGPU } from '../tests/helpers/node-webgpu.ts';

const arg = benchOptions(['shape', 'batch', 'block', 'steps', 'submit-batches', 'vk-icd', 'kernels']);
const B = Number(arg('batch', '2'));
const T = Number(arg('block', '16'));
const steps = Number(arg('steps', '3'));

if (!(await setupNodeWebGPU(arg('vk-icd', '') || undefined))) throw new Error('no WebGPU here: install chromium (SwiftShader) or pass --vk-icd');
if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to start');
const c = shapeConfig(arg('shape', 'tiny'));
const model = GPT2.fromWeights(c, syntheticWeights(c, 1), { maxBufferBytes: trainingChunkBytes(c) });
const opt = new AdamW(trainableParams(model));
const step = (i: number) =>
  optimizerStep(model, opt, [{ rows: syntheticTokens(B * (T + 1), c.vocab_size, 100 + i), seed: i }], { batchSize: B, blockSize: T, lr: 1e-4, clipNorm: 1, training: true, recompute: true });

/** `steps` steps queued back to back and read back once, as the trainer does. */
async function timeSteps(label: string): Promise<void> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const pending: tf.Tensor[] = [];
  for (let i = 0; i < steps; i++) {
    const r = step(i);
    pending.push(r.loss, r.norm);
  }
  const queued = performance.now();
  await tf.stack(pending.filter((_, i) => i % 2 === 0)).data();
  const cpu = process.cpuUsage(cpu0);
  const per = (ms: number) => `${(ms / steps).toFixed(0)} ms`;
  console.log(`${label}: ${per(performance.now() - t0)}/step wall, ${per(queued - t0)} to queue, ${per((cpu.user + cpu.system) / 1000)} CPU`);
  tf.dispose(pending);
}

for (let i = 0; i < 2; i++) {
  const r = step(i); // warm-up: shader compilation
  await r.loss.data();
  tf.dispose([r.loss, r.norm]);
}
const defaultBatch = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
await timeSteps(`submit batch ${defaultBatch} (default)`);
for (const size of arg('submit-batches', '64,256').split(',').filter(Boolean).map(Number)) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', size);
  await timeSteps(`submit batch ${size}`);
}
tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', defaultBatch);

if (arg('kernels', 'true') !== 'false') {
  let r: ReturnType<typeof step> | null = null;
  const prof = await tf.profile(() => {
    r = step(0);
    return [r.loss, r.norm];
  });
  tf.dispose([r!.loss, r!.norm]);
  const byName = new Map<string, { ms: number; n: number }>();
  for (const k of prof.kernels) {
    const g = byName.get(k.name) ?? { ms: 0, n: 0 };
    g.ms += Number(k.kernelTimeMs) || 0;
    g.n++;
    byName.set(k.name, g);
  }
  const total = [...byName.values()].reduce((a, g) => a + g.ms, 0);
  console.log(`\none step: ${prof.kernels.length} kernels, ${total.toFixed(1)} ms of GPU time (each kernel timed alone)`);
  for (const [name, g] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
    console.log(`${g.ms.toFixed(1).padStart(9)} ms ${String(g.n).padStart(5)}x ${name}`);
  }
}
opt.dispose();
model.dispose();
process.exit(0); // Dawn's instance keeps Node's event loop alive
