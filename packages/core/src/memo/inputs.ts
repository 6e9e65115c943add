import { ConfigError } from '../errors.ts';
import type { CodeAnalysis } from '../signature/index.ts';

/** The options that decide what a call's inputs are. */
export interface InputOptions {
  inputs?: readonly string[];
  ignore?: readonly string[];
  key?: (...args: any[]) => unknown;
  captures?: Record<string, unknown>;
  env?: readonly string[];
  files?: readonly string[];
}

/** Which values of a call are hashed, under which labels: fixed once the function's source has been read. */
export interface InputPlan {
  /** Labels and error-path roots of the hashed arguments, in order. */
  labels: string[];
  paths: string[];
  /** Indexes of the declared arguments that are hashed (ignored ones left out). */
  hashedArgs: number[];
  /** How many arguments the function declares; arguments past these are hashed as `arg<i>`. */
  arity: number;
  /** Property names dropped from a destructured argument, by argument index. */
  droppedProperties: Map<number, string[]>;
  hashesThis: boolean;
  /** No `key`, `ignore`, `this`, `captures` or `env`: the arguments are the inputs, as they are. */
  plain: boolean;
}

/**
 * Whether `inputs` name properties that the function's single parameter destructures, as in
 * `inputs: ['rows', 'threshold']` on `({ rows, threshold }) => …`: then a Pipeline passes them as
 * one object, as it does without `inputs`. Any other `inputs` name parameters in order.
 */
export function destructuresInputs(params: CodeAnalysis['params'], inputs: readonly string[]): boolean {
  const properties = params.length === 1 && !params[0]!.rest ? params[0]!.properties : undefined;
  return properties !== undefined && inputs.length > 0 && inputs.every((name) => properties.includes(name));
}

/** Plans a function's inputs; an `ignore` entry that names no parameter is a ConfigError. */
export function planInputs(
  node: string,
  analysis: CodeAnalysis,
  options: InputOptions,
  declaredLength: number,
): InputPlan {
  // Inputs a destructured parameter takes as one object are hashed as that one argument.
  const names =
    options.inputs && !destructuresInputs(analysis.params, options.inputs)
      ? options.inputs
      : analysis.params.map((p) => p.name);
  const ignored = new Set(options.ignore ?? []);
  const known = new Set(['this', ...names, ...analysis.params.flatMap((p) => p.properties ?? [])]);
  const unknown = [...ignored].filter((name) => !known.has(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `\`ignore\` of \`${node}\` names ${unknown.map((n) => `\`${n}\``).join(', ')}, which is not a parameter of it. Its parameters are ${names.map((n) => `\`${n}\``).join(', ') || 'none'}.`,
    );
  }
  const labels: string[] = [];
  const paths: string[] = [];
  const hashedArgs: number[] = [];
  const droppedProperties = new Map<number, string[]>();
  const arity = Math.max(names.length, declaredLength);
  for (let i = 0; i < arity; i++) {
    const name = names[i] ?? `arg${i}`;
    if (ignored.has(name)) continue;
    const dropped = analysis.params[i]?.properties?.filter((p) => ignored.has(p));
    if (dropped?.length) droppedProperties.set(i, dropped);
    hashedArgs.push(i);
    labels.push(name);
    paths.push(`args[${i}]`);
  }
  const hashesThis = analysis.usesThis && !ignored.has('this');
  const everyArgument = hashedArgs.length === arity && droppedProperties.size === 0;
  return {
    labels,
    paths,
    hashedArgs,
    arity,
    droppedProperties,
    hashesThis,
    plain:
      everyArgument &&
      !hashesThis &&
      !options.key &&
      !options.captures &&
      !options.env?.length &&
      !options.files?.length,
  };
}

/** The values hashed for a call, with their labels and error-path roots. */
export function inputValues(
  plan: InputPlan,
  options: InputOptions,
  self: unknown,
  args: unknown[],
): { values: unknown[]; labels: string[]; paths: string[] } {
  if (options.key)
    return { values: [options.key.apply(self, args)], labels: ['key'], paths: ['key(...args)'] };
  if (plan.plain && args.length === plan.arity)
    return { values: args, labels: plan.labels, paths: plan.paths };
  const values = plan.hashedArgs.map((i) => withoutProperties(args[i], plan.droppedProperties.get(i)));
  const labels = [...plan.labels];
  const paths = [...plan.paths];
  // Rest parameters and extra arguments beyond the declared ones are hashed too.
  for (let i = plan.arity; i < args.length; i++) {
    values.push(args[i]);
    labels.push(`arg${i}`);
    paths.push(`args[${i}]`);
  }
  if (plan.hashesThis) {
    values.push(self);
    labels.push('this');
    paths.push('this');
  }
  if (options.captures) {
    values.push(options.captures);
    labels.push('captures');
    paths.push('captures');
  }
  return { values, labels, paths };
}

function withoutProperties(value: unknown, dropped: string[] | undefined): unknown {
  if (!dropped || value === null || typeof value !== 'object') return value;
  const copy: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  for (const name of dropped) delete copy[name];
  return copy;
}

/**
 * A cheap memo key for all-primitive arguments (type tag + length-prefixed value, `-0` apart
 * from `0`), or undefined when any argument is an object, a function or a symbol. It only finds
 * the canonical key faster; the canonical encoding still decides what is equal.
 */
export function primitivesText(args: unknown[]): string | undefined {
  let text = '\u0002';
  for (let i = 0; i < args.length; i++) {
    const value = args[i];
    switch (typeof value) {
      case 'number':
        text += Object.is(value, -0) ? 'n-0;' : `n${value};`;
        break;
      case 'string':
        text += `s${value.length}:${value}`;
        break;
      case 'boolean':
        text += value ? 'T' : 'F';
        break;
      case 'undefined':
        text += 'U';
        break;
      case 'bigint':
        text += `b${value};`;
        break;
      default:
        if (value !== null) return undefined;
        text += 'N';
    }
  }
  return text;
}

/** Whether two argument lists are the same values (`Object.is`), position by position. */
export function sameArgs(last: unknown[], args: unknown[]): boolean {
  if (last.length !== args.length) return false;
  for (let i = 0; i < args.length; i++) if (!Object.is(last[i], args[i])) return false;
  return true;
}
