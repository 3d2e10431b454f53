// The model worker's state, explicit: a loaded model or none, a run or none, one status.
// Each part of the worker (load, prepare, train, device, output, shelf) reads and changes it
// through SessionCore, which also says every change of status to the page.
import type { BackendName } from '../../lib/backend.ts';
import type { Corpus, CorpusAccount } from '../../lib/dataset/corpus.ts';
import type { CausalLM } from '../../lib/model/causal-lm.ts';
import type { ModelFamily, TextTokenizer } from '../../lib/model/family.ts';
import type { FolderModel } from '../../lib/model/hf-folder.ts';
import type { RunHold } from '../../lib/storage/run-locks.ts';
import type { DatasetEncoder, TokenizerPoolFactory } from '../../lib/tokenizer/dataset-encoder.ts';
import type { TrainConfig } from '../../lib/train/config.ts';
import type { Trainer } from '../../lib/train/trainer.ts';
import type { ModelOutMessage, ModelSource, TrainStatus } from './protocol.ts';

export interface SessionDeps {
  /** Sends a reply or an event to the page. */
  emit(e: ModelOutMessage, transfer?: Transferable[]): void;
  /** Loads a model folder by URL (default: loadModelFromUrl with Cache Storage). */
  loadUrl?: (url: string, onProgress: (file: string, loaded: number, total: number, note?: string) => void) => Promise<FolderModel>;
  /** Backends to try (default WebGPU, WebGL, WASM, cpu). */
  backends?: readonly BackendName[];
  /**
   * Makes a pool of tokenizer workers from the loaded model's tokenizer files, for 'prepare'.
   * Without one, or when it or a worker fails, the session tokenizes on its own thread.
   */
  createTokenizerPool?: TokenizerPoolFactory;
}

/** What stays of a base model whatever becomes of its weights: to tokenize, to export, to read it again. */
export interface BaseModel {
  family: ModelFamily;
  /** Its parsed config.json. */
  config: unknown;
  /** The tokenizer's files, and those an export copies (config.json, generation_config.json, ...). */
  files: Pick<FolderModel, 'tokenizerFiles' | 'otherFiles'>;
  /** Where it was loaded from, to read it again (Cache Storage, or the files picked). */
  origin: ModelSource;
  tok: TextTokenizer;
  /** Tokenizes for 'prepare'; its workers start with the model. */
  encoder: DatasetEncoder;
}

export type ModelSlot =
  | { kind: 'none' }
  /**
   * `trained`: the weights are no longer the ones loaded (a run trained them, or restored a
   * checkpoint into them); a new run starts from the loaded weights, so it reads them again.
   */
  | { kind: 'loaded'; base: BaseModel; lm: CausalLM; trained: boolean }
  /** The weights went with a lost device; Resume makes them again. */
  | { kind: 'gone'; base: BaseModel };

/** The run in hand: its trainer (weights' optimizer state on the device) and the lock on it. */
export interface Run {
  kind: 'run';
  id: string;
  trainer: Trainer;
  /** The lock on the run (run-locks.ts): another tab neither resumes, deletes nor sweeps it. */
  hold: RunHold;
  /** The step of the newest checkpoint written or restored; -1 before the first. */
  lastCheckpointStep: number;
}
export type RunSlot = { kind: 'none' } | Run;

/** Why a training loop was asked to stop. */
export type StopReason = 'pause' | 'cancel' | 'lost';
export interface StopSignal {
  ctl: AbortController;
  reason: StopReason | null;
}

/** The one status: what the page is told, with what belongs only to that status. */
export type Status =
  | { status: Exclude<TrainStatus, 'training' | 'device-lost'> }
  | { status: 'training'; stop: StopSignal }
  /** `lostWhile`: the status the device was lost in, which recovering it brings back. */
  | { status: 'device-lost'; lostWhile: TrainStatus };

/** The corpus 'prepare' made (or a resumed run brought): what the next Start trains on. */
export interface Prepared {
  accounts: CorpusAccount[];
  config: TrainConfig;
  corpus: Corpus;
}

const NO_MODEL = { kind: 'none' } as const;
const NO_RUN = { kind: 'none' } as const;

export class SessionCore {
  model: ModelSlot = NO_MODEL;
  run: RunSlot = NO_RUN;
  status: Status = { status: 'idle' };
  prepared: Prepared | null = null;
  /** The prepare in flight, aborted by a newer one. */
  preparing: AbortController | null = null;
  /** The training loop in the background; settled when none runs. */
  loop: Promise<void> = Promise.resolve();
  /** The lock this session let go of last, until the browser has released it (the shelf waits). */
  releasing: Promise<void> = Promise.resolve();
  /** Samplings in flight, by their request id. */
  readonly samplers = new Map<number, AbortController>();

  constructor(readonly deps: SessionDeps) {}

  emit(e: ModelOutMessage, transfer?: Transferable[]): void {
    this.deps.emit(e, transfer);
  }

  get runId(): string | null {
    return this.run.kind === 'run' ? this.run.id : null;
  }

  setStatus(status: Status, message?: string): void {
    this.status = status;
    this.emit({ type: 'status', status: status.status, message, runId: this.runId ?? undefined });
  }

  /** Shorthand for a status that carries nothing else. */
  say(status: Exclude<TrainStatus, 'training' | 'device-lost'>, message?: string): void {
    this.setStatus({ status }, message);
  }

  get training(): boolean {
    return this.status.status === 'training';
  }

  /** The model on the device, or why there is none to use. */
  loaded(what = 'load a model first'): Extract<ModelSlot, { kind: 'loaded' }> {
    // The model lives on the GPU device: once it is lost, nothing can use it until Resume brings it back.
    if (this.status.status === 'device-lost') throw new Error('the GPU device was lost: press Resume in step 3 to bring the model back first');
    if (this.model.kind !== 'loaded') throw new Error(what);
    return this.model;
  }

  /** The base model, whether its weights are on the device or not. */
  base(what: string): BaseModel {
    if (this.model.kind === 'none') throw new Error(what);
    return this.model.base;
  }

  /** Lets go of the run in hand: its optimizer state on the device, its lock and its id. */
  forgetRun(): void {
    if (this.run.kind === 'none') return;
    this.run.trainer.dispose();
    this.release(this.run.hold);
    this.run = NO_RUN;
  }

  /** Lets go of a run lock; the shelf and resuming wait until the browser has. */
  release(hold: RunHold): void {
    this.releasing = hold();
  }

  /** Ends every sampling in flight; the page is told why with each one's sample-end. */
  stopSamplers(why: string): void {
    for (const s of this.samplers.values()) s.abort(why);
  }
}
