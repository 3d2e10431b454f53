// Numbers as a person reads them in the page (sizes, counts, time left).

const COUNT = new Intl.NumberFormat('en-US');

export function formatCount(n: number): string {
  return COUNT.format(n);
}

/** A count and its noun, singular for exactly one: "1 epoch", "1,024 tweets". */
export function formatCountOf(n: number, noun: string, plural = `${noun}s`): string {
  return `${formatCount(n)} ${n === 1 ? noun : plural}`;
}

export { formatBytes } from '../lib/bytes.ts';

/** Seconds left -> "about 40 s left" / "about 3 min left"; null -> "estimating time left". */
export function formatEta(seconds: number | null): string {
  if (seconds === null) return 'estimating time left';
  if (seconds < 1) return 'almost done';
  if (seconds < 60) return `about ${Math.ceil(seconds)} s left`;
  return `about ${Math.ceil(seconds / 60)} min left`;
}

/** A duration: "42 ms" under a second (where "0.0 s" would say nothing), else "3.4 s". */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.max(1, Math.round(ms))} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** An archive timestamp ("Wed Oct 10 20:19:24 +0000 2018" or ISO) -> "2018-10-10"; unparseable stays as is. */
export function formatDate(createdAt: string): string {
  const t = Date.parse(createdAt);
  return Number.isNaN(t) ? createdAt : new Date(t).toISOString().slice(0, 10);
}
