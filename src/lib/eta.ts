// Time left for a long operation, as the progress events of the prep and model workers report it.

/** Seconds left at the average rate so far; null while there is no rate yet. */
export function etaSeconds(done: number, total: number, elapsedMs: number): number | null {
  if (done <= 0 || elapsedMs < 200 || total <= 0) return null;
  return Math.max(0, ((total - done) * elapsedMs) / done / 1000);
}
