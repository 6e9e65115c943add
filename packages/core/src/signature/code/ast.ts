import { readFileSync } from 'node:fs';
import { tsPlugin } from '@sveltejs/acorn-typescript';
import { type Options, Parser } from 'acorn';

/** An ESTree node as acorn (and its TypeScript plugin) produces it. */
export interface AstNode {
  type: string;
  start: number;
  end: number;
  loc?: { start: { line: number; column: number }; end: { line: number; column: number } };
  [key: string]: any;
}

export interface ParsedModule {
  /** Absolute path of the file. */
  file: string;
  source: string;
  program: AstNode;
}

const jsParser = Parser;
const tsParser = Parser.extend(tsPlugin() as any);
const tsxParser = Parser.extend(tsPlugin({ jsx: true }) as any);

const parseOptions: Options = {
  ecmaVersion: 'latest',
  sourceType: 'module',
  locations: true,
  allowHashBang: true,
  allowAwaitOutsideFunction: true,
  allowReturnOutsideFunction: true,
};

function parserFor(file: string): typeof Parser {
  if (/\.[cm]?tsx$/.test(file)) return tsxParser;
  if (/\.[cm]?ts$/.test(file)) return tsParser;
  return jsParser;
}

/** Parses source text; `.ts`-like files get the TypeScript plugin, CommonJS falls back to script mode. */
export function parseSource(source: string, file: string): AstNode {
  const parser = parserFor(file);
  try {
    return parser.parse(source, parseOptions) as unknown as AstNode;
  } catch (moduleError) {
    try {
      return parser.parse(source, { ...parseOptions, sourceType: 'script' }) as unknown as AstNode;
    } catch {
      throw moduleError;
    }
  }
}

const modules = new Map<string, ParsedModule | undefined>();

/** How many module files this process has parsed: parsing is lazy and once per file. */
export const parseStats = { modules: 0 };

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

/** Keys that never hold runtime meaning: positions, raw spellings, and TypeScript's type positions. */
const SKIPPED_KEYS = new Set([
  'type',
  'start',
  'end',
  'loc',
  'range',
  'raw',
  'typeAnnotation',
  'returnType',
  'typeParameters',
  'typeArguments',
  'superTypeParameters',
  'superTypeArguments',
  'implements',
  'accessibility',
  'declare',
  'definite',
  'override',
  'readonly',
  'abstract',
  'importKind',
  'exportKind',
]);

/** Statements and members that exist only for the type checker. */
const TYPE_ONLY = new Set([
  'TSTypeAliasDeclaration',
  'TSInterfaceDeclaration',
  'TSDeclareFunction',
  'TSDeclareMethod',
  'TSIndexSignature',
  'TSAbstractMethodDefinition',
  'TSAbstractPropertyDefinition',
  'TSAbstractAccessorProperty',
  'TSImportEqualsDeclaration',
]);

/** Expression wrappers that only tell the type checker something: `x as T`, `x!`, `<T>x`, `x satisfies T`, `f<T>`. */
const TYPE_WRAPPERS = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
]);

/** True for nodes that carry no runtime behaviour. */
export function isTypeOnly(node: AstNode): boolean {
  if (TYPE_ONLY.has(node.type) || node.declare === true) return true;
  if (node.importKind === 'type' || node.exportKind === 'type') return true;
  // A class property that is only declared (`x?: number;` or `declare x: T`) under `optional` still exists at runtime, so only `declare` drops it.
  return false;
}

/** Strips type-only wrappers: `(x as T)!` → `x`. */
export function unwrap(node: AstNode): AstNode {
  let current = node;
  while (TYPE_WRAPPERS.has(current.type)) current = current.expression;
  return current;
}

/**
 * The runtime-relevant fields of a node, in source order: [key, value] where value is a node,
 * an array of nodes (holes are null) or a primitive. Type-only fields and nodes are left out and
 * type wrappers are unwrapped, so everything built on this sees the program as JavaScript.
 */
export function* fields(node: AstNode): Generator<[string, unknown]> {
  for (const key in node) {
    if (SKIPPED_KEYS.has(key)) continue;
    // `optional` is runtime meaning on `a?.b` and `a?.()`, and TypeScript's `x?: T` elsewhere.
    if (key === 'optional' && node.type !== 'MemberExpression' && node.type !== 'CallExpression') continue;
    const value = node[key];
    if (Array.isArray(value)) {
      yield [
        key,
        value.filter((item) => !(item && typeof item.type === 'string' && isTypeOnly(item))).map(cleanChild),
      ];
    } else yield [key, cleanChild(value)];
  }
}

function cleanChild(value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as AstNode).type === 'string')
    return unwrap(value as AstNode);
  return value;
}

/** The child nodes of a node (flattened from arrays), as `fields` sees them. */
export function* children(node: AstNode): Generator<AstNode> {
  for (const [, value] of fields(node)) {
    if (Array.isArray(value)) {
      for (const item of value) if (isNode(item)) yield item;
    } else if (isNode(value)) yield value;
  }
}

export function isNode(value: unknown): value is AstNode {
  return value !== null && typeof value === 'object' && typeof (value as AstNode).type === 'string';
}

export function isFunctionNode(node: AstNode): boolean {
  return (
    node.type === 'FunctionDeclaration' ||
    node.type === 'FunctionExpression' ||
    node.type === 'ArrowFunctionExpression'
  );
}

/**
 * The path from the program to the innermost node satisfying `match`, descending only into
 * nodes whose range contains `offset`; undefined when none matches.
 */
export function findPath(
  program: AstNode,
  offset: number,
  match: (node: AstNode, path: readonly AstNode[]) => boolean,
): AstNode[] | undefined {
  const path: AstNode[] = [];
  let found: AstNode[] | undefined;
  const visit = (node: AstNode): void => {
    if (offset < node.start || offset > node.end) return;
    path.push(node);
    if (match(node, path)) found = [...path];
    for (const child of children(node)) visit(child);
    // Decorators are children of the member they decorate; `fields` yields them, nothing else to do.
    path.pop();
  };
  visit(program);
  return found;
}

/** Offset of a 1-based line and 1-based column in `source`. */
export function offsetOf(source: string, line: number, column: number): number {
  let offset = 0;
  for (let current = 1; current < line; current++) {
    const next = source.indexOf('\n', offset);
    if (next === -1) return source.length;
    offset = next + 1;
  }
  return offset + column - 1;
}
