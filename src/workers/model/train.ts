// Runs: starting one on the prepared corpus, pausing, cancelling, resuming it (in this tab or
// after a reload), and the training loop in the background that checkpoints every
// checkpointEvery steps, on pause and at the end.
import * as tf from '@tensorflow/tfjs';
import { Corpus } from '../../lib/dataset/corpus.ts';
import {
  KEEP_CHECKPOINTS,
  accountsBytes,
  checkpointBytes,
  getRun,
  loadLatestCheckpoint,
  packAccounts,
  putRun,
  saveCheckpoint,
  unpackAccounts,
  updateRun,
} from '../../lib/storage/checkpoints.ts';
import { storedCardTable, type StoredCardTable } from '../../lib/storage/db.ts';
import { checkStorage, quotaMessage } from '../../lib/storage/quota.ts';
import { holdRun } from '../../lib/storage/run-locks.ts';
import { TRAIN_DEFAULTS, type TrainConfig } from '../../lib/train/config.ts';
import { Trainer } from '../../lib/train/trainer.ts';
import { attachLora, detachLora } from '../../lib/lora/adapters.ts';
import { loraConfigFromRecord, type LoraConfig } from '../../lib/lora/config.ts';
import type { CausalLM } from '../../lib/model/causal-lm.ts';
import type { Corpus as CorpusT } from '../../lib/dataset/corpus.ts';
import { loadModel, reload, sourceName } from './load.ts';
import type { Run, SessionCore, StopSignal } from './state.ts';
import { runLoraConfig, trainedCountOf } from './weights.ts';

/**
 * A trainer for `lm`, with `lora`'s adapters attached first (the trainer takes the model's
 * trainable parameters as it is made); on failure the model is left without adapters.
 */
function trainerFor(lm: CausalLM, lora: LoraConfig | null, corpus: CorpusT, config: TrainConfig): Trainer {
  if (lora) attachLora(lm, lora, { seed: config.seed });
  try {
    return new Trainer(lm, corpus, config);
  } catch (e) {
    if (lora) detachLora(lm);
    throw e;
  }
}

export async function start(core: SessionCore, name: string, card: StoredCardTable | null): Promise<void> {
  if (core.training) throw new Error('training is already running');
  let model = core.loaded();
  if (!core.prepared) throw new Error('prepare the corpus first');
  const { accounts, corpus, config } = core.prepared;
  const lora = runLoraConfig(model.base.family, config);
  const storage = await checkStorage((KEEP_CHECKPOINTS + 1) * checkpointBytes(trainedCountOf(model.base.family, model.base.config, lora)));
  if (!storage.ok) throw new Error(storage.message);
  if (model.trained) {
    // A new run starts from the model as loaded, as its record and model card say, not from
    // the last run's weights: read them again (Cache Storage, or the picked files). The last
    // run stays in storage, resumable; its optimizer state goes first, to make room.
    core.forgetRun();
    core.say('ready');
    await reload(core);
    model = core.loaded();
  }
  core.forgetRun();
  const id = `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
  const hold = await holdRun(id);
  if (!hold) throw new Error(`run ${id} is already open`); // a new id: never, short of a clash
  let trainer: Trainer;
  try {
    trainer = trainerFor(model.lm, lora, corpus, config);
  } catch (e) {
    core.release(hold);
    throw e;
  }
  model.trained = true;
  core.run = { kind: 'run', id, trainer, hold, lastCheckpointStep: -1 };
  const stored = packAccounts(accounts);
  await putRun({
    id,
    name,
    createdAt: Date.now(),
    updatedAt: Date.now(),
    status: 'training',
    modelUrl: sourceName(model.base.origin),
    modelConfig: { ...(model.base.config as Record<string, unknown>) },
    config,
    totalSteps: corpus.sizes.totalSteps,
    accounts: stored,
    corpusBytes: accountsBytes(stored),
    card: card && storedCardTable(card),
  });
  startLoop(core, core.run);
}

export function pause(core: SessionCore): void {
  if (core.status.status !== 'training') return;
  core.status.stop.reason ??= 'pause';
  core.status.stop.ctl.abort();
}

export async function cancel(core: SessionCore): Promise<void> {
  if (core.status.status === 'training') {
    core.status.stop.reason = 'cancel';
    core.status.stop.ctl.abort();
  } else if (core.run.kind === 'run' && core.status.status === 'paused') {
    await updateRun(core.run.id, { status: 'cancelled' });
    core.say('cancelled');
  }
}

/** Continues the run in hand (a lost device is the caller's to recover first). */
export async function resume(core: SessionCore): Promise<void> {
  if (core.run.kind === 'none') throw new Error('nothing to resume: start or resume a run first');
  if (core.run.trainer.done) throw new Error('this run is complete');
  await updateRun(core.run.id, { status: 'training' });
  startLoop(core, core.run);
}

/** After a reload: the run's base model, corpus and latest checkpoint, then training continues. */
export async function resumeRun(core: SessionCore, runId: string): Promise<void> {
  if (core.training) throw new Error('pause the current run first');
  const record = await getRun(runId);
  if (!record) throw new Error(`no run ${runId} in this browser's storage`);
  const ck = await loadLatestCheckpoint(runId);
  if (!ck) throw new Error(`run "${record.name}" has no checkpoint to resume from`);
  await core.releasing; // the run may be the one this tab has just let go of
  const inHand = core.run.kind === 'run' && core.run.id === runId ? core.run.hold : null;
  const hold = inHand ?? (await holdRun(runId));
  if (!hold) throw new Error(`run "${record.name}" is open in another tab: continue it there, or close that tab first`);
  let model: ReturnType<SessionCore['loaded']>;
  try {
    const current = core.model.kind === 'loaded' ? sourceName(core.model.base.origin) : null;
    if (current !== record.modelUrl) {
      if (record.modelUrl.startsWith('files:')) {
        if (current === null) throw new Error(`run "${record.name}" was trained from picked files: pick the same model files again, then resume`);
      } else await loadModel(core, { kind: 'url', url: record.modelUrl }); // lets go of the run in hand, if any
    }
    // Adapters train beside the base as loaded: weights another run trained (or its adapters) must go first.
    // The run in hand, if any, is let go of below (its lock kept when it is this run's).
    if (ck.state.adapters && core.loaded().trained) await reload(core, { keepRun: true });
    model = core.loaded();
  } catch (e) {
    if (hold !== inHand) core.release(hold);
    throw e;
  }
  if (core.run.kind === 'run') {
    core.run.trainer.dispose();
    if (core.run.hold !== hold) core.release(core.run.hold);
    core.run = { kind: 'none' };
  }
  const accounts = unpackAccounts(record.accounts);
  // The checkpoint says whether the run trains adapters, and which (runs stored before LoRA have no such settings).
  const lora = ck.state.adapters ? loraConfigFromRecord(ck.state.adapters) : null;
  const config: TrainConfig = { ...record.config, lora: lora !== null, loraRank: lora?.r ?? TRAIN_DEFAULTS.loraRank, loraAlpha: lora?.alpha ?? TRAIN_DEFAULTS.loraAlpha };
  const corpus = new Corpus(accounts, { ...config, eotId: model.base.tok.eotId });
  core.prepared = { accounts, config, corpus };
  if (model.lm.adapters) detachLora(model.lm); // the previous run's, whose trainer is gone
  let trainer: Trainer | null = null;
  try {
    trainer = trainerFor(model.lm, lora, corpus, config);
    trainer.restore(ck.state);
  } catch (e) {
    trainer?.dispose();
    if (trainer && lora) detachLora(model.lm);
    core.release(hold);
    throw e;
  }
  model.trained = true;
  core.run = { kind: 'run', id: runId, trainer, hold, lastCheckpointStep: ck.state.step };
  core.emit({ type: 'history', losses: ck.state.losses, valLosses: ck.state.valLosses, totalSteps: trainer.totalSteps, step: ck.state.step });
  await updateRun(runId, { status: 'training' });
  startLoop(core, core.run);
}

/** Trains `run` in the background of the message loop, so pause and cancel arrive mid-run. */
export function startLoop(core: SessionCore, run: Run): void {
  core.loop = trainLoop(core, run);
}

async function checkpoint(core: SessionCore, run: Run): Promise<void> {
  if (run.trainer.step === run.lastCheckpointStep) return;
  const record = await saveCheckpoint(run.id, await run.trainer.snapshot());
  run.lastCheckpointStep = run.trainer.step;
  core.emit({ type: 'checkpoint', runId: run.id, step: record.step, bytes: record.bytes });
}

async function trainLoop(core: SessionCore, run: Run): Promise<void> {
  const { trainer } = run;
  const epochs = trainer.config.epochs; // the run's, whatever was prepared since
  const stop: StopSignal = { ctl: new AbortController(), reason: null };
  core.setStatus({ status: 'training', stop });
  const off = trainer.on((e) => {
    if (e.type === 'step') {
      const { numTensors, numBytes } = tf.memory();
      core.emit({ ...e, epochs, memory: { numTensors, numBytes } });
    } else core.emit(e);
  });
  try {
    // The request that started the loop replies first: the first step can hold this thread for
    // seconds (its shaders compile), and the page waits for that reply to show the run's settings.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await trainer.run({ signal: stop.ctl.signal, afterStep: () => checkpoint(core, run) });
    if (stop.reason === 'lost') return; // the device loss has been said; the device cannot save anything now
    if (trainer.done) {
      await checkpoint(core, run);
      await updateRun(run.id, { status: 'done' });
      core.say('done');
    } else if (stop.reason === 'cancel') {
      await updateRun(run.id, { status: 'cancelled' });
      core.say('cancelled');
    } else {
      await checkpoint(core, run); // pausing costs nothing on reload
      await updateRun(run.id, { status: 'paused' });
      core.say('paused');
    }
  } catch (e) {
    if (stop.reason === 'lost') return;
    core.emit({ type: 'error', during: 'train', message: await quotaMessage(e) });
    core.say('paused', 'training stopped on an error; resume continues from the last checkpoint');
  } finally {
    off();
  }
}
