import { dirname } from 'node:path';
import { readDeclaredName, writeDeclaredName } from './analysis-cache.ts';
import {
  type AstNode,
  findPath,
  isFunctionNode,
  loadModule,
  offsetOf,
  type ParsedModule,
  parseSource,
  unwrap,
} from './ast.ts';
import type { CallSite } from './call-site.ts';
import { packageRoot, portablePath } from './project-paths.ts';
import { type Binding, bindingsOf, createsScope } from './scope.ts';

/** A function's AST node, with the path from its module's program down to it. */
export interface LocatedFunction {
  module: ParsedModule;
  node: AstNode;
  /** Program → … → node. */
  path: AstNode[];
}

/** How the wrapper was created: `func(options?, fn)` wraps its last argument; `@func(options)` wraps the method it decorates. */
export type WrapForm = 'call' | 'decorator';

/**
 * The function (or class) whose source starts at or contains `offset`, the position V8 reports for
 * it: the innermost one, so `const a = (x) => x, b = (y) => y;` gives two different functions.
 */
export function functionAt(
  module: ParsedModule,
  offset: number,
  isClass = false,
): LocatedFunction | undefined {
  const path = findPath(
    module.program,
    offset,
    (node) => isFunctionNode(node) || node.type === 'ClassDeclaration' || node.type === 'ClassExpression',
  );
  if (!path) return undefined;
  // V8 places a class with a constructor at the constructor's `(`: the class is the one around it.
  const at = isClass
    ? path.findLastIndex((node) => node.type === 'ClassDeclaration' || node.type === 'ClassExpression')
    : -1;
  const end = at === -1 ? path.length : at + 1;
  return { module, node: path[end - 1]!, path: path.slice(0, end) };
}

/** Code inside an installed package: hashed by the package's version, not by its text. */
export function isPackageFile(file: string): boolean {
  return /[\\/]node_modules[\\/]/.test(file);
}

/**
 * A file's path relative to the folder of its nearest package.json, `/`-separated and without
 * extension: the same for the `.ts` source and its compiled `.js`, and in any checkout folder.
 */
export function projectLabel(file: string): string {
  return portablePath(packageRoot(file) ?? dirname(file), file);
}

/** The name a `func()` call's result is declared under (`const square = func(…)`), read from the call site. */
export function declaredNameAt(site: CallSite, form: WrapForm): string | undefined {
  // Kept on disk too: naming a function must not cost a later process a parse of its module.
  const known = readDeclaredName(site.file, site.line, site.column);
  if (known !== undefined) return known ?? undefined;
  const call = findCall(site);
  const name = call && declaredName(call.path, form);
  if (call) writeDeclaredName(site.file, site.line, site.column, call.module.source, name ?? null);
  return name;
}

/** The call expression at a call site, found by the position V8 reports for a call: its callee's name. */
export function findCall(site: CallSite): { module: ParsedModule; path: AstNode[] } | undefined {
  const module = loadModule(site.file);
  if (!module) return undefined;
  const offset = offsetOf(module.source, site.line, site.column);
  const lineStart = offsetOf(module.source, site.line, 1);
  const nextLineStart = offsetOf(module.source, site.line + 1, 1);
  const path =
    findPath(
      module.program,
      offset,
      (node) => node.type === 'CallExpression' && calleeOffset(node) === offset,
    ) ??
    findPath(
      module.program,
      offset,
      (node) => node.type === 'CallExpression' && node.start >= lineStart && node.start < nextLineStart,
    );
  return path && { module, path };
}

function calleeOffset(call: AstNode): number {
  const callee = unwrap(call.callee);
  return callee.type === 'MemberExpression' ? callee.property.start : callee.start;
}

/** The nearest scope around the end of `path` (excluding that node itself) that declares `name`. */
export function lookup(
  name: string,
  path: readonly AstNode[],
): { binding: Binding; scopeIndex: number } | undefined {
  for (let i = path.length - 2; i >= 0; i--) {
    const scope = path[i]!;
    if (!createsScope(scope)) continue;
    const binding = bindingsOf(scope).get(name);
    // A class declaration's own name inside its body is the same class the module scope declares.
    if (binding && !(binding.kind === 'self' && scope.type === 'ClassDeclaration'))
      return { binding, scopeIndex: i };
  }
  return undefined;
}

/** Program → … → node, or undefined if node is not in the program. */
export function pathTo(program: AstNode, node: AstNode): AstNode[] | undefined {
  return findPath(program, node.start, (candidate) => candidate === node);
}

/**
 * The function a runtime `toString()` shows, parsed: for eval'd code, the REPL, or a call site
 * memoflow could not resolve. Methods print as `name(x) { … }`, so they are parsed as class members.
 */
export function parseRuntimeSource(fn: Function): AstNode | undefined {
  const source = fn.toString();
  for (const [prefix, suffix] of [
    ['(', ')'],
    ['(class { ', ' })'],
  ]) {
    try {
      const program = parseSource(`${prefix}${source}${suffix}`, 'runtime.js');
      const expression = program.body[0]?.expression;
      if (expression && isFunctionNode(expression)) return expression;
      const method = expression?.body?.body?.[0];
      if (method?.value && isFunctionNode(method.value)) return method.value;
    } catch {
      // Try the next wrapping.
    }
  }
  return undefined;
}

/** `const square = func(…)` → square; `@func(…) train() {}` → train; `{ load: func(…) }` → load. */
function declaredName(callPath: AstNode[], form: WrapForm): string | undefined {
  if (form === 'decorator') {
    const member = callPath.at(-3);
    return member?.key?.name ?? member?.key?.value;
  }
  for (let i = callPath.length - 2; i >= 0; i--) {
    const parent = callPath[i]!;
    if (parent.type === 'VariableDeclarator') return parent.id.name;
    if (parent.type === 'Property' || parent.type === 'PropertyDefinition')
      return parent.key.name ?? parent.key.value;
    if (parent.type === 'AssignmentExpression') return unwrap(parent.left).property?.name ?? parent.left.name;
    // `const scaler = (k) => func(…)`: the function a factory returns is named after the factory.
    if (parent.type === 'ArrowFunctionExpression' && parent.body === callPath[i + 1]) continue;
    if (
      !/Expression$|^TS/.test(parent.type) ||
      parent.type === 'ArrowFunctionExpression' ||
      parent.type === 'FunctionExpression'
    )
      return undefined;
  }
  return undefined;
}
