// How the page writes numbers a person reads: counts, durations and time left.
import { describe, expect, it } from 'vitest';
import { formatCountOf, formatDuration, formatEta } from '../../src/ui/format.ts';

describe('formatDuration', () => {
  it('says milliseconds under a second, where "0.0 s" would say nothing', () => {
    expect([0.2, 42.4, 999.4].map(formatDuration)).toEqual(['1 ms', '42 ms', '999 ms']);
  });
  it('says seconds with one decimal from a second on', () => {
    expect([1000, 3449, 61_000].map(formatDuration)).toEqual(['1.0 s', '3.4 s', '61.0 s']);
  });
});

describe('formatEta', () => {
  it('rounds time left up, in seconds then minutes', () => {
    expect([null, 0.5, 1.2, 59.5, 61].map(formatEta)).toEqual([
      'estimating time left', 'almost done', 'about 2 s left', 'about 60 s left', 'about 2 min left',
    ]);
  });
});

describe('formatCountOf', () => {
  it('says the noun in the singular for exactly one, grouped digits otherwise', () => {
    expect([0, 1, 2, 1024].map((n) => formatCountOf(n, 'epoch'))).toEqual(['0 epochs', '1 epoch', '2 epochs', '1,024 epochs']);
    expect(formatCountOf(1, 'child', 'children')).toBe('1 child');
    expect(formatCountOf(3, 'child', 'children')).toBe('3 children');
  });
});
