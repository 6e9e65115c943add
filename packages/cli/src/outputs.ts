/** A run's outputs, printed: for people after the report, or in `run --json`'s one document. */
import { inspect } from 'node:util';
import { colors, useColor } from './terminal.ts';

/**
 * `name: value` lines under an `Outputs` heading, each value as Node's `inspect` shows it (strings
 * quoted, so `'3'` and `3` differ), cut to a screenful: long strings and arrays are shortened and
 * nesting is shown 4 levels deep. `--json` prints values whole.
 */
export function formatOutputs(outputs: Record<string, unknown>): string {
  const names = Object.keys(outputs);
  if (names.length === 0) return '';
  const lines = names.map((name) => {
    const value = inspect(outputs[name], {
      depth: 4,
      maxArrayLength: 20,
      maxStringLength: 500,
      breakLength: 100,
      colors: useColor(),
    });
    return `  ${name}: ${value.replaceAll('\n', '\n  ')}`;
  });
  return `${colors.bold('Outputs')}\n${lines.join('\n')}\n`;
}

/**
 * `run --json`'s document: `{ outputs, report }`. Values JSON has no form for are converted: a
 * bigint to its decimal string, a Map to an object (to `[key, value]` pairs when a key is not a
 * string), a Set or a typed array to an array, an `undefined` output to null. An output JSON
 * cannot hold at all (a cycle) is an error naming it.
 */
export function runDocument(outputs: Record<string, unknown>, report: unknown): string {
  const defined = Object.fromEntries(
    Object.entries(outputs).map(([name, value]) => [name, value === undefined ? null : value]),
  );
  try {
    return `${JSON.stringify({ outputs: defined, report }, toJsonValue, 2)}\n`;
  } catch (error) {
    const name = Object.keys(outputs).find((output) => !canStringify(outputs[output]));
    if (name === undefined) throw error;
    throw new Error(
      `output \`${name}\` cannot be printed as JSON (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): run without --json to see it, or choose other outputs with --output`,
      { cause: error },
    );
  }
}

function toJsonValue(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Map) {
    const entries = [...value.entries()];
    return entries.every(([key]) => typeof key === 'string') ? Object.fromEntries(entries) : entries;
  }
  if (value instanceof Set) return [...value];
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) return Array.from(value as Uint8Array);
  return value;
}

function canStringify(value: unknown): boolean {
  try {
    JSON.stringify(value, toJsonValue);
    return true;
  } catch {
    return false;
  }
}
