// Which tab has a run open. Every tab of the app shares one IndexedDB, so a second tab must not
// resume, delete or sweep a run that the first one is training: two writers would corrupt its
// checkpoints, and a sweep could take the tensors of a checkpoint still being written. Web Locks
// (navigator.locks) are shared by every tab and worker of the origin, and the browser lets go of
// a tab's locks when it closes or crashes, so a lock held is a run really open somewhere.
// Where there are none (Node: the CLI and the tests), every run counts as free.

interface LockManagerLike {
  request(name: string, options: { ifAvailable: boolean }, callback: (lock: unknown) => Promise<void> | void): Promise<void>;
  query(): Promise<{ held?: { name?: string }[] }>;
}

function lockManager(): LockManagerLike | undefined {
  return (globalThis as { navigator?: { locks?: LockManagerLike } }).navigator?.locks;
}

const PREFIX = 'tweetforge:run:';

/** A lock on a run, held until released (or until the tab goes); resolves once the lock is gone. */
export type RunHold = () => Promise<void>;

/** Takes the run's lock; null when another tab (or this one) holds it already. */
export function holdRun(runId: string): Promise<RunHold | null> {
  const locks = lockManager();
  if (!locks) return Promise.resolve(async () => {});
  return new Promise((resolve, reject) => {
    const gone = locks.request(PREFIX + runId, { ifAvailable: true }, (lock) => {
      if (!lock) return resolve(null);
      // The lock is held until this promise settles: until the hold is called.
      return new Promise<void>((release) => resolve(() => (release(), gone)));
    });
    gone.catch(reject);
  });
}

/** The runs whose lock some tab holds now. */
export async function openRuns(): Promise<Set<string>> {
  const locks = lockManager();
  if (!locks) return new Set();
  const { held = [] } = await locks.query();
  return new Set(held.map((l) => l.name ?? '').filter((n) => n.startsWith(PREFIX)).map((n) => n.slice(PREFIX.length)));
}
