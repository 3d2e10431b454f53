// The shelf of saved runs: listing them, deleting a run or a checkpoint, each refused while
// another tab has the run open (run-locks.ts) or while this tab's run would write to it.
import { deleteCheckpoint, deleteRun, listRuns, runOfCheckpoint } from '../../lib/storage/checkpoints.ts';
import { openRuns } from '../../lib/storage/run-locks.ts';
import type { ShelfRun } from './protocol.ts';
import type { SessionCore } from './state.ts';

/** The runs some tab holds, once the browser has let go of the one this tab gave up last. */
async function heldRuns(core: SessionCore): Promise<Set<string>> {
  await core.releasing;
  return openRuns();
}

/** The saved runs, each marked when another tab has it open. */
export async function shelf(core: SessionCore): Promise<ShelfRun[]> {
  const [runs, open] = await Promise.all([listRuns(), heldRuns(core)]);
  return runs.map((r) => ({ ...r, openElsewhere: r.run.id !== core.runId && open.has(r.run.id) }));
}

async function refuseIfOpenElsewhere(core: SessionCore, runId: string, what: 'run' | 'checkpoint'): Promise<void> {
  if (runId !== core.runId && (await heldRuns(core)).has(runId)) {
    throw new Error(`this ${what === 'run' ? 'run' : "run's checkpoint"} is open in another tab: delete it there, or close that tab first`);
  }
}

/** Deletes a run with its checkpoints and card table, then lists the shelf again. */
export async function removeRun(core: SessionCore, runId: string): Promise<void> {
  await refuseIfOpenElsewhere(core, runId, 'run');
  // A paused run resumes into its own records: deleted under it, its next checkpoints would be
  // written for a run the shelf no longer lists, gigabytes nobody could see or delete.
  const going = ['training', 'paused', 'device-lost'].includes(core.status.status);
  if (runId === core.runId && going) throw new Error('cancel this run before deleting it');
  await deleteRun(runId);
  core.emit({ type: 'shelf', runs: await shelf(core) });
}

export async function removeCheckpoint(core: SessionCore, id: string): Promise<void> {
  // The other tab may resume from it, or be writing the next one and pruning this one.
  await refuseIfOpenElsewhere(core, runOfCheckpoint(id), 'checkpoint');
  await deleteCheckpoint(id);
  core.emit({ type: 'shelf', runs: await shelf(core) });
}
