/** Human units on the command line: sizes (`1GB`, `512MiB`) and durations (`7d`, `90m`). */
import { UsageError } from './errors.ts';

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
};

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Bytes of a size like `1GB`, `1.5 GiB`, `500k` or `1048576`; `what` names the flag in an error. */
export function parseSize(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = match?.[2]?.toLowerCase() ?? '';
  const factor =
    SIZE_UNITS[unit === 'k' || unit === 'm' || unit === 'g' || unit === 't' ? `${unit}b` : unit || 'b'];
  if (!match || factor === undefined) {
    throw new UsageError(
      `${what} ${JSON.stringify(text)} is not a size: use e.g. 500MB, 1GB, 2GiB or a number of bytes`,
    );
  }
  return Math.round(Number(match[1]) * factor);
}

/** Milliseconds of a duration like `7d`, `12h`, `90m`, `30s` or `500ms`; `what` names the flag in an error. */
export function parseDuration(text: string, what: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)\s*$/i.exec(text);
  const factor = match ? DURATION_UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || factor === undefined) {
    throw new UsageError(
      `${what} ${JSON.stringify(text)} is not a duration: use e.g. 30s, 90m, 12h, 7d or 2w`,
    );
  }
  return Math.round(Number(match[1]) * factor);
}

/** A moment for people: `2026-11-21 12:03` in local time. */
export function formatTime(ms: number): string {
  const date = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())} ${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
