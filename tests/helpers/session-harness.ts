// A TrainingSession (the model worker's logic, without the Worker) with every event it emits
// recorded, as the session tests drive it: requests in through send() (which resolves with
// the request's reply), events read back with of() or awaited with next().
import { TrainingSession, type SessionDeps } from '../../src/workers/model/session';
import type { ModelCommand, ModelEvent, ModelOutMessage, ModelReply, ModelRequest, PreparedInfo } from '../../src/workers/model/protocol';

export type Of<T extends ModelEvent['type']> = Extract<ModelEvent, { type: T }>;

/** A session on the cpu backend unless `deps` name others. */
export function sessionHarness(deps: Omit<SessionDeps, 'emit'> = {}) {
  const events: ModelEvent[] = [];
  const replies: ModelReply[] = [];
  /** Replies and events, in the order sent. */
  const messages: ModelOutMessage[] = [];
  const waiters: { pred: (e: ModelEvent) => boolean; resolve: (e: ModelEvent) => void }[] = [];
  const session = new TrainingSession({
    backends: ['cpu'],
    ...deps,
    emit: (m: ModelOutMessage) => {
      messages.push(m);
      if (m.type === 'reply') return void replies.push(m);
      events.push(m);
      for (const w of [...waiters]) if (w.pred(m)) (waiters.splice(waiters.indexOf(w), 1), w.resolve(m));
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
  let lastId = 1000; // above the ids tests give their own requests
  /** Handles a request (with the id given, or a fresh one) and resolves with its reply. */
  const send = async (r: ModelCommand & { id?: number }): Promise<ModelReply> => {
    const req = { ...r, id: r.id ?? ++lastId } as ModelRequest;
    await session.handle(req);
    return replies.findLast((p) => p.id === req.id)!;
  };
  /** Handles a request that must succeed, and resolves with its result. */
  const call = async <R = unknown>(r: ModelCommand & { id?: number }): Promise<R> => {
    const reply = await send(r);
    if (!reply.ok) throw new Error(`${reply.request} failed: ${reply.error}`);
    return reply.result as R;
  };
  /** Every failure so far, as `during: message`: refused requests, then errors of training and samples. */
  const failures = () => [
    ...replies.filter((p) => !p.ok).map((p) => `${p.request}: ${(p as { error: string }).error}`),
    ...of('error').map((e) => `${e.during}: ${e.message}`),
  ];
  /** What every prepare that succeeded replied, in order. */
  const prepared = () => replies.filter((p) => p.ok && p.request === 'prepare').map((p) => (p as { result: unknown }).result as PreparedInfo);
  return { session, events, replies, messages, of, next, send, call, failures, prepared };
}
