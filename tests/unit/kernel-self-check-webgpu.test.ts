// The start-up self-check of our WebGPU kernels (src/lib/webgpu/self-check.ts), in Node through
// Dawn on SwiftShader: every kernel passes it on a sound device; a kernel whose shader no longer
// compiles, or whose result is wrong, is disabled, the page is told, and training goes on
// through tfjs ops with the same loss as on the cpu backend.
import 'fake-indexeddb/auto';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { setupNodeWebGPU } from '../helpers/node-webgpu.ts';
import { sessionHarness } from '../helpers/session-harness.ts';
import { runKernelSelfCheck } from '../../src/lib/webgpu/self-check.ts';
import { KERNEL_NAMES, kernelEnabled, kernelStates, type KernelName } from '../../src/lib/webgpu/registry.ts';
import { elementwise, runProgram } from '../../src/lib/webgpu/programs.ts';
import { GPT2 } from '../../src/lib/model/gpt2/index.ts';
import { AdamW } from '../../src/lib/train/adamw.ts';
import { optimizerStep } from '../../src/lib/train/step.ts';
import { trainableParams } from '../../src/lib/train/trainer.ts';
import { syntheticConfig, syntheticTokens, syntheticWeights } from '../helpers/synthetic.ts';

const available = await setupNodeWebGPU();

// tfjs kernel names of ours (src/lib/webgpu/gelu.ts, layernorm.ts).
const GELU = 'TweetforgeGeluNew';
const LAYERNORM = 'TweetforgeLayerNorm';

/** What a tfjs release that changed the WGSL preamble would do to gelu_new: it no longer compiles. */
const brokenShader: tf.KernelFunc = ({ inputs, backend }) =>
  runProgram(backend, { key: 'test_broken', inputs: { X: (inputs as { x: tf.TensorInfo }).x }, shape: (inputs as { x: tf.TensorInfo }).x.shape, code: elementwise('setOutputAtIndex(index, X[index] +* 2.0);') });

/** A LayerNorm that compiles and runs but returns its input: a wrong result. */
const wrongResult: tf.KernelFunc = ({ inputs, backend }) =>
  runProgram(backend, { key: 'test_identity', inputs: { X: (inputs as { x: tf.TensorInfo }).x }, shape: (inputs as { x: tf.TensorInfo }).x.shape, code: elementwise('setOutputAtIndex(index, X[index]);') });

/** Replaces our kernel `name` on the WebGPU backend; returns how to put it back. */
function replaceKernel(name: string, kernelFunc: tf.KernelFunc): () => void {
  const original = tf.getKernel(name, 'webgpu');
  if (!original) throw new Error(`${name} is not registered: run the self-check once first`);
  tf.unregisterKernel(name, 'webgpu');
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc });
  return () => {
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel(original);
  };
}

const config = syntheticConfig({ vocab_size: 101, n_embd: 8, n_positions: 16, n_layer: 1, n_head: 2 });
const [B, T] = [2, 8];

/** One clipped AdamW step of a tiny GPT-2 (blocks recomputed, two vocabulary chunks) on `backend`: its loss. */
async function trainingStepLoss(backend: string): Promise<number> {
  await tf.setBackend(backend);
  const model = GPT2.fromWeights(config, syntheticWeights(config, 3), { maxBufferBytes: 2048 });
  const opt = new AdamW(trainableParams(model));
  const batches = [{ rows: syntheticTokens(B * (T + 1), config.vocab_size, 1) }];
  const { loss, norm } = optimizerStep(model, opt, batches, { batchSize: B, blockSize: T, lr: 1e-3, clipNorm: 1, training: false, recompute: true });
  const value = (await loss.data())[0];
  tf.dispose([loss, norm]);
  opt.dispose();
  model.dispose();
  return value;
}

describe.skipIf(!available)('kernel self-check on WebGPU', () => {
  const restores: (() => void)[] = [];
  beforeAll(async () => {
    expect(await tf.setBackend('webgpu')).toBe(true);
  });
  afterEach(async () => {
    for (const restore of restores.splice(0)) restore();
    await tf.setBackend('webgpu');
    await runKernelSelfCheck();
  });

  it('passes every kernel on a sound device, quickly, leaves them enabled and no tensor behind', async () => {
    const t0 = performance.now();
    await runKernelSelfCheck(); // the first run compiles the shaders: ours, and tfjs' for the twins
    const cold = performance.now() - t0;
    const live = tf.memory().numTensors;
    const { results, notice } = await runKernelSelfCheck();
    expect(tf.memory().numTensors).toBe(live);
    expect(results.map((r) => [r.name, r.reason])).toEqual(KERNEL_NAMES.map((name) => [name, null]));
    expect(notice).toBeNull();
    expect(kernelStates().every((s) => s.enabled)).toBe(true);
    const ms = results.reduce((sum, r) => sum + r.ms, 0);
    console.log(`self-check on SwiftShader: ${cold.toFixed(0)} ms cold, ${ms.toFixed(0)} ms warm (${results.map((r) => `${r.name} ${r.ms.toFixed(0)}`).join(', ')})`);
  });

  it('is a no-op off WebGPU', async () => {
    await tf.setBackend('cpu');
    expect(await runKernelSelfCheck()).toEqual({ results: [], notice: null });
  });

  it('disables a kernel that no longer compiles and one that computes wrong; training goes on with the cpu backend\'s loss', async () => {
    const cpuLoss = await trainingStepLoss('cpu');
    await tf.setBackend('webgpu');
    await runKernelSelfCheck(); // registers our kernels, so they can be replaced
    restores.push(replaceKernel(GELU, brokenShader), replaceKernel(LAYERNORM, wrongResult));

    const live = tf.memory().numTensors;
    const { results, notice } = await runKernelSelfCheck();
    expect(tf.memory().numTensors).toBe(live); // the failing checks free what they made too
    const reason = (name: KernelName) => results.find((r) => r.name === name)!.reason;
    expect(reason('gelu_new')).toMatch(/^GPU error: /);
    expect(reason('layernorm')).toMatch(/^forward differs from tfjs ops at element \d+/);
    expect(KERNEL_NAMES.filter((n) => !kernelEnabled(n))).toEqual(['layernorm', 'gelu_new']);
    expect(notice).toMatch(/^Kernels layernorm, gelu_new failed their self-check on this device \(layernorm: forward differs.*\): using tfjs ops instead \(slower, still right\)\.$/);

    const runKernel = vi.spyOn(tf.engine(), 'runKernel');
    const gpuLoss = await trainingStepLoss('webgpu');
    const ran = new Set(runKernel.mock.calls.map(([name]) => name));
    runKernel.mockRestore();
    expect(Math.abs(gpuLoss - cpuLoss)).toBeLessThan(1e-4 * cpuLoss); // train-golden's tolerance on WebGPU
    expect(ran.has(GELU) || ran.has(LAYERNORM)).toBe(false);
    expect(ran.has('TweetforgeChunkGather') && ran.has('TweetforgeAdamWParam')).toBe(true); // the others still run
  });

  it('tells the page through the model worker\'s backend event', async () => {
    const init = async () => {
      const { send, of } = sessionHarness({ backends: ['webgpu'] });
      await send({ type: 'init' });
      return of('backend')[0];
    };
    expect((await init()).kernelNotice).toBeNull();
    restores.push(replaceKernel(GELU, wrongResult));
    expect((await init()).kernelNotice).toMatch(/^Kernel gelu_new failed its self-check on this device \(forward differs from tfjs ops at element \d+: .*\): using tfjs ops instead/);
  });
});
