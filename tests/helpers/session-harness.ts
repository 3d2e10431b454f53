// A TrainingSession (the model worker's logic, without the Worker) with every event it emits
// recorded, as the session tests drive it: requests in through send(), events read back with
// of() or awaited with next().
import { TrainingSession, type SessionDeps } from '../../src/lib/train/session';
import type { ModelEvent, ModelRequest } from '../../src/workers/model-protocol';

export type Of<T extends ModelEvent['type']> = Extract<ModelEvent, { type: T }>;

/** A session on the cpu backend unless `deps` name others. */
export function sessionHarness(deps: Omit<SessionDeps, 'emit'> = {}) {
  const events: ModelEvent[] = [];
  const waiters: { pred: (e: ModelEvent) => boolean; resolve: (e: ModelEvent) => void }[] = [];
  const session = new TrainingSession({
    backends: ['cpu'],
    ...deps,
    emit: (e) => {
      events.push(e);
      for (const w of [...waiters]) if (w.pred(e)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(e));
    },
  });
  /** Every event of `type` so far, in order. */
  const of = <T extends ModelEvent['type']>(type: T) => events.filter((e) => e.type === type) as Of<T>[];
  /** The first event of `type` that passes `pred`: one already emitted, or the next to come. */
  const next = <T extends ModelEvent['type']>(type: T, pred: (e: Of<T>) => boolean = () => true) =>
    new Promise<Of<T>>((resolve) => {
      const hit = events.find((e) => e.type === type && pred(e as Of<T>));
      if (hit) return resolve(hit as Of<T>);
      waiters.push({ pred: (e) => e.type === type && pred(e as Of<T>), resolve: resolve as (e: ModelEvent) => void });
    });
  const send = (r: ModelRequest) => session.handle(r);
  return { session, events, of, next, send };
}
