// Byte counts as a person reads them, in the page, the CLI and error messages alike.

/**
 * 1536 -> "1.5 KB" (decimal units, as file browsers show a zip or a download); with 'binary',
 * 1536 -> "1.5 KiB", for sizes that are powers of two by nature (a per-file cap, a GPU limit).
 * Three significant figures or so ("5.0 KB", "97.7 KiB", "154 MB"); non-finite -> "unknown".
 */
export function formatBytes(n: number, units: 'decimal' | 'binary' = 'decimal'): string {
  if (!Number.isFinite(n)) return 'unknown';
  const binary = units === 'binary';
  const base = binary ? 1024 : 1000;
  const names = binary ? ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'] : ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= base && u < names.length - 1) {
    v /= base;
    u++;
  }
  return u === 0 ? `${v} ${names[0]}` : `${v.toFixed(Math.abs(v) < 100 ? 1 : 0)} ${names[u]}`;
}
