// The two counting rules of design.md.
export type { Rule, Reason } from './types.ts';
