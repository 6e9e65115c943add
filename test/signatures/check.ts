import { basename } from 'node:path';
import type { CallRecord, SignatureCase } from './types.ts';

/** One fresh process of a case: what it printed and the calls it reported. */
export interface RunResult {
  label: string;
  stdout: string;
  stderr: string;
  exitCode: number;
  calls: Map<string, CallRecord>;
}

/** Everything the runs of a case got wrong against what it expects; empty when it holds. */
export function check(c: SignatureCase, runs: RunResult[]): string[] {
  const problems: string[] = [];
  const first = runs[0]!;
  const last = runs.at(-1)!;
  const twoRuns = runs.length > 1;
  for (const [call, expectation] of Object.entries(c.expect)) {
    const before = first.calls.get(call);
    const after = last.calls.get(call);
    if (!after) {
      problems.push(`\`${call}\`: the ${last.label} reported nothing for it`);
      continue;
    }
    const expectsError = expectation.startsWith('error:') || expectation === 'miss-or-error';
    if (twoRuns && !expectsError && !(before && !before.error && before.computed)) {
      problems.push(`\`${call}\`: the first run did not compute it cleanly: ${describeCall(before)}`);
      continue;
    }
    const problem = checkCall(c, expectation, before, after, last);
    if (problem) problems.push(`\`${call}\` expected ${expectation}: ${problem}`);
  }
  for (const group of c.distinct ?? []) problems.push(...checkDistinct(c, group, last));
  for (const text of c.forbid ?? []) {
    if ((last.stdout + last.stderr).includes(text)) problems.push(`the output holds ${JSON.stringify(text)}`);
  }
  return problems;
}

function checkCall(
  c: SignatureCase,
  expectation: string,
  before: CallRecord | undefined,
  after: CallRecord,
  last: RunResult,
): string | undefined {
  const isMiss = () => !after.error && after.computed && after.key !== before?.key;
  switch (expectation) {
    case 'computed':
      return !after.error && after.computed ? undefined : `got ${describeCall(after)}`;
    case 'miss':
      return isMiss() ? undefined : `got ${describeCall(after)} (first key ${before?.key})`;
    case 'hit':
      return !after.error && !after.computed && after.key === before?.key
        ? undefined
        : `got ${describeCall(after)} (first key ${before?.key})`;
    case 'miss-or-error':
      return isMiss() || after.error?.code
        ? undefined
        : `got ${describeCall(after)} (first key ${before?.key})`;
  }
  const [kind, ...rest] = expectation.split(':');
  const detail = rest.join(':');
  if (kind === 'error') {
    const [code, ...fragment] = detail.split(':');
    const text = fragment.join(':');
    return after.error?.code === code && after.error?.message.includes(text)
      ? undefined
      : `got ${describeCall(after)}`;
  }
  if (kind === 'cut') {
    const cut = JSON.stringify(after.cut ?? null);
    return after.cut !== undefined && cut.includes(detail) ? undefined : `got cut ${cut}`;
  }
  if (kind === 'warns') {
    const [fragment, locator] = splitOnce(detail, '@');
    const places = linesOf(c, locator ?? fragment);
    if (places.length === 0) return `${JSON.stringify(locator ?? fragment)} is in none of the case's files`;
    const warnings = JSON.stringify(after.warnings ?? []) + last.stderr;
    const names = new RegExp(
      places
        .map(
          ({ file, line }) =>
            `${escapeRegExp(basename(file))}:${line}\\b|line ${line}\\b|"line":\\s*${line}\\b`,
        )
        .join('|'),
    );
    if (!warnings.toLowerCase().includes(fragment.toLowerCase()))
      return `no warning holds ${JSON.stringify(fragment)}: ${warnings}`;
    if (!names.test(warnings)) {
      return `no warning names ${places.map(({ file, line }) => `${file}:${line}`).join(' or ')}: ${warnings}`;
    }
    return undefined;
  }
  return `unknown expectation`;
}

function checkDistinct(c: SignatureCase, group: string[], last: RunResult): string[] {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  for (const call of group) {
    const record = last.calls.get(call);
    if (!record) {
      problems.push(`\`${call}\`: reported nothing`);
      continue;
    }
    if (record.error) {
      const refused =
        record.error.code !== undefined &&
        (c.refusalAllowed === '*' || c.refusalAllowed === record.error.code);
      if (!refused) {
        problems.push(`\`${call}\`: ${describeCall(record)}`);
      }
      continue;
    }
    const twin = seen.get(record.key!);
    if (twin) problems.push(`\`${call}\` shares its key with \`${twin}\` (${record.key})`);
    else if (!record.computed) problems.push(`\`${call}\` did not compute`);
    seen.set(record.key!, call);
  }
  return problems;
}

/** Every line of the case's own files (not node_modules) that holds `text`. */
function linesOf(c: SignatureCase, text: string): { file: string; line: number }[] {
  return Object.entries(c.files)
    .filter(([file]) => !file.startsWith('node_modules/'))
    .flatMap(([file, source]) =>
      source.split('\n').flatMap((line, index) => (line.includes(text) ? [{ file, line: index + 1 }] : [])),
    );
}

function splitOnce(text: string, separator: string): [string, string | undefined] {
  const at = text.indexOf(separator);
  return at < 0 ? [text, undefined] : [text.slice(0, at), text.slice(at + 1)];
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function describeCall(record: CallRecord | undefined): string {
  if (!record) return 'no report';
  if (record.error) return `error ${record.error.code ?? record.error.name}: ${record.error.message}`;
  return `${record.computed ? 'computed' : 'not computed'} key ${record.key}`;
}

/** The failure message: what was expected, what went wrong, and both runs' output. */
export function describeFailure(c: SignatureCase, runs: RunResult[], problems: string[]): string {
  const lines = [
    `case "${c.name}" expected ${JSON.stringify(c.expect)}${c.distinct ? ` distinct ${JSON.stringify(c.distinct)}` : ''}`,
    ...problems.map((problem) => `  - ${problem}`),
  ];
  for (const run of runs) {
    lines.push(`--- ${run.label} (exit ${run.exitCode}) stdout:`, run.stdout.trimEnd());
    lines.push(`--- ${run.label} stderr:`, run.stderr.trimEnd());
  }
  return lines.join('\n');
}
