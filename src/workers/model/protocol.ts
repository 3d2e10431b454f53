// The model worker's typed protocol, shared by both sides (model.worker.ts and
// src/ui/train/trainer.svelte.ts). The worker owns tfjs and the GPU device: it loads the
// base model, trains, checkpoints to IndexedDB, samples and exports.
//
// As the prep worker's (prep-protocol.ts): every request carries an id and gets exactly one
// reply with that id, so two requests of one kind are told apart. Besides replies, the worker
// pushes events (status, steps, progress, samples) that the page folds into its state.
import type { CorpusSizes } from '../../lib/dataset/corpus.ts';
import type { TrainConfig } from '../../lib/train/config.ts';
import type { SampleOptions } from '../../lib/generate/generate.ts';
import type { ModelCardInfo } from '../../lib/model/model-card.ts';
import type { RunSummary } from '../../lib/storage/checkpoints.ts';
import type { StoredCardTable } from '../../lib/storage/db.ts';
import type { BackendName } from '../../lib/backend.ts';

/** A run on the shelf. `openElsewhere`: another tab has it open; resuming and deleting it are that tab's. */
export interface ShelfRun extends RunSummary {
  openElsewhere: boolean;
}

/** Where the base model comes from: a folder URL (the Hub, or /fixtures/ in tests) or picked files. */
export type ModelSource = { kind: 'url'; url: string } | { kind: 'files'; files: File[] };

/** What a request asks, without its id. */
export type ModelCommand =
  /** Picks the backend (WebGPU first, or `backend` when the page was asked for one); pushes 'backend', then 'resumable'. */
  | { type: 'init'; wasmPaths?: string | Record<string, string>; backend?: BackendName; threads?: number }
  | { type: 'load'; source: ModelSource }
  /**
   * Tokenizes the kept tweets and sizes the corpus (nothing is trained yet); pushes
   * 'prepare-progress' events, and replies with the sizes. A newer 'prepare' aborts this one,
   * which then replies ok: false with PREPARE_SUPERSEDED.
   */
  | { type: 'prepare'; accounts: { username: string; texts: string[] }[]; settings: Partial<TrainConfig> }
  /** Starts a new run on the prepared corpus; `card`: the data table its model card will tell, kept with the run. */
  | { type: 'start'; name: string; card?: StoredCardTable | null }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' }
  /** Continues a run found in IndexedDB (after a reload): loads its model and checkpoint, then trains. */
  | { type: 'resume-run'; runId: string }
  /** Samples from the current weights (only while not training); the samples' events carry this request's id. */
  | { type: 'sample'; prompt: string; options?: Partial<SampleOptions> }
  /** Stops the samples of the 'sample' request with id `sample`. */
  | { type: 'stop-sample'; sample: number }
  | { type: 'export'; kind: 'weights' | 'bundle'; card?: ModelCardInfo }
  | { type: 'shelf' }
  | { type: 'delete-run'; runId: string }
  | { type: 'delete-checkpoint'; checkpointId: string };

/** Page -> worker: a command and its id (unique per page, increasing). */
export type ModelRequest = ModelCommand & { id: number };
/** A command with a field named `id` would clash with the request's: this fails to compile then. */
const _noIdField: Extract<ModelCommand, { id: unknown }> extends never ? true : never = true;
void _noIdField;

export type ModelRequestType = ModelCommand['type'];

/** What 'prepare' replies: the corpus' sizes and the settings, resolved. */
export interface PreparedInfo {
  sizes: CorpusSizes;
  config: TrainConfig;
  checkpointBytes: number; // one checkpoint (the trained weights, or a LoRA run's adapters, + AdamW moments)
  storage: { ok: boolean; message: string; needBytes: number };
  /** How the texts were tokenized: workers 0 means on the model worker's own thread. */
  tokenized: { texts: number; workers: number; ms: number };
}

/** What 'export' replies. */
export interface ExportedFile {
  kind: 'weights' | 'bundle';
  bytes: Uint8Array;
  filename: string;
}

/** The result of each request that has one; every other request replies null. */
interface ModelResults {
  prepare: PreparedInfo;
  export: ExportedFile;
}
export type ModelResult<T extends ModelRequestType> = T extends keyof ModelResults ? ModelResults[T] : null;

/** The error of a prepare that a newer one replaced before it was done. */
export const PREPARE_SUPERSEDED = 'superseded by a newer prepare';

/** Worker -> page: the one reply to request `id`, with its type for whoever did not keep it. */
export type ModelReply =
  | { type: 'reply'; id: number; request: ModelRequestType; ok: true; result: unknown }
  | { type: 'reply'; id: number; request: ModelRequestType; ok: false; error: string };

export type TrainStatus = 'idle' | 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'cancelled' | 'device-lost';

export interface MemoryInfo {
  numTensors: number;
  numBytes: number; // tfjs' own count of live tensor bytes
}

/** Worker -> page, pushed on its own. */
export type ModelEvent =
  /**
   * `threads`: WASM's threads (null on other backends); `isolated`: the worker is cross-origin
   * isolated; `kernelNotice`: which of our WebGPU kernels failed their start-up self-check and
   * run as tfjs ops, null when none.
   */
  | { type: 'backend'; name: BackendName; notice: string | null; slowdown: number; threads: number | null; isolated: boolean; kernelNotice: string | null }
  /** `etaSec`: time left for this file at its rate so far (the weights take minutes on a slow line); null at first. */
  /** `note`: once config.json is checked, what the model needs against what the device offers (memory-estimate.ts). */
  | { type: 'load-progress'; file: string; loaded: number; total: number; etaSec: number | null; note?: string }
  /**
   * `modelType`: config.json's (gpt2, llama, qwen2); `width`: the residual stream; `vocab`: rows of
   * the embedding; `positions`: the longest sequence it takes; `source`: the folder URL it came
   * from, or 'files:' and the names of the files picked; `config`: the family's parsed config (the
   * page sizes full and LoRA training from it, lib/train/lora-choice.ts).
   */
  | { type: 'loaded'; modelType: string; params: number; layers: number; width: number; vocab: number; positions: number; source: string; config: unknown }
  /** While 'prepare' tokenizes the kept tweets, at most ~10 a second; the last has texts === totalTexts. */
  | { type: 'prepare-progress'; texts: number; totalTexts: number; tokens: number; etaSec: number | null }
  | { type: 'status'; status: TrainStatus; message?: string; runId?: string }
  | {
      type: 'step';
      step: number;
      totalSteps: number;
      epoch: number;
      epochs: number;
      loss: number;
      lr: number;
      gradNorm: number;
      tokensPerSec: number;
      etaSec: number;
      memory: MemoryInfo;
    }
  | { type: 'eval'; step: number; epoch: number; valLoss: number }
  | { type: 'checkpoint'; runId: string; step: number; bytes: number }
  /** Loss history when a run is resumed, so the chart starts where it left off. */
  | { type: 'history'; losses: { step: number; loss: number }[]; valLosses: { step: number; epoch: number; loss: number }[]; totalSteps: number; step: number }
  | { type: 'resumable'; run: { id: string; name: string; step: number; totalSteps: number } | null }
  /** A piece of text of sample `sample` of the 'sample' request `id`. */
  | { type: 'sample'; id: number; sample: number; text: string; done: boolean }
  /** `stopped`: why the worker ended the samples early on its own ('training resumed', ...). */
  | { type: 'sample-end'; id: number; stopped?: string }
  | { type: 'shelf'; runs: ShelfRun[] }
  /** What failed after its request had replied: training in the background, or the samples of 'sample' `id`. */
  | { type: 'error'; during: 'train'; message: string }
  | { type: 'error'; during: 'sample'; id: number; message: string };

export type ModelOutMessage = ModelReply | ModelEvent;
