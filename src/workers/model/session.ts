// What the model worker does, as a plain class so Node tests can drive it without a Worker:
// it answers each ModelRequest with one ModelReply of the same id, and pushes ModelEvents.
// Its state (state.ts) is a loaded model or none, a run or none, and one status; the parts
// that change it are load.ts, prepare.ts, train.ts, device.ts, output.ts and shelf.ts.
import type { FolderModel } from '../../lib/model/load.ts';
import { quotaMessage } from '../../lib/storage/quota.ts';
import { init, recoverDevice } from './device.ts';
import { install, loadModel } from './load.ts';
import { exportModel, sample } from './output.ts';
import { prepare } from './prepare.ts';
import { PREPARE_SUPERSEDED, type ModelReply, type ModelRequest } from './protocol.ts';
import { removeCheckpoint, removeRun, shelf } from './shelf.ts';
import { SessionCore, type SessionDeps } from './state.ts';
import { cancel, pause, resume, resumeRun, start } from './train.ts';

export type { SessionDeps } from './state.ts';

export class TrainingSession {
  readonly #core: SessionCore;

  constructor(deps: SessionDeps) {
    this.#core = new SessionCore(deps);
  }

  /** Resolves when the training loop in the background (if any) has stopped. */
  async idle(): Promise<void> {
    await this.#core.loop;
  }

  /** Stops a prepare that is tokenizing (a newer one is on its way); it replies superseded. */
  abortPrepare(): void {
    this.#core.preparing?.abort();
  }

  /**
   * Stops a prepare in flight and the tokenizer workers, the only threads the session starts
   * (the model worker's nested workers end with it; tests end them here).
   */
  dispose(): void {
    this.abortPrepare();
    if (this.#core.model.kind !== 'none') this.#core.model.base.encoder.terminate();
  }

  /** Installs a model folder read by the caller (tests, with files read from disk), as if loaded from `url`. */
  useFiles(files: FolderModel, url: string): void {
    install(this.#core, files, { kind: 'url', url });
  }

  /** Handles one request and sends its one reply. */
  async handle(req: ModelRequest): Promise<void> {
    let reply: ModelReply;
    let transfer: Transferable[] | undefined;
    try {
      const result = (await this.#dispatch(req)) ?? null;
      if (req.type === 'export' && result) transfer = [(result as { bytes: Uint8Array }).bytes.buffer as ArrayBuffer];
      reply = { type: 'reply', id: req.id, request: req.type, ok: true, result };
    } catch (e) {
      reply = { type: 'reply', id: req.id, request: req.type, ok: false, error: await quotaMessage(e) };
    }
    this.#core.emit(reply, transfer);
  }

  /** Replies to a prepare that a newer one replaced before it began. */
  supersede(req: Extract<ModelRequest, { type: 'prepare' }>): void {
    this.#core.emit({ type: 'reply', id: req.id, request: req.type, ok: false, error: PREPARE_SUPERSEDED });
  }

  #dispatch(req: ModelRequest): Promise<unknown> | void {
    const core = this.#core;
    switch (req.type) {
      case 'init':
        return init(core, req.wasmPaths, req.backend, req.threads);
      case 'load':
        return loadModel(core, req.source);
      case 'prepare':
        return prepare(core, req.accounts, req.settings);
      case 'start':
        return start(core, req.name, req.card ?? null);
      case 'pause':
        return pause(core);
      case 'cancel':
        return cancel(core);
      case 'resume':
        if (core.training) return;
        core.stopSamplers('training resumed'); // training needs the weights
        return core.status.status === 'device-lost' ? recoverDevice(core) : resume(core);
      case 'resume-run':
        return resumeRun(core, req.runId);
      case 'sample':
        return sample(core, req.id, req.prompt, req.options ?? {});
      case 'stop-sample':
        core.samplers.get(req.sample)?.abort();
        return;
      case 'export':
        return exportModel(core, req.kind, req.card);
      case 'shelf':
        return shelf(core).then((runs) => core.emit({ type: 'shelf', runs }));
      case 'delete-run':
        return removeRun(core, req.runId);
      case 'delete-checkpoint':
        return removeCheckpoint(core, req.checkpointId);
    }
  }
}
