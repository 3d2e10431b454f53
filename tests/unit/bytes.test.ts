import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../src/lib/bytes.ts';

describe('formatBytes', () => {
  it('reads like a file browser in decimal units, and in binary units for caps and limits', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(5000)).toBe('5.0 KB');
    expect(formatBytes(154_389_504)).toBe('154 MB');
    expect(formatBytes(2.12e9)).toBe('2.1 GB');
    expect(formatBytes(100_000, 'binary')).toBe('97.7 KiB');
    expect(formatBytes(2 ** 31, 'binary')).toBe('2.0 GiB');
    expect(formatBytes(512, 'binary')).toBe('512 bytes');
    expect(formatBytes(NaN)).toBe('unknown');
  });
});
