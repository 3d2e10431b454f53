// The prep worker's state, apart from the messaging so it reads (and runs) without a worker:
// the archives loaded so far, the dataset built from them under the current rule, and the
// filtered views the explorer pages through.
import { InflateBudget } from '../lib/archive/budget.ts';
import { readArchive } from '../lib/archive/read-archive.ts';
import type { ArchiveContent, ReadProgress } from '../lib/archive/types.ts';
import { buildDataset, DatasetTweets } from '../lib/dataset/table.ts';
import { searchMatcher } from '../lib/dataset/clean.ts';
import { etaSeconds } from '../lib/eta.ts';
import { keptLanguages, type LanguageCounts } from '../lib/dataset/languages.ts';
import { DEFAULT_RULE, type Dataset, type Reason, type Rule } from '../lib/dataset/types.ts';
import type { ArchiveProgress, PrepTable, RowPage, RowQuery, TrainingTexts } from './prep-protocol.ts';

/** Progress events at most this often per archive: more would only flood the page. */
const PROGRESS_EVERY_MS = 100;

export interface SessionEvents {
  progress(p: ArchiveProgress): void;
  table(t: PrepTable): void;
  error(archive: string, message: string): void;
}

/** One readable line from whatever was thrown. */
export function errorLine(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return msg.replace(/\s*\n\s*/g, ' ').trim() || 'unknown error';
}

export class PrepSession {
  #contents: ArchiveContent[] = [];
  #rule: Rule = DEFAULT_RULE;
  #excludeReplies = false;
  #dataset: Dataset = { rule: DEFAULT_RULE, excludeReplies: false, users: [], tweets: new DatasetTweets() };
  /** The kept tweets' languages, counted once per dataset. */
  #languages: LanguageCounts = {};
  /** What the archives loaded (and the one being read) may inflate in all: see budget.ts. */
  #budget: InflateBudget;
  #version = 0;
  /** The last filtered view: indices into #dataset.tweets, reused while the page scrolls. */
  #view: { key: string; indices: Uint32Array } | null = null;

  constructor(private readonly events: SessionEvents, budget = new InflateBudget()) {
    this.#budget = budget;
  }

  /** Reads each archive in turn; a refused one is reported and skipped, the others still load. */
  async addArchives(files: File[]): Promise<{ loaded: string[]; failed: string[] }> {
    const loaded: string[] = [];
    const failed: string[] = [];
    for (const file of files) {
      const content = await this.#read(file);
      if (!content) {
        failed.push(file.name);
        continue;
      }
      this.#contents.push(content);
      this.#rebuild();
      this.events.progress({ archive: file.name, phase: 'done', bytesRead: file.size, bytesTotal: file.size,
        tweets: content.tweets.length, etaSeconds: 0, ...(content.warnings?.length ? { warnings: content.warnings } : {}) });
      loaded.push(file.name);
    }
    return { loaded, failed };
  }

  async #read(file: File): Promise<ArchiveContent | null> {
    const start = performance.now();
    let last = 0;
    const report = (p: ReadProgress, phase: ArchiveProgress['phase']): void => {
      this.events.progress({ ...p, phase, etaSeconds: etaSeconds(p.bytesRead, p.bytesTotal, performance.now() - start) });
    };
    report({ archive: file.name, bytesRead: 0, bytesTotal: file.size, tweets: 0 }, 'reading');
    try {
      const content = await readArchive(file, file.name, {
        budget: this.#budget,
        onProgress: (p) => {
          const now = performance.now();
          if (now - last < PROGRESS_EVERY_MS && p.bytesRead < p.bytesTotal) return;
          last = now;
          report(p, 'reading');
        },
      });
      this.events.progress({ archive: file.name, phase: 'classifying', bytesRead: file.size, bytesTotal: file.size,
        tweets: content.tweets.length, etaSeconds: null });
      return content;
    } catch (e) {
      this.events.progress({ archive: file.name, phase: 'failed', bytesRead: 0, bytesTotal: file.size, tweets: 0, etaSeconds: null });
      this.events.error(file.name, errorLine(e));
      return null;
    }
  }

  setOptions(rule: Rule, excludeReplies: boolean): PrepTable {
    this.#rule = rule;
    this.#excludeReplies = excludeReplies;
    return this.#rebuild();
  }

  /** Drops every archive of that account (the same account may have come in several zips). */
  removeAccount(username: string): PrepTable {
    // Case-insensitive, as mergeArchives (and Twitter) compare usernames.
    const key = username.toLowerCase();
    const gone = (c: ArchiveContent) => c.account.username.toLowerCase() === key;
    for (const c of this.#contents) if (gone(c)) this.#budget.release(c.charged ?? 0);
    this.#contents = this.#contents.filter((c) => !gone(c));
    return this.#rebuild();
  }

  #rebuild(): PrepTable {
    this.#dataset = buildDataset(this.#contents, this.#rule, { excludeReplies: this.#excludeReplies }); // merges accounts itself
    this.#languages = keptLanguages(this.#dataset.tweets);
    this.#version++;
    this.#view = null;
    const table = this.table();
    this.events.table(table);
    return table;
  }

  table(): PrepTable {
    const reasonCounts: Record<Reason, number> = { kept: 0, retweet: 0, short: 0, reply: 0 };
    for (const u of this.#dataset.users) {
      reasonCounts.kept += u.kept;
      reasonCounts.retweet += u.retweets;
      reasonCounts.short += u.short;
      reasonCounts.reply += u.replies;
    }
    return {
      version: this.#version,
      rule: this.#dataset.rule,
      excludeReplies: this.#dataset.excludeReplies,
      users: this.#dataset.users,
      archives: this.#contents.map((c) => c.name),
      reasonCounts,
      languages: this.#languages,
    };
  }

  queryRows(q: RowQuery): RowPage {
    const indices = this.#filter(q);
    const tweets = this.#dataset.tweets;
    const offset = Math.max(0, Math.min(q.offset, indices.length));
    const end = Math.min(indices.length, offset + Math.max(0, q.limit));
    const rows = [];
    for (let i = offset; i < end; i++) rows.push({ index: i, ...tweets.at(indices[i]) });
    return { version: this.#version, total: indices.length, rows };
  }

  /** Indices of the tweets that pass the query's filters, cached for the scroll that follows. */
  #filter(q: RowQuery): Uint32Array {
    const search = q.search.trim().toLowerCase();
    const key = `${this.#version}\u0000${q.reason}\u0000${q.username ?? ''}\u0000${search}`;
    if (this.#view?.key === key) return this.#view.indices;
    const tweets = this.#dataset.tweets;
    const out = new Uint32Array(tweets.length);
    const user = q.username === undefined ? -1 : tweets.usernames.indexOf(q.username);
    const matches = search ? searchMatcher(search) : undefined;
    let n = 0;
    for (let i = 0; i < tweets.length; i++) {
      const reason = tweets.reason(i);
      if (q.reason === 'dropped' ? reason === 'kept' : q.reason !== 'all' && reason !== q.reason) continue;
      if (q.username !== undefined && tweets.user(i) !== user) continue;
      if (matches && !matches(tweets.fullText(i))) continue;
      out[n++] = i;
    }
    const indices = out.slice(0, n);
    this.#view = { key, indices };
    return indices;
  }

  /** The training texts: each account's kept tweets, cleaned, in the table's column order. */
  trainingTexts(): TrainingTexts[] {
    const byUser = new Map<string, string[]>(this.#dataset.users.map((u) => [u.username, []]));
    const { tweets } = this.#dataset;
    for (let i = 0; i < tweets.length; i++) if (tweets.reason(i) === 'kept') byUser.get(tweets.username(i))?.push(tweets.text(i));
    return [...byUser].map(([username, texts]) => ({ username, texts }));
  }
}
