/** Sizes as people read them, one way everywhere: reports, the CLI, backends' messages. */

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'] as const;

/** `512 B`, `1.5 KiB`, `12.3 MiB`, `152 MiB`, `2.0 GiB`. */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 1024) return `${Math.max(0, Math.round(bytes || 0))} B`;
  let unit = 0;
  let value = bytes;
  while (unit < BYTE_UNITS.length - 1 && value >= 1024) {
    value /= 1024;
    unit++;
  }
  let digits = value < 100 ? value.toFixed(1) : Math.round(value).toString();
  // 1023.97 KiB would print as `1024 KiB`: say `1.0 MiB` instead.
  if (digits === '1024' && unit < BYTE_UNITS.length - 1) {
    unit++;
    digits = '1.0';
  }
  return `${digits} ${BYTE_UNITS[unit]}`;
}
