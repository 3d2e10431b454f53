// The backend the worker trains on: chosen at 'init', watched for a lost GPU device, and
// brought back on Resume with what was there before.
import * as tf from '@tensorflow/tfjs';
import { selectBackend, type BackendName } from '../../lib/backend.ts';
import { attachLora, LoraAdapters } from '../../lib/lora/adapters.ts';
import { CausalLM } from '../../lib/model/causal-lm.ts';
import { watchDeviceLoss } from '../../lib/webgpu/device.ts';
import { runKernelSelfCheck } from '../../lib/webgpu/self-check.ts';
import { loadLatestCheckpoint, resumableRun, sweepOrphans } from '../../lib/storage/checkpoints.ts';
import { openRuns } from '../../lib/storage/run-locks.ts';
import { Trainer } from '../../lib/train/trainer.ts';
import { reload } from './load.ts';
import type { SessionCore } from './state.ts';
import { startLoop } from './train.ts';
import { trainingChunkBytes, weightsFromState } from './weights.ts';

/** Picks the backend, then offers the newest run left unfinished (and sweeps what no run can reach). */
export async function init(core: SessionCore, wasmPaths?: string | Record<string, string>, preferred?: BackendName, threads?: number): Promise<void> {
  const choice = await selectBackend({ order: core.deps.backends, wasmPaths, preferred, threads });
  const kernels = await runKernelSelfCheck(); // on WebGPU: a kernel that fails it runs as tfjs ops
  const isolated = globalThis.crossOriginIsolated === true;
  core.emit({ type: 'backend', name: choice.name, notice: choice.notice, slowdown: choice.slowdown, threads: choice.threads, isolated, kernelNotice: kernels.notice });
  watchDeviceLoss((message) => onDeviceLost(core, message));
  const open = await openRuns(); // other tabs' runs: theirs to resume, and maybe mid-write
  await sweepOrphans(open);
  const r = await resumableRun(open);
  core.emit({ type: 'resumable', run: r ? { id: r.run.id, name: r.run.name, step: r.step, totalSteps: r.run.totalSteps } : null });
}

function onDeviceLost(core: SessionCore, message: string): void {
  const now = core.status;
  const lostWhile = now.status === 'device-lost' ? now.lostWhile : now.status;
  if (now.status === 'training') {
    now.stop.reason = 'lost';
    now.stop.ctl.abort();
  }
  const run = core.run.kind === 'run' ? core.run : null;
  const from = run && run.lastCheckpointStep >= 0 ? `from the checkpoint at step ${run.lastCheckpointStep}` : 'from the start';
  const what = !run
    ? 'Resume loads the model again on a new device.'
    : lostWhile === 'training' || lostWhile === 'paused'
      ? `Training is paused; resume continues ${from}.`
      : `Resume brings this run's weights back ${from}.`;
  core.setStatus({ status: 'device-lost', lostWhile }, `The GPU device was lost (${message}). ${what}`);
}

/**
 * A fresh WebGPU device, then what was there before: a run that was training (or paused)
 * rebuilt from its last checkpoint and trained on; a finished or cancelled run's weights
 * from its checkpoint; without a run, the model as loaded. A failure leaves the status
 * 'device-lost', so Resume tries again.
 */
export async function recoverDevice(core: SessionCore): Promise<void> {
  if (core.status.status !== 'device-lost') return;
  const { lostWhile } = core.status;
  const factory = tf.findBackendFactory('webgpu');
  if (factory) {
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', factory, 3);
  }
  await init(core);
  if (core.model.kind === 'none') return core.say('idle');
  const base = core.model.base;
  core.model = { kind: 'gone', base }; // its buffers went with the old device
  if (core.run.kind === 'none') return reload(core);
  const run = core.run;
  const ck = await loadLatestCheckpoint(run.id);
  // The run's own corpus and settings: the page may have prepared others while it was paused.
  const { corpus, config } = run.trainer;
  // A LoRA run's checkpoint holds its adapters alone: the base as loaded comes back, and they go beside it.
  const lora = run.trainer.model.adapters instanceof LoraAdapters ? run.trainer.model.adapters.config : null;
  if (ck && !ck.state.adapters) {
    const lm = CausalLM.fromWeights(base.family, base.config, weightsFromState(ck.state), { maxBufferBytes: trainingChunkBytes(base.family, base.config) });
    core.model = { kind: 'loaded', base, lm, trained: true };
  } else {
    await reload(core, { keepRun: true }); // no checkpoint yet, or adapters only: the model as loaded again
  }
  if (core.model.kind !== 'loaded') throw new Error('the model could not be brought back');
  core.model.trained = true;
  if (lora) attachLora(core.model.lm, lora, { seed: config.seed });
  const trainer = new Trainer(core.model.lm, corpus, config);
  if (ck) trainer.restore(ck.state);
  core.run = { ...run, trainer, lastCheckpointStep: ck?.state.step ?? -1 };
  if (lostWhile === 'done' || lostWhile === 'cancelled') return core.say(lostWhile);
  startLoop(core, core.run);
}
