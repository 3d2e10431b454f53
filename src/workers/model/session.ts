// What the model worker does, as a plain class so Node tests can drive it without a Worker:
// it answers ModelRequests with ModelEvents. It owns the model, the tokenizer, the corpus and
// the trainer; checkpoints go to IndexedDB every checkpointEvery steps, on pause and at the end.
// Training runs in the background of the message loop, so pause/cancel arrive mid-run.
import * as tf from '@tensorflow/tfjs';
import type { ModelEvent, ModelRequest, ShelfRun, TrainStatus } from '../../workers/model-protocol.ts';
import { selectBackend, watchDeviceLoss, type BackendName } from '../backend.ts';
import { Corpus, corpusAccounts, type CorpusAccount } from '../dataset/corpus.ts';
import { GPT2, defaultMaxBufferBytes, type GPT2Config } from '../model/gpt2.ts';
import { innerSize } from '../model/config.ts';
import { LOSS_PIECE_ROWS } from './loss.ts';
import { paramCount } from '../model/params.ts';
import { loadModelFromUrl, loadModelFromFileList, type ModelFiles } from '../model/load.ts';
import { exportBundle, exportSafetensors } from '../model/export.ts';
import { generate, DEFAULT_SAMPLE_OPTIONS, type SampleOptions } from '../generate/generate.ts';
import type { ModelCardInfo } from '../model/model-card.ts';
import { GPT2Tokenizer } from '../tokenizer/bpe.ts';
import { DatasetEncoder, type TokenizerPoolFactory } from '../tokenizer/dataset-encoder.ts';
import { unpack } from '../tokenizer/packed-ids.ts';
import { etaSeconds } from '../eta.ts';
import {
  KEEP_CHECKPOINTS,
  accountsBytes,
  checkpointBytes,
  deleteCheckpoint,
  deleteRun,
  getRun,
  listRuns,
  loadLatestCheckpoint,
  packAccounts,
  putRun,
  resumableRun,
  runOfCheckpoint,
  saveCheckpoint,
  sweepOrphans,
  unpackAccounts,
  updateRun,
} from '../storage/checkpoints.ts';
import { checkStorage, quotaMessage } from '../storage/quota.ts';
import { holdRun, openRuns, type RunHold } from '../storage/run-locks.ts';
import { resolveTrainConfig, type TrainConfig } from './config.ts';
import { Trainer, isVocabChunkKey, tableSlice, vocabChunksInOrder, type TrainerState } from './trainer.ts';

export interface SessionDeps {
  emit(e: ModelEvent, transfer?: Transferable[]): void;
  /** Loads a model folder by URL (default: loadModelFromUrl with Cache Storage). */
  loadUrl?: (url: string, onProgress: (file: string, loaded: number, total: number) => void) => Promise<ModelFiles>;
  /** Backends to try (default WebGPU, WebGL, WASM, cpu). */
  backends?: readonly BackendName[];
  /**
   * Makes a pool of tokenizer workers from the loaded model's tokenizer files, for 'prepare'.
   * Without one, or when it or a worker fails, the session tokenizes on its own thread.
   */
  createTokenizerPool?: TokenizerPoolFactory;
}

/** 'prepare-progress' events at most this often: more would only flood the page. */
const PROGRESS_EVERY_MS = 100;

/**
 * The largest tensor the model may hold: the device's limit, and no more than LOSS_PIECE_ROWS
 * embedding rows, so each vocabulary chunk is one piece of the chunked loss (its [B*T, rows]
 * logits stay small) and AdamW's per-parameter temporaries stay chunk-sized; but never less
 * than the MLP's [C, 4C] weight, the largest tensor a model cannot split (gpt2-xl's is 41 MB).
 */
export function trainingChunkBytes(config: GPT2Config): number {
  const C = config.n_embd;
  return Math.min(defaultMaxBufferBytes(), Math.max(LOSS_PIECE_ROWS * C, C * innerSize(config)) * 4);
}

/** HF-named weights from a training state (vocabulary chunks joined back into wte). */
export function weightsFromState(state: TrainerState): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  const chunks = vocabChunksInOrder(state.params);
  const C = chunks[0].shape[1];
  const wte = tableSlice(chunks, 'data', 0, chunks.reduce((n, c) => n + c.data.length, 0));
  out.set('wte.weight', { shape: [wte.length / C, C], data: wte });
  for (const p of state.params) if (!isVocabChunkKey(p.key)) out.set(p.key, { shape: p.shape, data: p.data });
  return out;
}

export class TrainingSession {
  private files: Omit<ModelFiles, 'weights'> | null = null;
  private model: GPT2 | null = null;
  private tok: GPT2Tokenizer | null = null;
  /** Tokenizes for 'prepare'; one per loaded model, its workers started on first use. */
  private encoder: DatasetEncoder | null = null;
  /** The prepare in flight, aborted by a newer one. */
  private preparing: AbortController | null = null;
  private modelUrl = '';
  /** The files the model was picked from (null: it came from modelUrl), to read them again. */
  private picked: File[] | null = null;
  /**
   * The model's weights are no longer the ones loaded: a run trained them, or restored a
   * checkpoint into them. A new run starts from the loaded weights, so start() reloads them.
   */
  private trained = false;
  private accounts: CorpusAccount[] = [];
  private config: TrainConfig | null = null;
  private corpus: Corpus | null = null;
  private trainer: Trainer | null = null;
  private runId: string | null = null;
  private status: TrainStatus = 'idle';
  private stop: { ctl: AbortController; reason: 'pause' | 'cancel' | 'lost' | null } | null = null;
  private loop: Promise<void> | null = null;
  private lastCheckpointStep = -1;
  private deviceLost = false;
  /** The lock on runId (run-locks.ts): another tab neither resumes, deletes nor sweeps the run. */
  private hold: RunHold | null = null;
  /** The lock this session let go of last, until the browser has released it (the shelf waits). */
  private releasing: Promise<void> = Promise.resolve();
  /** The status when the device was lost: what recovering it brings back. */
  private lostWhile: TrainStatus = 'idle';
  private samplers = new Map<number, AbortController>();

  constructor(private readonly deps: SessionDeps) {}

  /** Resolves when the training loop in the background (if any) has stopped. */
  async idle(): Promise<void> {
    await this.loop;
  }

  /** Stops a prepare that is tokenizing (a newer one is on its way); it replies nothing. */
  abortPrepare(): void {
    this.preparing?.abort();
  }

  /**
   * Stops a prepare in flight and the tokenizer workers, the only threads the session starts:
   * on loading another model, and in tests (the model worker's nested workers end with it).
   */
  dispose(): void {
    this.abortPrepare();
    this.encoder?.terminate();
  }

  async handle(req: ModelRequest): Promise<void> {
    try {
      await this.dispatch(req);
    } catch (e) {
      this.deps.emit({ type: 'error', during: req.type, message: await quotaMessage(e) });
    }
  }

  private emit(e: ModelEvent, transfer?: Transferable[]): void {
    this.deps.emit(e, transfer);
  }

  private setStatus(status: TrainStatus, message?: string): void {
    this.status = status;
    this.emit({ type: 'status', status, message, runId: this.runId ?? undefined });
  }

  private async dispatch(req: ModelRequest): Promise<void> {
    switch (req.type) {
      case 'init':
        return this.init(req.wasmPaths, req.backend);
      case 'load':
        return this.load(req.source.kind === 'url' ? req.source.url : null, req.source.kind === 'files' ? req.source.files : null);
      case 'prepare':
        return this.prepare(req.accounts, req.settings);
      case 'start':
        return this.start(req.name);
      case 'pause':
        if (this.stop && this.status === 'training') {
          this.stop.reason ??= 'pause';
          this.stop.ctl.abort();
        }
        return;
      case 'cancel':
        if (this.stop && this.status === 'training') {
          this.stop.reason = 'cancel';
          this.stop.ctl.abort();
        } else if (this.runId && this.status === 'paused') {
          await updateRun(this.runId, { status: 'cancelled' });
          this.setStatus('cancelled');
        }
        return;
      case 'resume':
        return this.resume();
      case 'resume-run':
        return this.resumeRun(req.runId);
      case 'sample':
        return this.sample(req.id, req.prompt, req.options ?? {});
      case 'stop-sample':
        this.samplers.get(req.id)?.abort();
        return;
      case 'export':
        return this.exportModel(req.kind, req.card);
      case 'shelf':
        this.emit({ type: 'shelf', runs: await this.shelf() });
        return;
      case 'delete-run':
        await this.refuseIfOpenElsewhere(req.runId, 'run');
        // A paused run resumes into its own records: deleted under it, its next checkpoints would be
        // written for a run the shelf no longer lists, gigabytes nobody could see or delete.
        if (req.runId === this.runId && (this.status === 'training' || this.status === 'paused' || this.status === 'device-lost')) {
          throw new Error('cancel this run before deleting it');
        }
        await deleteRun(req.runId);
        this.emit({ type: 'shelf', runs: await this.shelf() });
        return;
      case 'delete-checkpoint':
        // The other tab may resume from it, or be writing the next one and pruning this one.
        await this.refuseIfOpenElsewhere(runOfCheckpoint(req.id), 'checkpoint');
        await deleteCheckpoint(req.id);
        this.emit({ type: 'shelf', runs: await this.shelf() });
        return;
    }
  }

  /** The runs some tab holds, once the browser has let go of the one this tab gave up last. */
  private async openRuns(): Promise<Set<string>> {
    await this.releasing;
    return openRuns();
  }

  /** The saved runs, each marked when another tab has it open. */
  private async shelf(): Promise<ShelfRun[]> {
    const [runs, open] = await Promise.all([listRuns(), this.openRuns()]);
    return runs.map((r) => ({ ...r, openElsewhere: r.run.id !== this.runId && open.has(r.run.id) }));
  }

  private async refuseIfOpenElsewhere(runId: string, what: 'run' | 'checkpoint'): Promise<void> {
    if (runId !== this.runId && (await this.openRuns()).has(runId)) {
      throw new Error(`this ${what === 'run' ? 'run' : "run's checkpoint"} is open in another tab: delete it there, or close that tab first`);
    }
  }

  private async init(wasmPaths?: string | Record<string, string>, preferred?: BackendName): Promise<void> {
    const choice = await selectBackend({ order: this.deps.backends, wasmPaths, preferred });
    this.emit({ type: 'backend', name: choice.name, notice: choice.notice, slowdown: choice.slowdown });
    watchDeviceLoss((message) => this.onDeviceLost(message));
    const open = await openRuns(); // other tabs' runs: theirs to resume, and maybe mid-write
    await sweepOrphans(open);
    const r = await resumableRun(open);
    this.emit({ type: 'resumable', run: r ? { id: r.run.id, name: r.run.name, step: r.step, totalSteps: r.run.totalSteps } : null });
  }

  /**
   * Loads a base model. A run in hand is the previous weights' (its trainer trains them): it is
   * dropped once the new model is in, unless `keepRun` (rebuilding after a lost device).
   */
  private async load(url: string | null, picked: File[] | null, { keepRun = false } = {}): Promise<void> {
    if (this.status === 'training') throw new Error('pause training before loading another model');
    const before = this.status;
    this.setStatus('loading');
    try {
      // Each file's rate is measured from its first report on: when the bytes before it began is unknown.
      const first = new Map<string, { at: number; loaded: number }>();
      const onProgress = (file: string, loaded: number, total: number) => {
        const now = performance.now();
        if (!first.has(file)) first.set(file, { at: now, loaded });
        const f = first.get(file)!;
        this.emit({ type: 'load-progress', file, loaded, total, etaSec: etaSeconds(loaded - f.loaded, total - f.loaded, now - f.at) });
      };
      const files = url
        ? await (this.deps.loadUrl ?? ((u, p) => loadModelFromUrl(u, { onProgress: (e) => p(e.file, e.loaded, e.total) })))(url, onProgress)
        : await loadModelFromFileList(picked ?? []);
      this.useFiles(files, url ?? 'files:' + (picked ?? []).map((f) => f.name).join(','));
      this.picked = url ? null : picked;
      if (!keepRun) this.forgetRun();
    } catch (e) {
      // The model in use, if any, is still the one loaded before: generating and exporting
      // from it go on as before the attempt.
      this.setStatus(before);
      throw e;
    }
    this.setStatus('ready');
  }

  /** The model as loaded, read again: from its URL (Cache Storage), or from the files it was picked from. */
  private reload(opts: { keepRun?: boolean } = {}): Promise<void> {
    return this.picked ? this.load(null, this.picked, opts) : this.load(this.modelUrl, null, opts);
  }

  /**
   * Installs a loaded model (tests call this directly with files read from disk). Nothing of the
   * previous model is let go until the new one is on the device, so a failure leaves it in use;
   * for that moment both are on the device.
   */
  useFiles(files: ModelFiles, url: string): void {
    const tok = GPT2Tokenizer.fromFiles(files.vocabJson, files.mergesTxt);
    // The pool's workers start and warm up (warm-up.ts) while the weights go to the device: the
    // page's Start loads the model and tokenizes straight after.
    const encoder = new DatasetEncoder(tok, this.deps.createTokenizerPool);
    encoder.start();
    let model: GPT2;
    try {
      model = GPT2.fromWeights(files.config, files.weights, { maxBufferBytes: trainingChunkBytes(files.config) });
    } catch (e) {
      encoder.terminate();
      throw e;
    }
    this.dispose(); // a prepare in flight and the tokenizer workers were the old model's
    this.stopSamplers('another model was loaded'); // they sample from the model about to go
    this.model?.dispose();
    this.tok = tok;
    this.encoder = encoder;
    this.model = model;
    const { weights: _dropped, ...rest } = files; // the weights now live on the device; let the JS copy go
    this.files = rest;
    this.modelUrl = url;
    this.trained = false;
    const c = files.config;
    this.emit({ type: 'loaded', params: paramCount(c), nLayer: c.n_layer, nEmbd: c.n_embd, vocabSize: c.vocab_size, nPositions: c.n_positions, source: url });
  }

  /** Lets go of the run in hand: its optimizer state on the device, and its id. */
  private forgetRun(): void {
    this.trainer?.dispose();
    this.trainer = null;
    this.setHold(null);
    this.runId = null;
    this.lastCheckpointStep = -1;
  }

  /** Lets go of the run lock held, if another, and keeps `hold`. */
  private setHold(hold: RunHold | null): void {
    if (this.hold && this.hold !== hold) this.releasing = this.hold();
    this.hold = hold;
  }

  /** Ends every sampling in flight; the page is told why with each one's sample-end. */
  private stopSamplers(why: string): void {
    for (const s of this.samplers.values()) s.abort(why);
  }

  /** The model lives on the GPU device: once it is lost, nothing can use the model until Resume brings it back. */
  private needDevice(): void {
    if (this.deviceLost) throw new Error('the GPU device was lost: press Resume in step 3 to bring the model back first');
  }

  private need<T>(v: T | null, what: string): T {
    if (v === null) throw new Error(what);
    return v;
  }

  private async prepare(groups: { username: string; texts: string[] }[], settings: Partial<TrainConfig>): Promise<void> {
    if (this.status === 'training') throw new Error('pause or cancel training before changing its data or settings');
    const model = this.need(this.model, 'load a model before preparing the corpus');
    const tok = this.tok!;
    const config = resolveTrainConfig(settings, model.config.n_positions);
    this.preparing?.abort(); // only the newest prepare counts
    const ctl = new AbortController();
    this.preparing = ctl;
    try {
      const t0 = performance.now();
      let lastEmit = -Infinity;
      const { ids, workers } = await this.encoder!.encode(groups.flatMap((g) => g.texts), {
        signal: ctl.signal,
        onProgress: ({ texts, totalTexts, tokens }) => {
          const now = performance.now();
          if (texts < totalTexts && now - lastEmit < PROGRESS_EVERY_MS) return;
          lastEmit = now;
          this.emit({ type: 'prepare-progress', texts, totalTexts, tokens, etaSec: etaSeconds(texts, totalTexts, now - t0) });
        },
      });
      const perText = unpack(ids);
      const tokenized = { texts: perText.length, workers, ms: performance.now() - t0 };
      let first = 0;
      const accounts = corpusAccounts(groups, groups.map((g) => perText.slice(first, (first += g.texts.length))));
      const corpus = new Corpus(accounts, { ...config, eotId: tok.eotId });
      const ckBytes = checkpointBytes(paramCount(model.config));
      // The kept checkpoints, plus the one being written before the oldest is pruned, plus the corpus.
      const need = (KEEP_CHECKPOINTS + 1) * ckBytes + accountsBytes(packAccounts(accounts));
      const storage = await checkStorage(need);
      if (ctl.signal.aborted) return;
      this.accounts = accounts;
      this.config = config;
      this.corpus = corpus;
      this.emit({
        type: 'prepared',
        sizes: corpus.sizes,
        config,
        checkpointBytes: ckBytes,
        storage: { ok: storage.ok, message: storage.message, needBytes: need },
        tokenized,
      });
    } catch (e) {
      if (ctl.signal.aborted) return; // superseded: the newer prepare replies
      throw e;
    } finally {
      if (this.preparing === ctl) this.preparing = null;
    }
  }

  private async start(name: string): Promise<void> {
    if (this.status === 'training') throw new Error('training is already running');
    this.needDevice();
    this.need(this.model, 'load a model first');
    const corpus = this.need(this.corpus, 'prepare the corpus first');
    const config = this.config!;
    const need = (KEEP_CHECKPOINTS + 1) * checkpointBytes(paramCount(this.model!.config));
    const storage = await checkStorage(need);
    if (!storage.ok) throw new Error(storage.message);
    if (this.trained) {
      // A new run starts from the model as loaded, as its record and model card say, not from
      // the last run's weights: read them again (Cache Storage, or the picked files). The last
      // run stays in storage, resumable; its optimizer state goes first, to make room.
      this.forgetRun();
      this.setStatus('ready');
      await this.reload();
    }
    const model = this.model!;
    this.trainer = new Trainer(model, corpus, config);
    this.trained = true;
    this.runId = `run-${Date.now().toString(36)}-${Math.floor(Math.random() * 1e6).toString(36)}`;
    this.setHold(await holdRun(this.runId)); // a new id: free
    const stored = packAccounts(this.accounts);
    await putRun({
      id: this.runId,
      name,
      createdAt: Date.now(),
      updatedAt: Date.now(),
      status: 'training',
      modelUrl: this.modelUrl,
      modelConfig: { ...model.config },
      config,
      totalSteps: corpus.sizes.totalSteps,
      accounts: stored,
      corpusBytes: accountsBytes(stored),
    });
    this.lastCheckpointStep = -1;
    this.loop = this.trainLoop();
  }

  private async resume(): Promise<void> {
    if (this.status === 'training') return;
    this.stopSamplers('training resumed'); // training needs the weights
    if (this.deviceLost) return this.recoverDevice();
    const trainer = this.need(this.trainer, 'nothing to resume: start or resume a run first');
    if (trainer.done) throw new Error('this run is complete');
    await updateRun(this.runId!, { status: 'training' });
    this.loop = this.trainLoop();
  }

  /** After a reload: the run's base model, corpus and latest checkpoint, then training continues. */
  private async resumeRun(runId: string): Promise<void> {
    if (this.status === 'training') throw new Error('pause the current run first');
    const run = this.need((await getRun(runId)) ?? null, `no run ${runId} in this browser's storage`);
    const ck = this.need((await loadLatestCheckpoint(runId)) ?? null, `run "${run.name}" has no checkpoint to resume from`);
    await this.releasing; // the run may be the one this tab has just let go of
    const hold = runId === this.runId && this.hold ? this.hold : await holdRun(runId);
    if (!hold) throw new Error(`run "${run.name}" is open in another tab: continue it there, or close that tab first`);
    try {
      if (!this.model || this.modelUrl !== run.modelUrl) {
        if (run.modelUrl.startsWith('files:')) {
          if (!this.model) throw new Error(`run "${run.name}" was trained from picked files: pick the same model files again, then resume`);
        } else await this.load(run.modelUrl, null); // lets go of the run in hand, if any
      }
    } catch (e) {
      if (hold !== this.hold) this.releasing = hold();
      throw e;
    }
    this.setHold(hold);
    this.accounts = unpackAccounts(run.accounts);
    this.config = run.config;
    this.corpus = new Corpus(this.accounts, { ...run.config, eotId: this.tok!.eotId });
    this.trainer?.dispose();
    this.trainer = new Trainer(this.model!, this.corpus, run.config);
    this.trainer.restore(ck.state);
    this.trained = true;
    this.runId = runId;
    this.lastCheckpointStep = ck.state.step;
    this.emit({ type: 'history', losses: ck.state.losses, valLosses: ck.state.valLosses, totalSteps: this.trainer.totalSteps, step: ck.state.step });
    await updateRun(runId, { status: 'training' });
    this.loop = this.trainLoop();
  }

  private async checkpoint(): Promise<void> {
    const trainer = this.trainer!;
    if (trainer.step === this.lastCheckpointStep) return;
    const record = await saveCheckpoint(this.runId!, await trainer.snapshot());
    this.lastCheckpointStep = trainer.step;
    this.emit({ type: 'checkpoint', runId: this.runId!, step: record.step, bytes: record.bytes });
  }

  private async trainLoop(): Promise<void> {
    const trainer = this.trainer!;
    const epochs = trainer.config.epochs; // the run's, whatever was prepared since
    const stop = { ctl: new AbortController(), reason: null as 'pause' | 'cancel' | 'lost' | null };
    this.stop = stop;
    this.setStatus('training');
    const off = trainer.on((e) => {
      if (e.type === 'step') {
        const { numTensors, numBytes } = tf.memory();
        this.emit({ ...e, epochs, memory: { numTensors, numBytes } });
      } else this.emit(e);
    });
    try {
      await trainer.run({ signal: stop.ctl.signal, afterStep: () => this.checkpoint() });
      if (stop.reason === 'lost') return; // onDeviceLost has said so; the device cannot save anything now
      if (trainer.done) {
        await this.checkpoint();
        await updateRun(this.runId!, { status: 'done' });
        this.setStatus('done');
      } else if (stop.reason === 'cancel') {
        await updateRun(this.runId!, { status: 'cancelled' });
        this.setStatus('cancelled');
      } else {
        await this.checkpoint(); // pausing costs nothing on reload
        await updateRun(this.runId!, { status: 'paused' });
        this.setStatus('paused');
      }
    } catch (e) {
      if (stop.reason === 'lost') return;
      this.emit({ type: 'error', during: 'train', message: await quotaMessage(e) });
      this.setStatus('paused', 'training stopped on an error; resume continues from the last checkpoint');
    } finally {
      off();
      this.stop = null;
    }
  }

  private onDeviceLost(message: string): void {
    this.deviceLost = true;
    this.lostWhile = this.status;
    if (this.stop) {
      this.stop.reason = 'lost';
      this.stop.ctl.abort();
    }
    const from = this.lastCheckpointStep >= 0 ? `from the checkpoint at step ${this.lastCheckpointStep}` : 'from the start';
    const what = !this.runId
      ? 'Resume loads the model again on a new device.'
      : this.lostWhile === 'training' || this.lostWhile === 'paused'
        ? `Training is paused; resume continues ${from}.`
        : `Resume brings this run's weights back ${from}.`;
    this.setStatus('device-lost', `The GPU device was lost (${message}). ${what}`);
  }

  /**
   * A fresh WebGPU device, then what was there before: a run that was training (or paused)
   * rebuilt from its last checkpoint and trained on; a finished or cancelled run's weights
   * from its checkpoint; without a run, the model as loaded.
   */
  private async recoverDevice(): Promise<void> {
    const factory = tf.findBackendFactory('webgpu');
    if (factory) {
      tf.removeBackend('webgpu');
      tf.registerBackend('webgpu', factory, 3);
    }
    await this.init();
    this.deviceLost = false;
    this.model = null; // its buffers went with the old device
    if (!this.runId || !this.trainer) {
      if (!this.files) return this.setStatus('idle');
      try {
        await this.reload();
      } catch (e) {
        this.deviceLost = true; // Resume tries again
        throw e;
      }
      return;
    }
    const ck = await loadLatestCheckpoint(this.runId);
    const files = this.need(this.files, 'no model loaded');
    // The run's own corpus and settings: the page may have prepared others while it was paused.
    const { corpus, config } = this.trainer;
    if (ck) {
      this.model = GPT2.fromWeights(files.config, weightsFromState(ck.state), { maxBufferBytes: trainingChunkBytes(files.config) });
    } else {
      await this.reload({ keepRun: true }); // no checkpoint yet: the model as loaded again
    }
    this.trainer = new Trainer(this.model!, corpus, config);
    this.trained = true;
    if (ck) this.trainer.restore(ck.state);
    this.lastCheckpointStep = ck?.state.step ?? -1;
    if (this.lostWhile === 'done' || this.lostWhile === 'cancelled') return this.setStatus(this.lostWhile);
    this.loop = this.trainLoop();
  }

  private async sample(id: number, prompt: string, options: Partial<SampleOptions>): Promise<void> {
    if (this.status === 'training') throw new Error('pause training to sample from the current weights');
    this.needDevice();
    const model = this.need(this.model, 'load a model first');
    const ctl = new AbortController();
    this.samplers.set(id, ctl);
    // Not awaited: stop-sample and other messages must get through while it streams.
    void (async () => {
      try {
        for await (const e of generate(model, this.tok!, prompt, { ...DEFAULT_SAMPLE_OPTIONS, ...options }, ctl.signal)) {
          this.emit({ type: 'sample', id, sample: e.sample, text: e.text, done: e.done });
        }
      } catch (e) {
        if (!ctl.signal.aborted) this.emit({ type: 'error', during: 'sample', message: (e as Error).message });
      } finally {
        this.samplers.delete(id);
        const why: unknown = ctl.signal.reason;
        this.emit({ type: 'sample-end', id, stopped: typeof why === 'string' ? why : undefined });
      }
    })();
  }

  private async exportModel(kind: 'weights' | 'bundle', card?: ModelCardInfo): Promise<void> {
    if (this.status === 'training') throw new Error('pause training to export the current weights');
    this.needDevice();
    const model = this.need(this.model, 'load a model first');
    let bytes: Uint8Array;
    let filename: string;
    if (kind === 'weights') {
      bytes = await exportSafetensors(model);
      filename = 'model.safetensors';
    } else {
      if (!card) throw new Error('a bundle needs model card information');
      bytes = await exportBundle(model, this.files!, card);
      filename = `${card.modelName ?? 'tweetforge-model'}.zip`;
    }
    this.emit({ type: 'exported', kind, bytes, filename }, [bytes.buffer as ArrayBuffer]);
  }
}
