/// <reference lib="webworker" />
// The prep worker: archives in, the table and pages of rows out (see prep-protocol.ts).
// All unzipping, parsing and classifying happens here, so the page never freezes.
import type { PrepCalls, PrepEvent, PrepOutMessage, PrepRequest } from './prep-protocol.ts';
import { PrepSession, errorLine } from './prep-session.ts';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const post = (m: PrepOutMessage): void => scope.postMessage(m);
const emit = (e: PrepEvent): void => post(e);

const session = new PrepSession({
  progress: (progress) => emit({ type: 'progress', progress }),
  table: (table) => emit({ type: 'table', table }),
  error: (archive, message) => emit({ type: 'error', archive, message }),
});

/** One handler per call; the mapped type makes a missing or mistyped handler a compile error. */
const handlers: { [M in keyof PrepCalls]: (p: PrepCalls[M]['params']) => Promise<PrepCalls[M]['result']> | PrepCalls[M]['result'] } = {
  addArchives: ({ files }) => session.addArchives(files),
  setOptions: ({ rule, excludeReplies }) => session.setOptions(rule, excludeReplies),
  removeAccount: ({ username }) => session.removeAccount(username),
  queryRows: (q) => session.queryRows(q),
  getTrainingTexts: () => session.trainingTexts(),
};

scope.onmessage = async (ev: MessageEvent<PrepRequest>) => {
  const req = ev.data;
  try {
    const handler = handlers[req.method] as (p: unknown) => unknown;
    const result = await handler(req.params);
    post({ type: 'reply', id: req.id, ok: true, result });
  } catch (e) {
    post({ type: 'reply', id: req.id, ok: false, error: errorLine(e) });
  }
};
