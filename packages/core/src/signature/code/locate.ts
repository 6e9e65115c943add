import {
  type AstNode,
  children,
  findPath,
  isFunctionNode,
  loadModule,
  offsetOf,
  type ParsedModule,
  parseSource,
  unwrap,
} from './ast.ts';
import { type CallSite, isRelative, resolveRelative } from './call-site.ts';
import { normalize } from './normalize.ts';
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

/** The call expression at a call site, found by the position V8 reports for a call: its callee's name. */
export function findCall(site: CallSite): { module: ParsedModule; path: AstNode[] } | undefined {
  const module = loadModule(site.file);
  if (!module) return undefined;
  const offset = offsetOf(module.source, site.line, site.column);
  const path =
    findPath(
      module.program,
      offset,
      (node) => node.type === 'CallExpression' && calleeOffset(node) === offset,
    ) ??
    findPath(
      module.program,
      offset,
      (node) => node.type === 'CallExpression' && node.loc?.start.line === site.line,
    );
  return path && { module, path };
}

function calleeOffset(call: AstNode): number {
  const callee = unwrap(call.callee);
  return callee.type === 'MemberExpression' ? callee.property.start : callee.start;
}

/** The function a `func()` call (or `@func()` decorator) at `call` wraps, followed through names and relative imports. */
export function functionAtCall(
  module: ParsedModule,
  callPath: AstNode[],
  form: WrapForm,
): LocatedFunction | undefined {
  const call = callPath.at(-1)!;
  if (form === 'decorator') {
    const decorator = callPath.at(-2);
    const member = callPath.at(-3);
    if (decorator?.type !== 'Decorator' || !member?.value || !isFunctionNode(member.value)) return undefined;
    return { module, node: member.value, path: [...callPath.slice(0, -2), member.value] };
  }
  const argument = call.arguments.at(-1);
  return argument && resolveFunction(module, [...callPath, unwrap(argument)]);
}

/** The option `name` of the options object literal at a call, if it is written there. */
export function optionAt(callPath: AstNode[], name: string): AstNode | undefined {
  const options = callPath.at(-1)!.arguments[0];
  if (options?.type !== 'ObjectExpression') return undefined;
  const property = options.properties.find(
    (p: AstNode) => p.type === 'Property' && !p.computed && (p.key.name ?? p.key.value) === name,
  );
  return property && unwrap(property.value);
}

/** Resolves an expression at the end of `path` to the function it denotes, across modules; undefined when it is not static. */
export function resolveFunction(
  module: ParsedModule,
  path: AstNode[],
  seen = new Set<AstNode>(),
): LocatedFunction | undefined {
  const node = path.at(-1)!;
  if (isFunctionNode(node)) return { module, node, path };
  if (node.type !== 'Identifier' || seen.has(node)) return undefined;
  seen.add(node);
  const found = lookup(node.name, path);
  if (!found) return undefined;
  const target = declarationOf(found.binding, module);
  if (!target) return undefined;
  const value = functionValue(target.binding);
  if (!value) return undefined;
  const valuePath = pathTo(target.module.program, value);
  if (!valuePath) return undefined;
  return isFunctionNode(value)
    ? { module: target.module, node: value, path: valuePath }
    : resolveFunction(target.module, valuePath, seen);
}

function functionValue(binding: Binding): AstNode | undefined {
  const node = binding.node;
  // A `let` or `var` may have been reassigned since: its initializer is not necessarily its value.
  if (binding.kind === 'let' || binding.kind === 'var') return undefined;
  if (node.type === 'FunctionDeclaration') return node;
  if (node.type === 'VariableDeclarator' && node.init) return unwrap(node.init);
  if (node.type === 'ExportDefaultDeclaration') return unwrap(node.declaration);
  return undefined;
}

/** Where a binding is really declared: through imports of relative modules (and re-exports), to the declaring module. */
export function declarationOf(
  binding: Binding,
  module: ParsedModule,
): { binding: Binding; module: ParsedModule } | undefined {
  if (binding.kind !== 'import') return { binding, module };
  if (!isRelative(binding.source!) || binding.imported === '*') return undefined;
  const file = resolveRelative(binding.source!, module.file);
  const target = file && loadModule(file);
  if (!target) return undefined;
  const exported = resolveExport(target, binding.imported!);
  return exported && declarationOf(exported.binding, exported.module);
}

/** The binding a module exports under `name`, following `export { a as name }`, `export … from` and `export *`. */
function resolveExport(
  module: ParsedModule,
  name: string,
  seen = new Set<string>(),
): { binding: Binding; module: ParsedModule } | undefined {
  if (seen.has(module.file)) return undefined;
  seen.add(module.file);
  const bindings = bindingsOf(module.program);
  const starSources: string[] = [];
  for (const statement of module.program.body as AstNode[]) {
    if (statement.type === 'ExportDefaultDeclaration' && name === 'default') {
      const declaration = statement.declaration;
      const local =
        declaration.id?.name ?? (declaration.type === 'Identifier' ? declaration.name : undefined);
      const binding = local ? bindings.get(local) : undefined;
      return { binding: binding ?? { name: 'default', kind: 'const', node: statement }, module };
    }
    if (statement.type === 'ExportNamedDeclaration') {
      if (statement.declaration && bindings.get(name)?.node && declares(statement.declaration, name)) {
        return { binding: bindings.get(name)!, module };
      }
      for (const specifier of statement.specifiers ?? []) {
        const exported = specifier.exported.name ?? specifier.exported.value;
        if (exported !== name) continue;
        const local = specifier.local.name ?? specifier.local.value;
        if (!statement.source) {
          const binding = bindings.get(local);
          return binding && { binding, module };
        }
        const next = relativeModule(statement.source.value, module);
        return next && resolveExport(next, local, seen);
      }
    }
    if (statement.type === 'ExportAllDeclaration' && !statement.exported)
      starSources.push(statement.source.value);
  }
  for (const source of starSources) {
    const next = relativeModule(source, module);
    const found = next && resolveExport(next, name, seen);
    if (found) return found;
  }
  return undefined;
}

function declares(declaration: AstNode, name: string): boolean {
  if (declaration.id?.name === name) return true;
  return (declaration.declarations ?? []).some((d: AstNode) => bindingNames(d.id).includes(name));
}

function bindingNames(pattern: AstNode): string[] {
  return pattern.type === 'Identifier' ? [pattern.name] : [...children(pattern)].flatMap(bindingNames);
}

function relativeModule(specifier: string, from: ParsedModule): ParsedModule | undefined {
  if (!isRelative(specifier)) return undefined;
  const file = resolveRelative(specifier, from.file);
  return file ? loadModule(file) : undefined;
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

/** A function in `module` whose normalized AST equals `runtimeNode`'s, if exactly one does. */
export function matchByShape(module: ParsedModule, runtimeNode: AstNode): LocatedFunction | undefined {
  const wanted = normalize(runtimeNode);
  const matches: AstNode[][] = [];
  const visit = (node: AstNode, path: AstNode[]) => {
    path.push(node);
    if (isFunctionNode(node) && normalize(node) === wanted) matches.push([...path]);
    for (const child of children(node)) visit(child, path);
    path.pop();
  };
  visit(module.program, []);
  if (matches.length !== 1) return undefined;
  const path = matches[0]!;
  return { module, node: path.at(-1)!, path };
}
