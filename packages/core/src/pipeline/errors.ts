import { ConfigError, CycleError, DuplicateOutputError } from '../errors.ts';
import { type Memoized, memoOf } from '../memo/index.ts';
import type { PipelineNode } from './types.ts';

/** How many names an error message lists before it says how many more there are. */
const LISTED_NAMES = 20;

export function unknownOutputsError(
  unknown: string[],
  inputs: readonly string[],
  outputs: readonly string[],
): ConfigError {
  const inputNames = new Set(inputs);
  const names = unknown.map(
    (name) => `\`${name}\`${inputNames.has(name) ? ' (an input, not an output)' : ''}`,
  );
  const known = outputs.length === 0 ? 'it has none' : `they are ${listNames(outputs)}`;
  return new ConfigError(
    `Unknown output${unknown.length > 1 ? 's' : ''} ${names.join(', ')}: ask for outputs this pipeline produces; ${known}.`,
  );
}

export function duplicateError(first: PipelineNode, second: PipelineNode): DuplicateOutputError {
  // Both nodes have the same name, so they are told apart by the names they were declared under.
  const nodes = [first, second].map((node) => withLocation(declaredName(node.fn) ?? node.name, node));
  const [a, b] = [first, second].map((node) =>
    withLocation(`\`${declaredName(node.fn) ?? node.name}\``, node),
  );
  return new DuplicateOutputError(
    first.name,
    nodes,
    `Two nodes produce \`${first.name}\`: ${a} and ${b}. Each output name must have one producer: give one of them another name with the \`output\` option, e.g. \`func({ output: '${first.name}2' }, fn)\`.`,
  );
}

export function mapError(node: PipelineNode): ConfigError {
  const inputs = node.inputs.length === 0 ? 'it takes none' : `it takes ${listNames(node.inputs)}`;
  return new ConfigError(
    `Node ${describe(node)} maps over \`${node.map}\`, which is not one of its inputs (${inputs}): set \`map\` to the name of the array input to map over.`,
  );
}

export function cycleError(cycle: PipelineNode[]): CycleError {
  const names = cycle.map((node) => node.name);
  // A cycle through thousands of nodes is spelled by its ends, so the message stays readable.
  const spelled =
    names.length > 2 * LISTED_NAMES
      ? [
          ...names.slice(0, LISTED_NAMES),
          `… (${names.length - 2 * LISTED_NAMES} more)`,
          ...names.slice(-LISTED_NAMES),
        ].join(' → ')
      : names.join(' → ');
  const located = cycle
    .slice(0, Math.min(cycle.length - 1, LISTED_NAMES))
    .filter((node) => node.location !== undefined)
    .map((node) => `\`${node.name}\` at ${shortLocation(node.location!)}`);
  if (cycle.length - 1 > LISTED_NAMES) located.push('…');
  const how =
    cycle.length === 2
      ? `\`${names[0]}\` takes its own output`
      : 'each node takes the output of the one before it';
  return new CycleError(
    names,
    `Pipeline has a cycle: ${spelled} (${how}${located.length > 0 ? `; ${located.join(', ')}` : ''}). A node cannot take its own output, directly or through other nodes: rename an input or an output to break the cycle.`,
  );
}

/** A node for messages: its name in backticks, and where it was wrapped. */
function describe(node: PipelineNode): string {
  return withLocation(`\`${node.name}\``, node);
}

function withLocation(label: string, node: PipelineNode): string {
  return node.location === undefined ? label : `${label} (${shortLocation(node.location)})`;
}

/** The name the function was declared or assigned under (`const load = func(…)` → `load`), if any. */
function declaredName(fn: Memoized<(...args: any[]) => any>): string | undefined {
  try {
    return memoOf(fn).prepare().analysis.declaredName ?? (fn.name || undefined);
  } catch {
    return fn.name || undefined;
  }
}

function shortLocation(location: string): string {
  const cwd = `${process.cwd()}/`;
  return location.startsWith(cwd) ? location.slice(cwd.length) : location;
}

function listNames(names: readonly string[]): string {
  const shown = names.slice(0, LISTED_NAMES).map((name) => `\`${name}\``);
  if (names.length > LISTED_NAMES) shown.push(`and ${names.length - LISTED_NAMES} more`);
  return shown.join(', ');
}
