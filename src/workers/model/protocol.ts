// The model worker's typed protocol, shared by both sides (src/workers/model.worker.ts and
// src/ui/train/trainer.svelte.ts). The worker owns tfjs and the GPU device: it loads the
// base model, trains, checkpoints to IndexedDB, samples and exports. Requests are handled in
// order; every reply is an event the page folds into its state.
import type { CorpusSizes } from '../lib/dataset/corpus.ts';
import type { TrainConfig } from '../lib/train/config.ts';
import type { SampleOptions } from '../lib/generate/generate.ts';
import type { ModelCardInfo } from '../lib/model/model-card.ts';
import type { RunSummary } from '../lib/storage/checkpoints.ts';
import type { BackendName } from '../lib/backend.ts';

/** A run on the shelf. `openElsewhere`: another tab has it open; resuming and deleting it are that tab's. */
export interface ShelfRun extends RunSummary {
  openElsewhere: boolean;
}

/** Where the base model comes from: a folder URL (the Hub, or /fixtures/ in tests) or picked files. */
export type ModelSource = { kind: 'url'; url: string } | { kind: 'files'; files: File[] };

/** Page -> worker. */
export type ModelRequest =
  /** Picks the backend (WebGPU first, or `backend` when the page was asked for one); replies 'backend', then 'resumable'. */
  | { type: 'init'; wasmPaths?: string | Record<string, string>; backend?: BackendName }
  | { type: 'load'; source: ModelSource }
  /**
   * Tokenizes the kept tweets and sizes the corpus; replies 'prepare-progress' events, then
   * 'prepared' (nothing is trained yet). A newer 'prepare' aborts this one: only the newest replies.
   */
  | { type: 'prepare'; accounts: { username: string; texts: string[] }[]; settings: Partial<TrainConfig> }
  /** Starts a new run on the prepared corpus. */
  | { type: 'start'; name: string }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'cancel' }
  /** Continues a run found in IndexedDB (after a reload): loads its model and checkpoint, then trains. */
  | { type: 'resume-run'; runId: string }
  /** Samples from the current weights (only while not training). */
  | { type: 'sample'; id: number; prompt: string; options?: Partial<SampleOptions> }
  | { type: 'stop-sample'; id: number }
  | { type: 'export'; kind: 'weights' | 'bundle'; card?: ModelCardInfo }
  | { type: 'shelf' }
  | { type: 'delete-run'; runId: string }
  | { type: 'delete-checkpoint'; id: string };

export type TrainStatus = 'idle' | 'loading' | 'ready' | 'training' | 'paused' | 'done' | 'cancelled' | 'device-lost';

export interface MemoryInfo {
  numTensors: number;
  numBytes: number; // tfjs' own count of live tensor bytes
}

/** Worker -> page. */
export type ModelEvent =
  | { type: 'backend'; name: BackendName; notice: string | null; slowdown: number }
  /** `etaSec`: time left for this file at its rate so far (the weights take minutes on a slow line); null at first. */
  | { type: 'load-progress'; file: string; loaded: number; total: number; etaSec: number | null }
  /** `source`: the folder URL it came from, or 'files:' and the names of the files picked. */
  | { type: 'loaded'; params: number; nLayer: number; nEmbd: number; vocabSize: number; nPositions: number; source: string }
  /** While 'prepare' tokenizes the kept tweets, at most ~10 a second; the last has texts === totalTexts. */
  | { type: 'prepare-progress'; texts: number; totalTexts: number; tokens: number; etaSec: number | null }
  | {
      type: 'prepared';
      sizes: CorpusSizes;
      config: TrainConfig;
      checkpointBytes: number; // one checkpoint (weights + AdamW moments)
      storage: { ok: boolean; message: string; needBytes: number };
      /** How the texts were tokenized: workers 0 means on the model worker's own thread. */
      tokenized: { texts: number; workers: number; ms: number };
    }
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
  | { type: 'sample'; id: number; sample: number; text: string; done: boolean }
  /** `stopped`: why the worker ended the samples early on its own ('training resumed', ...). */
  | { type: 'sample-end'; id: number; stopped?: string }
  | { type: 'exported'; kind: 'weights' | 'bundle'; bytes: Uint8Array; filename: string }
  | { type: 'shelf'; runs: ShelfRun[] }
  | { type: 'error'; message: string; during: ModelRequest['type'] | 'train' };
