import { readFileSync } from 'node:fs';
import type { OxcError, ParserOptions } from 'oxc-parser';
import { onFirstUse } from '../../util/index.ts';
import type { AstNode, ParsedModule } from './types.ts';

/** How many module files this process has parsed: parsing is lazy and once per file. */
export const parseStats = { modules: 0 };

type Lang = NonNullable<ParserOptions['lang']>;

/** oxc-parser, loaded by the first parse. */
export const oxc = onFirstUse<typeof import('oxc-parser')>('oxc-parser');

function langOf(file: string): Lang {
  if (/\.[cm]?tsx$/.test(file)) return 'tsx';
  if (/\.[cm]?ts$/.test(file)) return 'ts';
  if (/\.jsx$/.test(file)) return 'jsx';
  return 'js';
}

/**
 * Parses source text into an ESTree program with positions as UTF-16 offsets (`start`, `end`).
 * JavaScript gets the TypeScript AST shape too (`optional: false`, `typeAnnotation: null`, …), so
 * a `.ts` module and the same module compiled to `.js` give the same tree once types are left out.
 * `.cjs`/`.cts` files are CommonJS; others are parsed as ES modules, falling back to CommonJS.
 * @throws SyntaxError naming `file:line:column` when the source does not parse either way.
 */
export function parseSource(source: string, file: string): AstNode {
  const lang = langOf(file);
  const commonJs = /\.c[jt]s$/.test(file);
  const options: ParserOptions = {
    lang,
    astType: 'ts',
    preserveParens: false,
    sourceType: commonJs ? 'commonjs' : 'module',
  };
  const result = oxc().parseSync(file, source, options);
  if (result.errors.length === 0) return internTypes(result.program as unknown as AstNode);
  if (!commonJs) {
    const script = oxc().parseSync(file, source, { ...options, sourceType: 'commonjs' });
    if (script.errors.length === 0) return internTypes(script.program as unknown as AstNode);
  }
  throw syntaxError(result.errors[0]!, source, file);
}

interface TypeEntry {
  type: string;
  childKeys: readonly string[];
}

const typeEntries = new Map<string, TypeEntry>();

/**
 * Replaces every node's `type` with the one interned copy of that string. JSON.parse gives each
 * node a string of its own, so every `switch (node.type)` and Set lookup compared characters;
 * interned strings compare by identity, which makes the walks after parsing several times faster.
 */
function internTypes(program: AstNode): AstNode {
  const visit = (node: AstNode): void => {
    let entry = typeEntries.get(node.type);
    if (entry === undefined) {
      // Property keys are interned strings.
      const type = Object.keys({ [node.type]: 0 })[0]!;
      entry = { type, childKeys: oxc().visitorKeys[type] ?? Object.keys(node) };
      typeEntries.set(type, entry);
    }
    node.type = entry.type;
    const keys = entry.childKeys;
    for (let k = 0; k < keys.length; k++) {
      const value = node[keys[k]!];
      if (value === null || typeof value !== 'object') continue;
      if (Array.isArray(value)) {
        for (let i = 0; i < value.length; i++) if (value[i] !== null) visit(value[i]);
      } else if (typeof value.type === 'string') visit(value);
    }
  };
  visit(program);
  return program;
}

function syntaxError(error: OxcError, source: string, file: string): SyntaxError {
  const offset = error.labels[0]?.start ?? 0;
  let line = 1;
  let lineStart = 0;
  for (
    let index = source.indexOf('\n');
    index !== -1 && index < offset;
    index = source.indexOf('\n', index + 1)
  ) {
    line++;
    lineStart = index + 1;
  }
  return new SyntaxError(`${error.message} (${file}:${line}:${offset - lineStart + 1})`);
}

const modules = new Map<string, ParsedModule | undefined>();

/**
 * The parsed module at `file`, read and parsed once per process; undefined when the file cannot
 * be read or parsed (memoflow then falls back to the function's runtime source). Synchronous on
 * purpose: it runs once per file, and a pipeline needs its nodes' parameters at construction.
 */
export function loadModule(file: string): ParsedModule | undefined {
  if (modules.has(file)) return modules.get(file);
  let parsed: ParsedModule | undefined;
  try {
    const source = readFileSync(file, 'utf8');
    parseStats.modules++;
    parsed = { file, source, program: parseSource(source, file) };
  } catch {
    parsed = undefined;
  }
  modules.set(file, parsed);
  return parsed;
}
