// One inflate budget for a whole session (the prep worker's, or one `cli stats` run): every
// archive read into it charges what its tweets will cost to keep, and the archive that
// crosses the line is refused, naming itself, how much of it was read and the budget.
import { formatBytes } from '../bytes.ts';
import { ArchiveError } from './errors.ts';

/**
 * What all the archives of a session may inflate: 1 GiB. A real archive runs ~1.7 KB of
 * JSON a tweet, so this is ~600k tweets (a heavy account runs 100k: 170 MB), and the worker
 * keeps ~200 bytes of text and columns per tweet of it: ~0.2 GB. The worst crafted input (short
 * entries that are all text, with a non-Latin-1 character so each text is held as UTF-16,
 * and a cleaned copy) keeps ~4 bytes per byte inflated in the tweets' text columns: under
 * 3 GB in Node, still short of the 4 GB a tab's worker heap can reach. Past this, an archive
 * is a zip bomb or needs the CLI with a larger budget.
 */
export const DEFAULT_BUDGET_BYTES = 2 ** 30;

/**
 * What each entry costs on top of its bytes: the per-tweet columns (locators, flags, the
 * table's row: ~40 bytes) and the growth of their arrays. It makes a bomb of tiny entries
 * (`{"id_str":"1","full_text":""}`, 30 bytes) cost what it takes to keep, not its size.
 */
export const ENTRY_COST = 64;

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
  /** Bytes this archive has charged. */
  charged = 0;

  constructor(private readonly budget: InflateBudget, private readonly archive: string) {}

  charge(bytes: number): void {
    this.charged += bytes;
    this.budget.used += bytes;
    if (this.budget.used > this.budget.limit) throw this.#over();
  }

  /** Gives this archive's share back (refused, or removed from the session). */
  release(): void {
    this.budget.release(this.charged);
    this.charged = 0;
  }

  #over(): ArchiveError {
    const before = this.budget.used - this.charged;
    const others = before > 0 ? `, ${formatBytes(before, 'binary')} of it held by the archives loaded before` : '';
    return new ArchiveError('over-budget',
      `${this.archive}: refused after reading ${formatBytes(this.charged, 'binary')} of its tweets: past the budget of ` +
      `${formatBytes(this.budget.limit, 'binary')} of tweet data for all the archives of this session${others}`);
  }
}
