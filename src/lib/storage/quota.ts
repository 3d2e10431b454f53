// Browser storage budget: ask for persistence (so the browser does not evict checkpoints
// under pressure; only the page can ask), check the expected size against the estimate before
// training, and turn a QuotaExceededError into a message that says what to delete.
import { listRuns } from './checkpoints.ts';
import { formatBytes } from '../bytes.ts';

export interface QuotaCheck {
  ok: boolean;
  persisted: boolean;
  needBytes: number;
  availableBytes: number; // quota - usage (Infinity where the browser does not say)
  message: string;
}

interface StorageManagerLike {
  persist?: () => Promise<boolean>;
  persisted?: () => Promise<boolean>;
  estimate?: () => Promise<{ quota?: number; usage?: number }>;
}

function storageManager(): StorageManagerLike | undefined {
  return (globalThis as { navigator?: { storage?: StorageManagerLike } }).navigator?.storage;
}

/**
 * Asks the browser to keep this site's storage (checkpoints) under pressure; true when it will.
 * Only a page can ask (StorageManager.persist is not exposed to workers), best from a click
 * (Firefox asks the person); a browser that neither grants nor refuses within `waitMs` is not
 * waited for.
 */
export async function askToKeepStorage(waitMs = 1500): Promise<boolean> {
  const sm = storageManager();
  try {
    if (await sm?.persisted?.()) return true;
    const asked = sm?.persist?.() ?? Promise.resolve(false);
    return await Promise.race([asked, new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs))]);
  } catch {
    return false; // refused: checkpoints still work, they may be evicted
  }
}

/**
 * Before training: checks that `needBytes` (checkpoints kept plus the one being written, and the
 * corpus) fits in what the origin may still use, and whether the storage is persistent (the
 * page asks for that, askToKeepStorage; a worker can only ask whether it is).
 */
export async function checkStorage(needBytes: number): Promise<QuotaCheck> {
  const sm = storageManager();
  const persisted = await askToKeepStorage(); // in a worker, only whether it is kept
  const est = (await sm?.estimate?.().catch(() => undefined)) ?? {};
  const availableBytes = est.quota !== undefined ? est.quota - (est.usage ?? 0) : Infinity;
  const ok = needBytes <= availableBytes;
  const message = ok
    ? `Checkpoints need about ${formatBytes(needBytes)}; ${formatBytes(availableBytes)} available${persisted ? '' : ' (storage is not persistent: the browser may evict it under pressure)'}.`
    : `Checkpoints need about ${formatBytes(needBytes)} but only ${formatBytes(availableBytes)} of browser storage is left. ${await whatToDelete()}`;
  return { ok, persisted, needBytes, availableBytes, message };
}

export function isQuotaError(err: unknown): boolean {
  const e = err as { name?: string; inner?: { name?: string }; message?: string } | null;
  return e?.name === 'QuotaExceededError' || e?.inner?.name === 'QuotaExceededError' || /quota/i.test(e?.message ?? '');
}

/** One readable line naming the biggest runs on the shelf, to free space. */
export async function whatToDelete(): Promise<string> {
  const runs = (await listRuns().catch(() => [])).sort((a, b) => b.bytes - a.bytes);
  if (runs.length === 0) return 'Free space for this site in the browser settings, or lower the number of checkpoints kept.';
  const names = runs.slice(0, 3).map((r) => `"${r.run.name}" (${formatBytes(r.bytes)})`);
  return `Delete old runs on the shelf to make room: ${names.join(', ')}.`;
}

/** The message for a checkpoint write that hit the quota. */
export async function quotaMessage(err: unknown): Promise<string> {
  if (!isQuotaError(err)) return err instanceof Error ? err.message : String(err);
  return `The browser refused to store the checkpoint: storage is full. ${await whatToDelete()}`;
}
