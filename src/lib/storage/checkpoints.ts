// Runs and checkpoints in IndexedDB, written so a crash at any moment leaves the previous
// checkpoint whole: the new checkpoint's tensors are written first (one transaction), then one
// more transaction records its metadata, flips the run's pointer to it and deletes all but
// the newest `keep`. Tensors whose checkpoint never got its metadata are orphans of a killed
// write; sweepOrphans() removes them.
import type { CorpusAccount } from '../dataset/corpus.ts';
import { db, type CheckpointRecord, type CheckpointState, type RunRecord, type StoredAccount, type StoredParam } from './db.ts';

export const KEEP_CHECKPOINTS = 2;

/**
 * How a checkpoint's tensors are laid out. 1: one record per logical parameter (its whole
 * value, `wte.weight` included). 0 (no `format` field): a vocabulary table too big for one GPU
 * buffer stored as its row slices, keys `wte.weight#0`, `wte.weight#1`, ... in row order.
 */
export const CHECKPOINT_FORMAT = 1;

export function checkpointId(runId: string, step: number): string {
  return `${runId}@${String(step).padStart(8, '0')}`;
}

/** The run a checkpoint id belongs to (checkpointId's inverse, for tensors whose record is not written yet). */
export function runOfCheckpoint(id: string): string {
  return id.slice(0, id.lastIndexOf('@'));
}

/** Bytes one checkpoint takes: weights and both AdamW moments, float32. */
export function checkpointBytes(paramCount: number): number {
  return paramCount * 4 * 3;
}

export function packAccounts(accounts: CorpusAccount[]): StoredAccount[] {
  return accounts.map((a) => {
    const ends = new Int32Array(a.tweets.length);
    let n = 0;
    a.tweets.forEach((t, i) => (ends[i] = n += t.ids.length));
    const ids = new Int32Array(n);
    let o = 0;
    for (const t of a.tweets) {
      ids.set(t.ids, o);
      o += t.ids.length;
    }
    return { username: a.username, ids, ends, chars: Int32Array.from(a.tweets, (t) => t.chars) };
  });
}

export function unpackAccounts(stored: StoredAccount[]): CorpusAccount[] {
  return stored.map((a) => ({
    username: a.username,
    tweets: Array.from(a.ends, (end, i) => ({ ids: a.ids.subarray(i === 0 ? 0 : a.ends[i - 1], end), chars: a.chars[i] })),
  }));
}

export function accountsBytes(stored: StoredAccount[]): number {
  return stored.reduce((n, a) => n + a.ids.byteLength + a.ends.byteLength + a.chars.byteLength, 0);
}

export async function putRun(run: RunRecord): Promise<void> {
  await (await db()).put('runs', run);
}

export async function getRun(id: string): Promise<RunRecord | undefined> {
  return (await db()).get('runs', id);
}

export async function updateRun(id: string, patch: Partial<Omit<RunRecord, 'id'>>): Promise<void> {
  const d = await db();
  const tx = d.transaction('runs', 'readwrite');
  const run = await tx.store.get(id);
  if (run) await tx.store.put({ ...run, ...patch, updatedAt: Date.now() });
  await tx.done;
}

/** Writes a checkpoint of `state` for the run, then flips the pointer and prunes old ones. */
export async function saveCheckpoint(runId: string, state: CheckpointState, keep = KEEP_CHECKPOINTS): Promise<CheckpointRecord> {
  const d = await db();
  const id = checkpointId(runId, state.step);
  const bytes = state.params.reduce((n, p) => n + p.data.byteLength + p.m.byteLength + p.v.byteLength, 0);
  // 1) the tensors, all of them, before anything points at them: one put at a time, so a
  // failure (the quota, most often) is one error here, not one unhandled rejection per tensor,
  // and the transaction's abort takes every tensor of this checkpoint with it.
  {
    const tx = d.transaction('tensors', 'readwrite');
    const done = tx.done;
    done.catch(() => undefined); // the failed put below is the error to report; the abort only follows it
    try {
      for (const p of state.params) await tx.store.put({ ckptId: id, key: p.key, shape: p.shape, data: p.data, m: p.m, v: p.v });
    } catch (e) {
      // A put that failed without aborting the transaction (yet) must not let the others commit.
      if (!tx.error) {
        try {
          tx.abort();
        } catch {
          // already aborted
        }
      }
      throw tx.error ?? e;
    }
    await done;
  }
  // 2) metadata + pointer flip + pruning, atomically
  const record: CheckpointRecord = {
    id,
    runId,
    step: state.step,
    createdAt: Date.now(),
    bytes,
    adamStep: state.adamStep,
    position: state.position,
    rng: state.rng,
    paramKeys: state.params.map((p) => p.key),
    ...(state.adapters ? { adapters: state.adapters } : {}),
    format: CHECKPOINT_FORMAT,
    losses: state.losses,
    valLosses: state.valLosses,
  };
  const tx = d.transaction(['checkpoints', 'pointers', 'tensors', 'runs'], 'readwrite');
  await tx.objectStore('checkpoints').put(record);
  await tx.objectStore('pointers').put({ runId, checkpointId: id, step: state.step });
  const ids = (await tx.objectStore('checkpoints').index('byRun').getAllKeys(runId)).sort();
  for (const old of ids.slice(0, Math.max(0, ids.length - keep))) {
    if (old === id) continue;
    await tx.objectStore('checkpoints').delete(old);
    await tx.objectStore('tensors').delete(IDBKeyRange.bound([old, ''], [old, '\uffff']));
  }
  const run = await tx.objectStore('runs').get(runId);
  if (run) await tx.objectStore('runs').put({ ...run, updatedAt: Date.now() });
  await tx.done;
  return record;
}

/** The checkpoint the run's pointer names, as a CheckpointState; undefined if none. */
export async function loadLatestCheckpoint(runId: string): Promise<{ record: CheckpointRecord; state: CheckpointState } | undefined> {
  const d = await db();
  const pointer = await d.get('pointers', runId);
  if (!pointer) return undefined;
  return loadCheckpoint(pointer.checkpointId);
}

export async function loadCheckpoint(id: string): Promise<{ record: CheckpointRecord; state: CheckpointState } | undefined> {
  const d = await db();
  const tx = d.transaction(['checkpoints', 'tensors'], 'readonly');
  const record = await tx.objectStore('checkpoints').get(id);
  if (!record) return undefined;
  const tensors = await tx.objectStore('tensors').index('byCheckpoint').getAll(id);
  await tx.done;
  const format = record.format ?? 0;
  if (format > CHECKPOINT_FORMAT) throw new Error(`checkpoint ${id} was written by a newer version of this app (format ${format})`);
  const byKey = new Map(tensors.map((t) => [t.key, t]));
  const stored = record.paramKeys.map((key) => {
    const t = byKey.get(key);
    if (!t) throw new Error(`checkpoint ${id} is missing tensor ${key}`);
    return { key, shape: t.shape, data: t.data, m: t.m, v: t.v };
  });
  const params = format === 0 ? joinRowSlices(stored) : stored;
  return {
    record,
    state: {
      step: record.step,
      adamStep: record.adamStep,
      position: record.position,
      rng: record.rng,
      params,
      ...(record.adapters ? { adapters: record.adapters } : {}),
      losses: record.losses,
      valLosses: record.valLosses,
    },
  };
}

/** Format 0 -> 1: the row slices `name#i` of a parameter joined, in order, into `name`. */
export function joinRowSlices(params: StoredParam[]): StoredParam[] {
  const sliced = new Map<string, StoredParam[]>();
  const out: StoredParam[] = [];
  for (const p of params) {
    const m = /^(.+)#(\d+)$/.exec(p.key);
    if (!m) {
      out.push(p);
      continue;
    }
    const parts = sliced.get(m[1]) ?? [];
    parts[Number(m[2])] = p;
    if (!sliced.has(m[1])) out.push({ ...p, key: m[1] }); // a placeholder, at the first slice's place
    sliced.set(m[1], parts);
  }
  return out.map((p) => {
    const parts = sliced.get(p.key);
    if (!parts) return p;
    if (Object.keys(parts).length !== parts.length) {
      throw new Error(`checkpoint: the row slices of ${p.key} are not numbered 0..${parts.length - 1}`);
    }
    const concat = (field: 'data' | 'm' | 'v') => {
      const all = new Float32Array(parts.reduce((n, s) => n + s[field].length, 0));
      let at = 0;
      for (const s of parts) all.set(s[field], (at += s[field].length) - s[field].length);
      return all;
    };
    const rows = parts.reduce((n, s) => n + s.shape[0], 0);
    return { key: p.key, shape: [rows, ...parts[0].shape.slice(1)], data: concat('data'), m: concat('m'), v: concat('v') };
  });
}

export interface RunSummary {
  run: Omit<RunRecord, 'accounts'>;
  checkpoints: { id: string; step: number; bytes: number; createdAt: number; current: boolean }[];
  bytes: number; // checkpoints + corpus
}

/** Every run, newest first, with its checkpoints and sizes (what the shelf shows). */
export async function listRuns(): Promise<RunSummary[]> {
  const d = await db();
  const runs = await d.getAll('runs');
  const out: RunSummary[] = [];
  for (const run of runs.sort((a, b) => b.updatedAt - a.updatedAt)) {
    const pointer = await d.get('pointers', run.id);
    const cks = (await d.getAllFromIndex('checkpoints', 'byRun', run.id)).sort((a, b) => a.step - b.step);
    const { accounts: _accounts, ...meta } = run;
    out.push({
      run: meta,
      checkpoints: cks.map((c) => ({ id: c.id, step: c.step, bytes: c.bytes, createdAt: c.createdAt, current: c.id === pointer?.checkpointId })),
      bytes: run.corpusBytes + cks.reduce((n, c) => n + c.bytes, 0),
    });
  }
  return out;
}

/** Deletes one checkpoint; if the pointer named it, it falls back to the newest remaining one. */
export async function deleteCheckpoint(id: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['checkpoints', 'pointers', 'tensors'], 'readwrite');
  const record = await tx.objectStore('checkpoints').get(id);
  await tx.objectStore('checkpoints').delete(id);
  await tx.objectStore('tensors').delete(IDBKeyRange.bound([id, ''], [id, '\uffff']));
  if (record) {
    const pointer = await tx.objectStore('pointers').get(record.runId);
    if (pointer?.checkpointId === id) {
      const rest = (await tx.objectStore('checkpoints').index('byRun').getAll(record.runId)).sort((a, b) => b.step - a.step);
      if (rest.length) await tx.objectStore('pointers').put({ runId: record.runId, checkpointId: rest[0].id, step: rest[0].step });
      else await tx.objectStore('pointers').delete(record.runId);
    }
  }
  await tx.done;
}

/** Deletes a run with all its checkpoints. */
export async function deleteRun(runId: string): Promise<void> {
  const d = await db();
  const tx = d.transaction(['runs', 'checkpoints', 'pointers', 'tensors'], 'readwrite');
  for (const id of await tx.objectStore('checkpoints').index('byRun').getAllKeys(runId)) {
    await tx.objectStore('checkpoints').delete(id);
    await tx.objectStore('tensors').delete(IDBKeyRange.bound([id, ''], [id, '\uffff']));
  }
  await tx.objectStore('pointers').delete(runId);
  await tx.objectStore('runs').delete(runId);
  await tx.done;
}

/**
 * Removes what no run can reach: tensors of checkpoints whose write never completed (a killed tab
 * mid-write), and checkpoints and pointers of runs that no longer exist (the shelf lists runs, so
 * those would take space nobody could see or free). Runs in `open` (another tab has them open,
 * run-locks.ts) are left alone: their next checkpoint may be half written right now. Returns the
 * tensor records removed.
 */
export async function sweepOrphans(open: ReadonlySet<string> = new Set()): Promise<number> {
  const d = await db();
  const tx = d.transaction(['runs', 'checkpoints', 'pointers', 'tensors'], 'readwrite');
  const runs = new Set(await tx.objectStore('runs').getAllKeys());
  const reachable = (runId: string) => runs.has(runId) || open.has(runId);
  for (const runId of await tx.objectStore('pointers').getAllKeys()) {
    if (!reachable(runId)) await tx.objectStore('pointers').delete(runId);
  }
  const complete = new Set<string>();
  for (let c = await tx.objectStore('checkpoints').openCursor(); c; c = await c.continue()) {
    if (reachable(c.value.runId)) complete.add(c.value.id);
    else await c.delete();
  }
  let removed = 0;
  let cursor = await tx.objectStore('tensors').openKeyCursor();
  while (cursor) {
    const [ckptId] = cursor.primaryKey as [string, string];
    if (!complete.has(ckptId) && !open.has(runOfCheckpoint(ckptId))) {
      await tx.objectStore('tensors').delete(cursor.primaryKey);
      removed++;
    }
    cursor = await cursor.continue();
  }
  await tx.done;
  return removed;
}

/** The newest run that can be resumed (paused or interrupted while training, and not `open` in another tab), if any. */
export async function resumableRun(open: ReadonlySet<string> = new Set()): Promise<{ run: RunRecord; step: number } | undefined> {
  const d = await db();
  const runs = (await d.getAll('runs')).sort((a, b) => b.updatedAt - a.updatedAt);
  for (const run of runs) {
    if ((run.status !== 'training' && run.status !== 'paused') || open.has(run.id)) continue;
    const pointer = await d.get('pointers', run.id);
    if (pointer) return { run, step: pointer.step };
  }
  return undefined;
}
