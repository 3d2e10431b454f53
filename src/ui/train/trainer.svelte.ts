// Owns the model worker (tfjs, the GPU, training, checkpoints, sampling, export) and exposes
// what it reports as runes; components read state and call methods. One instance serves the
// train, generate and export steps: they share the model on the device.
import type { TrainConfig } from '../../lib/train/config.ts';
import type { SampleOptions } from '../../lib/generate/generate.ts';
import type { ModelCardInfo } from '../../lib/model/model-card.ts';
import type { StoredCardTable } from '../../lib/storage/db.ts';
import type {
  MemoryInfo,
  ModelCommand,
  ModelEvent,
  ModelOutMessage,
  ModelReply,
  ModelRequestType,
  ModelResult,
  PreparedInfo,
  ShelfRun,
  TrainStatus,
} from '../../workers/model/protocol.ts';
import type { BackendName } from '../../lib/backend-names.ts';
import { modelUrlProblem } from '../../lib/model/model-url.ts';

/** A worker event's fields without its type tag: what the client's state keeps of it. */
type EventFields<T extends ModelEvent['type']> = Omit<Extract<ModelEvent, { type: T }>, 'type'>;

/** What the progress line shows: the worker's step event, less what is kept apart (memory) or not shown. */
export type StepInfo = Omit<EventFields<'step'>, 'memory' | 'gradNorm'>;

/** The corpus' sizes and the settings, as 'prepare' replied them. */
export type Prepared = PreparedInfo;

/** How far 'prepare' has got tokenizing the kept tweets. */
export type PrepareProgress = EventFields<'prepare-progress'>;

/** A request whose caller awaits its reply. */
type Pending = { resolve: (result: unknown) => void; reject: (err: Error) => void };

export class ModelWorkerClient {
  backend = $state.raw<EventFields<'backend'> | null>(null);
  status = $state.raw<TrainStatus>('idle');
  statusMessage = $state.raw<string | null>(null);
  loadProgress = $state.raw<EventFields<'load-progress'> | null>(null);
  /** The last load's memory line (load-progress's note): what the model needs against the device. */
  loadNote = $state.raw<string | null>(null);
  model = $state.raw<EventFields<'loaded'> | null>(null);
  prepared = $state.raw<Prepared | null>(null);
  /** Set while a prepare tokenizes; null once it has replied. */
  prepareProgress = $state.raw<PrepareProgress | null>(null);
  progress = $state.raw<StepInfo | null>(null);
  losses = $state.raw<{ step: number; loss: number }[]>([]);
  valLosses = $state.raw<{ step: number; epoch: number; loss: number }[]>([]);
  memory = $state.raw<MemoryInfo | null>(null);
  lastCheckpoint = $state.raw<{ step: number; bytes: number } | null>(null);
  runId = $state.raw<string | null>(null);
  resumable = $state.raw<{ id: string; name: string; step: number; totalSteps: number } | null>(null);
  /** The worker has looked for an unfinished run (resumable then says what it found). */
  resumableChecked = $state.raw(false);
  shelf = $state.raw<ShelfRun[]>([]);
  /** Sample texts of the latest sample request, by sample index. */
  samples = $state.raw<string[]>([]);
  sampling = $state.raw(false);
  /** Why the latest samples ended before they were finished ('stopped', 'training resumed'); null otherwise. */
  samplesStopped = $state.raw<string | null>(null);
  /** The step that asked for the samples held now, so each step shows only its own. */
  samplesFor = $state.raw<'train' | 'generate'>('train');
  errors = $state.raw<string[]>([]);
  /** The last refused or failed sample request, shown by the step that asked (train or generate). */
  sampleError = $state.raw<{ from: 'train' | 'generate'; message: string } | null>(null);

  #worker: Worker;
  #lastId = 0;
  /** Requests awaited by their caller, by id: a reply goes to its own request only. */
  #pending = new Map<number, Pending>();
  /** The id of the latest 'prepare' (an older one's failure leaves the progress shown) and 'sample'. */
  #prepareId = -1;
  #sampleId = -1;
  /** Samples of the latest request that have started and not finished. */
  #unfinished = new Set<number>();
  /** Set when this page stopped the latest request (the worker only says it ended). */
  #stopReason: string | null = null;

  /** `backend`: the page's ?backend= (webgpu, webgl, wasm or cpu), tried first. */
  constructor(opts: { backend?: BackendName; threads?: number } = {}) {
    this.#worker = new Worker(new URL('../../workers/model/model.worker.ts', import.meta.url), { type: 'module', name: 'model' });
    this.#worker.onmessage = (ev: MessageEvent<ModelOutMessage>) => (ev.data.type === 'reply' ? this.#reply(ev.data) : this.#receive(ev.data));
    this.#worker.onerror = (ev) => {
      const message = ev.message || 'the model worker stopped';
      this.errors = [...this.errors, message];
      for (const p of this.#pending.values()) p.reject(new Error(message));
      this.#pending.clear();
    };
    this.#send({ type: 'init', backend: opts.backend, threads: opts.threads });
  }

  /** Sends a request nobody awaits (its failure is listed in `errors`); returns its id. */
  #send(cmd: ModelCommand): number {
    const id = ++this.#lastId;
    this.#worker.postMessage({ ...cmd, id });
    return id;
  }

  /** Sends a request and resolves with its reply's result, or rejects with its error. */
  #call<C extends ModelCommand>(cmd: C, onSent?: (id: number) => void): Promise<ModelResult<C['type']>> {
    return new Promise((resolve, reject) => {
      const id = this.#send(cmd);
      this.#pending.set(id, { resolve: resolve as (r: unknown) => void, reject });
      onSent?.(id);
    });
  }

  #reply(r: ModelReply): void {
    const pending = this.#pending.get(r.id);
    this.#pending.delete(r.id);
    if (r.ok) return pending?.resolve(r.result);
    if (r.request === 'prepare' && r.id === this.#prepareId) this.prepareProgress = null;
    // A request that someone awaits (load, prepare, start, export...) rejects with it there, and
    // is shown where it was asked for; a refused sample is shown by the step that asked.
    if (pending) return pending.reject(new Error(r.error));
    this.#failed(r.request, r.id, r.error);
  }

  /** A failure nobody awaits: a sample's is shown by the step that asked, the others are listed. */
  #failed(during: ModelRequestType | 'train', id: number | null, message: string): void {
    if (during === 'sample') {
      if (id !== this.#sampleId) return; // an older request's: its samples are gone from the page
      this.sampleError = { from: this.samplesFor, message };
      this.sampling = false;
      if (this.samplesFor === 'generate') return;
    }
    this.errors = [...this.errors, message];
  }

  #receive(e: ModelEvent): void {
    switch (e.type) {
      case 'backend':
        this.backend = fields(e);
        break;
      case 'load-progress':
        this.loadProgress = fields(e);
        if (e.note) this.loadNote = e.note;
        break;
      case 'loaded':
        this.model = fields(e);
        this.loadProgress = null;
        break;
      case 'prepare-progress':
        this.prepareProgress = fields(e);
        break;
      case 'status':
        if (e.status !== 'training') this.stopping = null;
        this.status = e.status;
        this.statusMessage = e.message ?? null;
        this.runId = e.runId ?? null; // the session's run, or none (a new base model drops it)
        if (e.status === 'training') this.resumable = null;
        break;
      case 'step': {
        const { memory, ...progress } = fields(e);
        this.progress = progress;
        this.losses = [...this.losses, { step: e.step, loss: e.loss }];
        this.memory = memory;
        break;
      }
      case 'eval':
        this.valLosses = [...this.valLosses, { step: e.step, epoch: e.epoch, loss: e.valLoss }];
        break;
      case 'checkpoint':
        this.lastCheckpoint = { step: e.step, bytes: e.bytes };
        this.runId = e.runId;
        break;
      case 'history':
        this.losses = e.losses;
        this.valLosses = e.valLosses;
        this.progress = this.progress ?? { step: e.step, totalSteps: e.totalSteps, epoch: 0, epochs: 0, loss: e.losses.at(-1)?.loss ?? NaN, lr: 0, tokensPerSec: 0, etaSec: 0 };
        break;
      case 'resumable':
        this.resumable = e.run;
        this.resumableChecked = true;
        break;
      case 'shelf':
        this.shelf = e.runs;
        break;
      case 'sample':
        if (e.id === this.#sampleId) {
          const next = this.samples.slice();
          next[e.sample] = (next[e.sample] ?? '') + e.text;
          this.samples = next;
          if (e.done) this.#unfinished.delete(e.sample);
          else this.#unfinished.add(e.sample);
        }
        break;
      case 'sample-end': {
        if (e.id !== this.#sampleId) break;
        this.sampling = false;
        const why = e.stopped ?? this.#stopReason; // the worker's own reason, or this page's Stop
        if (why && (this.samples.length === 0 || this.#unfinished.size > 0)) this.samplesStopped = why;
        break;
      }
      case 'error':
        this.#failed(e.during, e.during === 'sample' ? e.id : null, e.message);
        break;
    }
  }

  dismissErrors(): void {
    this.errors = [];
  }

  /** Loads the base model folder (Cache Storage makes the second visit instant). */
  /** A saved run's record as the shelf last listed it (its settings, its base model), or null. */
  savedRun(id: string | null): ShelfRun['run'] | null {
    return id ? (this.shelf.find((r) => r.run.id === id)?.run ?? null) : null;
  }

  async load(url: string): Promise<void> {
    const page = globalThis.location?.origin; // none where tests drive the client in Node
    const problem = page ? modelUrlProblem(url, page) : null;
    if (problem) throw new Error(problem);
    this.#forgetRun();
    this.loadNote = null;
    await this.#call({ type: 'load', source: { kind: 'url', url } });
  }

  async loadFiles(files: File[]): Promise<void> {
    this.#forgetRun();
    this.loadNote = null;
    await this.#call({ type: 'load', source: { kind: 'files', files } });
  }

  /** Tokenizes the kept tweets and sizes the corpus with these settings. */
  async prepare(accounts: { username: string; texts: string[] }[], settings: Partial<TrainConfig>): Promise<Prepared> {
    const prepared = await this.#call({ type: 'prepare', accounts, settings }, (id) => (this.#prepareId = id));
    this.prepared = prepared;
    this.prepareProgress = null;
    return prepared;
  }

  /**
   * The weights about to be loaded are not the last run's: drop its steps, losses and id, so
   * an export's model card does not claim that run's training for them.
   */
  #forgetRun(): void {
    this.losses = [];
    this.valLosses = [];
    this.progress = null;
    this.lastCheckpoint = null;
    this.runId = null;
  }

  /** Starts a run; `card`: the data table its model card will tell, kept with the run (and deleted with it). */
  async start(name: string, card: StoredCardTable | null = null): Promise<void> {
    this.#forgetRun();
    await this.#call({ type: 'start', name, card });
  }

  /**
   * Asked to pause or cancel while training, until the worker says it has stopped: the step in
   * flight ends first (about 30 s on WASM), and a pause then writes a checkpoint (1 GB for distilgpt2).
   */
  stopping = $state.raw<'pause' | 'cancel' | null>(null);

  pause(): void {
    if (this.status === 'training' && this.stopping === null) this.stopping = 'pause';
    this.#send({ type: 'pause' });
  }
  resume(): void {
    this.#send({ type: 'resume' }); // the worker stops sampling to train, and says so
  }
  cancel(): void {
    if (this.status === 'training') this.stopping = 'cancel'; // the worker's cancel wins over a pause
    this.#send({ type: 'cancel' });
  }

  /** Continues a run found in storage after a reload. */
  async resumeRun(runId: string): Promise<void> {
    await this.#call({ type: 'resume-run', runId });
  }

  /** Streams samples from the current weights into `samples` (training must be paused). */
  sample(prompt: string, options: Partial<SampleOptions> = {}, from: 'train' | 'generate' = 'train'): void {
    if (this.sampling) this.#send({ type: 'stop-sample', sample: this.#sampleId });
    this.samples = [];
    this.samplesFor = from;
    this.sampleError = null;
    this.samplesStopped = null;
    this.#unfinished.clear();
    this.#stopReason = null;
    this.sampling = true;
    this.#sampleId = this.#send({ type: 'sample', prompt, options });
  }

  stopSample(): void {
    if (this.sampling) this.#stopReason = 'stopped';
    this.#send({ type: 'stop-sample', sample: this.#sampleId });
  }

  /** The current weights as model.safetensors, or a zip bundle with config, tokenizer and card. */
  async export(kind: 'weights' | 'bundle', card?: ModelCardInfo): Promise<{ bytes: Uint8Array; filename: string }> {
    const { bytes, filename } = await this.#call({ type: 'export', kind, card });
    return { bytes, filename };
  }

  refreshShelf(): void {
    this.#send({ type: 'shelf' });
  }
  deleteRun(runId: string): void {
    this.#send({ type: 'delete-run', runId });
  }
  deleteCheckpoint(id: string): void {
    this.#send({ type: 'delete-checkpoint', checkpointId: id });
  }

  dispose(): void {
    this.#worker.terminate();
  }
}

/** An event's fields without its type tag (EventFields of its type). */
function fields<E extends { type: string }>({ type: _type, ...rest }: E): Omit<E, 'type'> {
  return rest;
}
