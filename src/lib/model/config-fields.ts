// config.json's sizes, read the same way by every family: a positive integer no larger than the
// family's bound, checked before anything is sized from it (docs/design.md, Hostile inputs).

/** `o[key]` (or `fallback`) as a positive integer at most `max`; one line naming the key otherwise. */
export function boundedInt(o: Record<string, unknown>, key: string, max: number, fallback?: number, why = ''): number {
  const v = o[key] ?? fallback;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new Error(`config.json: "${key}" must be a positive integer, got ${JSON.stringify(v)?.slice(0, 40)}`);
  }
  if (v > max) throw new Error(`config.json: "${key}" is ${v}; at most ${max} is accepted${why}`);
  return v;
}
