// npm run bench:profile [-- --shape tiny|small|distilgpt2 | --model NAME [--layers N]] [--batch 2] [--block 16] [--steps 3] [--submit-batches 64,256] [--vk-icd ICD.json] [--kernels true]
//
// Where a training step's time goes on WebGPU (Dawn in Node: SwiftShader here, a real GPU's
// Vulkan driver with --vk-icd). Per step: wall time, the time JavaScript takes to queue the
// step's work, and process CPU time; then the same with other values of tfjs' submit batch
// (WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE, 15 by default); then, with --kernels, one step under
// tf.profile: how many kernels, and the GPU time of each kind (timestamp queries, each kernel
// submitted alone, so the sum overstates a real step's GPU time). Wall ≈ queue time and
// GPU time ≪ wall means the step is bound by the CPU cost of dispatching, not by the GPU.
import * as tf from '@tensorflow/tfjs';
import { MODEL_OPTIONS, benchOptions, chosenModel } from './common.ts';
import { syntheticTraining, timeSteps } from './training-step.ts';
import { setupNodeWebGPU } from '../tests/helpers/node-webgpu.ts';

const arg = benchOptions([...MODEL_OPTIONS, 'batch', 'block', 'steps', 'submit-batches', 'vk-icd', 'kernels']);
const B = Number(arg('batch', '2'));
const T = Number(arg('block', '16'));
const steps = Number(arg('steps', '3'));

if (!(await setupNodeWebGPU(arg('vk-icd', '') || undefined))) throw new Error('no WebGPU here: install chromium (SwiftShader) or pass --vk-icd');
if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend failed to start');
const training = syntheticTraining(chosenModel(arg, 'tiny'), B, T);
const step = training.step;

/** `steps` steps queued back to back and read back once, with the process's CPU time. */
async function report(label: string): Promise<void> {
  const cpu0 = process.cpuUsage();
  const { msPerStep, queueMsPerStep } = await timeSteps(training, steps);
  const cpu = process.cpuUsage(cpu0);
  const ms = (x: number) => `${x.toFixed(0)} ms`;
  console.log(`${label}: ${ms(msPerStep)}/step wall, ${ms(queueMsPerStep)} to queue, ${ms((cpu.user + cpu.system) / 1000 / steps)} CPU`);
}

for (let i = 0; i < 2; i++) {
  const r = step(i); // warm-up: shader compilation
  await r.loss.data();
  tf.dispose([r.loss, r.norm]);
}
const defaultBatch = tf.env().getNumber('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE');
await report(`submit batch ${defaultBatch} (default)`);
for (const size of arg('submit-batches', '64,256').split(',').filter(Boolean).map(Number)) {
  tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', size);
  await report(`submit batch ${size}`);
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
training.dispose();
process.exit(0); // Dawn's instance keeps Node's event loop alive
