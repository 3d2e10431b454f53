// One inflate budget for a whole session (the prep worker's, or one `cli stats` run): every
// archive read into it charges what its tweets will cost to keep, and the archive that
// crosses the line is refused, naming itself, how much of it was read and the budget.
import { formatBytes } from '../bytes.ts';
import { ArchiveError } from './errors.ts';

/**
 * What all the archives of a session may inflate: 1 GiB. A real archive runs ~1.7 KB of
 * JSON a tweet, so this is ~600k tweets (a heavy account has 100k: 170 MB), which the
 * worker keeps in ~0.2 GB (the text and ~40 bytes of columns a tweet: tweet-table.ts).
 * The worst crafted input, entries that are all text with one non-Latin-1 character (so
 * held as UTF-16), keeps ~2 bytes per byte inflated: ~2 GB, still inside the 4 GB a tab's
 * worker heap can reach. Past this, an archive is a zip bomb, or a case for the CLI's
 * --budget-bytes.
 */
export const DEFAULT_BUDGET_BYTES = 2 ** 30;

/**
 * What each entry costs on top of its bytes: the per-tweet columns (~40 bytes) and, while
 * a table is built, the id index that merges archives (~70 bytes). So a bomb of tiny entries
 * (`{"id_str":"1","full_text":""}`, 30 bytes) is charged what it takes to keep, not its
 * size, and is refused after ~7M entries instead of 36M.
 */
export const ENTRY_COST = 128;

export class InflateBudget {
  /** Bytes charged by the archives read so far (and those being read). */
  used = 0;

  constructor(readonly limit = DEFAULT_BUDGET_BYTES) {
    if (!(limit > 0)) throw new Error('the inflate budget must be a positive number of bytes');
  }

  /** Gives back what an archive charged (it was refused, or removed from the session). */
  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** A meter for one archive: what it charges, released if the archive is refused or removed. */
  meter(archive: string): BudgetMeter {
    return new BudgetMeter(this, archive);
  }
}

export class BudgetMeter {
  /** Bytes this archive has charged: inflated bytes, plus ENTRY_COST an entry. */
  charged = 0;
  /** Bytes inflated, and entries read, so far. */
  inflated = 0;
  entries = 0;

  constructor(private readonly budget: InflateBudget, private readonly archive: string) {}

  /** Counts `bytes` inflated. */
  inflate(bytes: number): void {
    this.inflated += bytes;
    this.#charge(bytes);
  }

  /** Counts one entry (a tweet or a note). */
  entry(): void {
    this.entries++;
    this.#charge(ENTRY_COST);
  }

  /** Gives this archive's share back (refused, or removed from the session). */
  release(): void {
    this.budget.release(this.charged);
    this.charged = 0;
  }

  #charge(bytes: number): void {
    this.charged += bytes;
    this.budget.used += bytes;
    if (this.budget.used > this.budget.limit) throw this.#over();
  }

  #over(): ArchiveError {
    const before = this.budget.used - this.charged;
    const others = before > 0 ? `; ${formatBytes(before, 'binary')} of it taken by the archives loaded before` : '';
    return new ArchiveError('over-budget',
      `${this.archive}: refused after reading ${formatBytes(this.inflated, 'binary')} of it (${this.entries.toLocaleString('en-US')} entries): ` +
      `past the budget of ${formatBytes(this.budget.limit, 'binary')} for all the archives of this session ` +
      `(inflated bytes plus ${ENTRY_COST} bytes an entry${others})`);
  }
}
