// tweetforge's IndexedDB: one typed schema (idb's DBSchema), migrations as
// `if (oldVersion < N)`, one module-level connection, thin functions elsewhere.
//
//   runs         one fine-tuning run: settings, the base model, the corpus (token ids) to resume with,
//                and the data table its model card tells
//   checkpoints  metadata of a complete checkpoint: step, data position, RNG state, loss history
//   tensors      a checkpoint's parameters, one record per parameter: weights + AdamW moments
//   pointers     per run, the checkpoint to resume from; flipped only after the new one is whole
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DataPosition } from '../dataset/corpus.ts';

export const DB_NAME = 'tweetforge';
/** 1: runs, checkpoints, tensors, pointers. 2: every run has its card table (null where unknown). */
export const DB_VERSION = 2;

export type RunStatus = 'training' | 'paused' | 'done' | 'cancelled';

/** The corpus as stored: per account, all token ids back to back, with each tweet's end and char count. */
export interface StoredAccount {
  username: string;
  ids: Int32Array;
  ends: Int32Array; // tweet i is ids[ends[i-1] .. ends[i])
  chars: Int32Array;
}

/**
 * A run's training settings as stored. Storage keeps its own shape (train's TrainConfig is
 * assignable to it); a field added to training later is absent from older runs.
 */
export interface StoredTrainConfig {
  blockSize: number;
  batchSize: number;
  gradAccum: number;
  epochs: number;
  lr: number;
  warmupSteps: number;
  weightDecay: number;
  clipNorm: number;
  seed: number;
  dropout: boolean;
  lossReadEvery: number;
  checkpointEvery: number;
  valFraction: number;
  recompute: boolean;
  lora?: boolean;
  loraRank?: number;
  loraAlpha?: number;
}

/** One account's column of the data table a run was trained on. */
export interface StoredCardAccount {
  username: string;
  displayName: string;
  downloaded: number;
  retweets: number;
  short: number;
  kept: number;
}

/** The data table a run was trained on, as its model card tells it (a few hundred bytes). */
export interface StoredCardTable {
  rule: string;
  excludeReplies: boolean;
  users: StoredCardAccount[];
  /** Kept tweets per language (dataset/languages.ts); absent in tables stored before it was counted. */
  languages?: Record<string, number>;
}

/** The table as stored: only its own fields (a page's table carries more per account). */
export function storedCardTable(t: StoredCardTable): StoredCardTable {
  const users = t.users.map(({ username, displayName, downloaded, retweets, short, kept }) => ({ username, displayName, downloaded, retweets, short, kept }));
  return { rule: t.rule, excludeReplies: t.excludeReplies, users, ...(t.languages ? { languages: { ...t.languages } } : {}) };
}

export interface RunRecord {
  id: string;
  name: string; // shown on the shelf, e.g. "@user1 + @user2"
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  modelUrl: string; // where the base model (config, tokenizer) was loaded from
  modelConfig: Record<string, unknown>; // its config.json
  config: StoredTrainConfig;
  totalSteps: number;
  accounts: StoredAccount[];
  corpusBytes: number;
  /** The data table the run started from; null for runs stored before version 2, or started without one. */
  card: StoredCardTable | null;
}

export interface CheckpointRecord {
  id: string; // `${runId}@${step}`
  runId: string;
  step: number;
  createdAt: number;
  bytes: number; // weights + moments
  adamStep: number;
  position: DataPosition;
  rng: { seed: number; step: number };
  paramKeys: string[];
  /** The LoRA record (lib/lora's loraRecord) when the run trains adapters: its tensors are then the adapters' alone. */
  adapters?: Readonly<Record<string, unknown>>;
  /** Layout of the tensors (checkpoints.ts' CHECKPOINT_FORMAT); absent in the first layout, 0. */
  format?: number;
  losses: { step: number; loss: number }[];
  valLosses: { step: number; epoch: number; loss: number }[];
}

/** One parameter of a checkpoint: its weights and AdamW moments. */
export interface StoredParam {
  key: string;
  shape: number[];
  data: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

/** What a checkpoint holds, as written and read back (train's TrainerState is this shape). */
export interface CheckpointState {
  step: number;
  adamStep: number;
  position: DataPosition;
  rng: { seed: number; step: number };
  params: StoredParam[];
  /** The LoRA record when the params are adapters (TrainerState.adapters); absent for full fine-tuning. */
  adapters?: Readonly<Record<string, unknown>>;
  losses: { step: number; loss: number }[];
  valLosses: { step: number; epoch: number; loss: number }[];
}

export interface TensorRecord {
  ckptId: string;
  key: string;
  shape: number[];
  data: Float32Array;
  m: Float32Array;
  v: Float32Array;
}

export interface PointerRecord {
  runId: string;
  checkpointId: string;
  step: number;
}

export interface TweetforgeDB extends DBSchema {
  runs: { key: string; value: RunRecord; indexes: { byUpdated: number } };
  checkpoints: { key: string; value: CheckpointRecord; indexes: { byRun: string } };
  tensors: { key: [string, string]; value: TensorRecord; indexes: { byCheckpoint: string } };
  pointers: { key: string; value: PointerRecord };
}

let dbPromise: Promise<IDBPDatabase<TweetforgeDB>> | null = null;

/** The one connection (opened on first use, so Node tests can install fake-indexeddb first). */
export function db(): Promise<IDBPDatabase<TweetforgeDB>> {
  dbPromise ??= openDB<TweetforgeDB>(DB_NAME, DB_VERSION, {
    async upgrade(database, oldVersion, _newVersion, tx) {
      if (oldVersion < 1) {
        database.createObjectStore('runs', { keyPath: 'id' }).createIndex('byUpdated', 'updatedAt');
        database.createObjectStore('checkpoints', { keyPath: 'id' }).createIndex('byRun', 'runId');
        database.createObjectStore('tensors', { keyPath: ['ckptId', 'key'] }).createIndex('byCheckpoint', 'ckptId');
        database.createObjectStore('pointers', { keyPath: 'runId' });
      }
      if (oldVersion < 2) {
        // Runs of version 1 never kept their card table (the page had it, in localStorage): none.
        for (let c = await tx.objectStore('runs').openCursor(); c; c = await c.continue()) {
          if (c.value.card === undefined) await c.update({ ...c.value, card: null });
        }
      }
    },
    blocking() {
      // A newer version of the app wants to upgrade: let it.
      void dbPromise?.then((d) => d.close());
      dbPromise = null;
    },
  });
  return dbPromise;
}
