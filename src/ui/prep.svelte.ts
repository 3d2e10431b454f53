// Owns the prep worker and exposes what it reports as runes, so components only read state
// and call methods (svelte.dev's REPL wraps its workers the same way).
import type { Rule } from '../lib/dataset/types.ts';
import { DEFAULT_RULE } from '../lib/dataset/types.ts';
import type {
  AddResult, ArchiveProgress, PrepCalls, PrepMethod, PrepOutMessage, PrepRequest, PrepTable, RowPage, RowQuery, TrainingTexts,
} from '../workers/prep-protocol.ts';

export interface ArchiveFailure {
  archive: string;
  message: string;
}

export class Prep {
  /** The latest table; null until the first archive loads. */
  table = $state.raw<PrepTable | null>(null);
  /** Progress of each archive of the current drop, in drop order. */
  progress = $state.raw<ArchiveProgress[]>([]);
  /** Archives refused since the last drop, each with one readable line. */
  errors = $state.raw<ArchiveFailure[]>([]);
  /** True while archives are being read. */
  busy = $state.raw(false);
  /** The person's choices; the table says which ones made it. */
  rule = $state.raw<Rule>(DEFAULT_RULE);
  excludeReplies = $state.raw(false);

  #worker: Worker;
  #nextId = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  /** Drops in flight; busy stays true until all of them are read. */
  #adding = 0;

  constructor() {
    this.#worker = new Worker(new URL('../workers/prep.worker.ts', import.meta.url), { type: 'module', name: 'prep' });
    this.#worker.onmessage = (ev: MessageEvent<PrepOutMessage>) => this.#receive(ev.data);
    this.#worker.onerror = (ev) => {
      // The worker itself died (e.g. a script failed to load): fail every pending call.
      const message = ev.message || 'the data worker stopped';
      for (const p of this.#pending.values()) p.reject(new Error(message));
      this.#pending.clear();
      this.errors = [...this.errors, { archive: '', message }];
      this.busy = false;
    };
  }

  #receive(m: PrepOutMessage): void {
    switch (m.type) {
      case 'reply': {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (m.ok) p?.resolve(m.result);
        else p?.reject(new Error(m.error));
        break;
      }
      case 'progress': {
        const i = this.progress.findIndex((p) => p.archive === m.progress.archive);
        this.progress = i < 0 ? [...this.progress, m.progress] : this.progress.with(i, m.progress);
        break;
      }
      case 'table':
        this.table = m.table;
        break;
      case 'error':
        this.errors = [...this.errors, { archive: m.archive, message: m.message }];
        break;
    }
  }

  #call<M extends PrepMethod>(method: M, params: PrepCalls[M]['params']): Promise<PrepCalls[M]['result']> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#worker.postMessage({ id, method, params } as PrepRequest);
    });
  }

  /** Reads the zips; those already loaded stay loaded whatever happens to these. */
  async addFiles(files: File[]): Promise<AddResult> {
    if (this.#adding === 0) {
      this.errors = [];
      this.progress = [];
    }
    this.#adding++;
    this.busy = true;
    try {
      return await this.#call('addArchives', { files });
    } finally {
      this.#adding--;
      this.busy = this.#adding > 0;
    }
  }

  /** The made-up sample accounts the build ships under sample/ (see scripts/fixtures/sample-archive.ts). */
  async addSamples(): Promise<AddResult> {
    try {
      const base = new URL('sample/', document.baseURI);
      const names = (await (await fetch(new URL('index.json', base))).json()) as string[];
      const files = await Promise.all(
        names.map(async (n) => {
          const res = await fetch(new URL(n, base));
          if (!res.ok) throw new Error(`could not load the sample archive ${n} (HTTP ${res.status})`);
          return new File([await res.blob()], n, { type: 'application/zip' });
        }),
      );
      return await this.addFiles(files);
    } catch (e) {
      this.errors = [...this.errors, { archive: 'sample', message: e instanceof Error ? e.message : String(e) }];
      return { loaded: [], failed: ['sample'] };
    }
  }

  async setRule(rule: Rule): Promise<void> {
    this.rule = rule;
    await this.#call('setOptions', { rule, excludeReplies: this.excludeReplies });
  }

  async setExcludeReplies(excludeReplies: boolean): Promise<void> {
    this.excludeReplies = excludeReplies;
    await this.#call('setOptions', { rule: this.rule, excludeReplies });
  }

  async removeAccount(username: string): Promise<void> {
    await this.#call('removeAccount', { username });
  }

  dismissErrors(): void {
    this.errors = [];
  }

  queryRows(q: RowQuery): Promise<RowPage> {
    return this.#call('queryRows', q);
  }

  /** Each account's kept, cleaned texts: what training will read. */
  getTrainingTexts(): Promise<TrainingTexts[]> {
    return this.#call('getTrainingTexts', {});
  }

  dispose(): void {
    this.#worker.terminate();
    for (const p of this.#pending.values()) p.reject(new Error('the data worker was closed'));
    this.#pending.clear();
  }
}
