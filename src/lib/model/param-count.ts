// Counting a parameter table, apart from parameters.ts (which holds tensors, and so brings
// tfjs): the page's model picker sizes models from their tables without loading tfjs.
import type { ParamSpec } from './family.ts';

/** Floats in a parameter table (distilgpt2: 81,912,576). */
export function countParams(table: readonly ParamSpec[]): number {
  return table.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0);
}
