/**
 * Reading a memoized function once: its code analysis at one dependencyDepth, the node name it
 * goes by, a warning (once per process and place) for what it depends on that no hash can see,
 * which values of a call are its inputs, and the static part of its env.
 */
import { analyzeCode, type CodeAnalysis, type CodeTarget, staticEnv } from '../signature/index.ts';
import { planInputs } from './inputs.ts';
import type { MemoOptions, Prepared } from './types.ts';

/** Analyzes `fn` (at `target`) at `dependencyDepth`; throws what the analysis finds wrong. */
export function prepareFunction(
  fn: Function,
  options: MemoOptions,
  target: CodeTarget,
  dependencyDepth: number,
): Prepared {
  const analysis = analyzeCode(target, {
    dependencyDepth,
    version: options.version,
    deps: options.deps,
    captures: Object.keys(options.captures ?? {}),
  });
  const node = options.output ?? analysis.declaredName ?? (fn.name || 'anonymous');
  warnUnseen(node, analysis);
  const envNames = [...new Set([...(options.env ?? []), ...analysis.envNames])];
  const inputs = planInputs(node, analysis, { ...options, env: envNames }, fn.length);
  const { parts } = staticEnv(analysis.packages);
  return {
    node,
    analysis,
    staticEnvParts: parts,
    inputs,
    envNames,
    keys: new Map(),
    envHashes: new Map(),
  };
}

const warned = new Set<string>();

/** Says once per process and place what a function depends on that no hash can see. */
function warnUnseen(node: string, analysis: CodeAnalysis): void {
  for (const warning of analysis.warnings) {
    const text = `memoflow: \`${node}\` ${warning.replace(/^(.*?): /, '($1): ')}`;
    if (warned.has(text)) continue;
    warned.add(text);
    process.emitWarning(text, { code: 'MEMOFLOW_UNSEEN_DEPENDENCY' });
  }
}
