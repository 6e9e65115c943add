import type { NodeSignature } from '../backends/index.ts';
import type { MissReason } from '../report/index.ts';

/** The parts of a signature a miss is explained from. */
export type SignatureParts = Pick<
  NodeSignature,
  | 'key'
  | 'codeHash'
  | 'envHash'
  | 'inputsHash'
  | 'depsHash'
  | 'codeParts'
  | 'envParts'
  | 'inputParts'
  | 'depsParts'
>;

/**
 * Why `current` missed, given the last signature the backend recorded for the node: the first
 * part that differs (code, then env, inputs, deps), and every change that can be named.
 * The same key with no stored entry means the entry was evicted (or pruned, or expired).
 */
export function explainMiss(
  previous: NodeSignature | undefined,
  current: SignatureParts,
): { reason: MissReason; changed: string[] } {
  if (!previous) return { reason: 'new', changed: [] };
  if (previous.key === current.key) return { reason: 'evicted', changed: [] };
  const changed = [
    ...diffParts(previous.codeParts, current.codeParts, codeLabel),
    ...diffParts(previous.envParts, current.envParts, envLabel),
    ...diffParts(previous.inputParts, current.inputParts, (name) => `input \`${name}\``),
    ...diffParts(previous.depsParts, current.depsParts, (name) => `upstream \`${name}\``),
  ];
  const reason: MissReason =
    previous.codeHash !== current.codeHash
      ? 'code'
      : previous.envHash !== current.envHash
        ? 'env'
        : previous.inputsHash !== current.inputsHash
          ? 'inputs'
          : 'deps';
  return { reason, changed };
}

type Label = (name: string, before: string | undefined, after: string | undefined) => string;

function diffParts(
  before: Record<string, string> | undefined,
  after: Record<string, string> | undefined,
  label: Label,
): string[] {
  if (!before || !after) return [];
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  return [...names]
    .filter((name) => before[name] !== after[name])
    .map((name) => label(name, before[name], after[name]));
}

/** `<self>` → the node's own code; `helpers.ts#scale` → helper `scale` (helpers.ts); `<version>` → version. */
function codeLabel(name: string): string {
  if (name === '<self>') return 'its own code';
  if (name === '<version>') return '`version`';
  if (name.startsWith('<deps[')) return `\`deps[${name.slice(6, -2)}]\``;
  const hash = name.lastIndexOf('#');
  const symbol = (hash === -1 ? name : name.slice(hash + 1)).replace(/~local$/, '');
  return hash === -1 ? `helper \`${symbol}\`` : `helper \`${symbol}\` (${name.slice(0, hash)})`;
}

/** `npm:lodash` → package `lodash` 4.17.20 → 4.17.21; `env:REGION` → env `REGION`. */
function envLabel(name: string, before: string | undefined, after: string | undefined): string {
  if (name.startsWith('npm:')) {
    const version = (value: string | undefined) => value?.slice(value.lastIndexOf('@') + 1) ?? 'none';
    return `package \`${name.slice(4)}\` ${version(before)} → ${version(after)}`;
  }
  if (name.startsWith('env:')) return `env \`${name.slice(4)}\``;
  return `${name} ${before ?? 'none'} → ${after ?? 'none'}`;
}
