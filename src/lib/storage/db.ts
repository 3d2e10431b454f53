// tweetforge's IndexedDB: one typed schema (idb's DBSchema), migrations as
// `if (oldVersion < N)`, one module-level connection, thin functions elsewhere.
//
//   runs         one fine-tuning run: settings, the base model, the corpus (token ids) to resume with
//   checkpoints  metadata of a complete checkpoint: step, data position, RNG state, loss history
//   tensors      a checkpoint's parameters, one record per parameter: weights + AdamW moments
//   pointers     per run, the checkpoint to resume from; flipped only after the new one is whole
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { DataPosition } from '../dataset/corpus.ts';
import type { TrainConfig } from '../train/config.ts';

export const DB_NAME = 'tweetforge';
export const DB_VERSION = 1;

export type RunStatus = 'training' | 'paused' | 'done' | 'cancelled';

/** The corpus as stored: per account, all token ids back to back, with each tweet's end and char count. */
export interface StoredAccount {
  username: string;
  ids: Int32Array;
  ends: Int32Array; // tweet i is ids[ends[i-1] .. ends[i])
  chars: Int32Array;
}

export interface RunRecord {
  id: string;
  name: string; // shown on the shelf, e.g. "@user1 + @user2"
  createdAt: number;
  updatedAt: number;
  status: RunStatus;
  modelUrl: string; // where the base model (config, tokenizer) was loaded from
  modelConfig: Record<string, unknown>; // its config.json
  config: TrainConfig;
  totalSteps: number;
  accounts: StoredAccount[];
  corpusBytes: number;
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
  /** Layout of the tensors (checkpoints.ts' CHECKPOINT_FORMAT); absent in the first layout, 0. */
  format?: number;
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
    upgrade(database, oldVersion) {
      if (oldVersion < 1) {
        database.createObjectStore('runs', { keyPath: 'id' }).createIndex('byUpdated', 'updatedAt');
        database.createObjectStore('checkpoints', { keyPath: 'id' }).createIndex('byRun', 'runId');
        database.createObjectStore('tensors', { keyPath: ['ckptId', 'key'] }).createIndex('byCheckpoint', 'ckptId');
        database.createObjectStore('pointers', { keyPath: 'runId' });
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
