import {
  type AstNode,
  children,
  literalString,
  loadModule,
  type ParsedModule,
  staticKey,
  unwrap,
} from './ast.ts';
import { type Resolved, resolveSpecifier } from './resolve.ts';
import { type Binding, bindingsOf } from './scope.ts';
import type { Resolution } from './types.ts';

/** What an imported name turns out to be, once the import is resolved the way the program resolved it. */
export type ImportTarget =
  /** A binding declared in project source. */
  | { kind: 'binding'; binding: Binding; module: ParsedModule }
  /** A whole module: `import * as ns`, `export * as ns`, or a name a module does not declare statically (CommonJS). */
  | { kind: 'module'; module: ParsedModule }
  /** A JSON module, hashed by content. */
  | { kind: 'json'; file: string }
  | Exclude<Resolved, { kind: 'source' }>;

let resolutions: Resolution[] | undefined;

/** Runs `analyze`, noting every specifier resolution it relies on (a cached analysis re-checks them). */
export function recordingResolutions<T>(analyze: () => T): { result: T; resolutions: Resolution[] } {
  const outer = resolutions;
  resolutions = [];
  try {
    const result = analyze();
    return { result, resolutions: dedupeResolutions(resolutions) };
  } finally {
    resolutions = outer;
  }
}

function dedupeResolutions(list: Resolution[]): Resolution[] {
  const seen = new Map<string, Resolution>();
  for (const entry of list) seen.set(entry.slice(0, 3).join('\0'), entry);
  return [...seen.values()];
}

/** The module a specifier written in `from` loads: parsed project source, or what the resolver says it is. */
export function moduleAt(
  specifier: string,
  from: ParsedModule,
  kind: 'import' | 'require' = 'import',
):
  | { kind: 'module'; module: ParsedModule }
  | { kind: 'json'; file: string }
  | Exclude<Resolved, { kind: 'source' }> {
  const resolved = resolveSpecifier(specifier, from.file, kind);
  resolutions?.push([specifier, from.file, kind, JSON.stringify(resolved)]);
  if (resolved.kind !== 'source') return resolved;
  if (resolved.file.endsWith('.json')) return { kind: 'json', file: resolved.file };
  const module = loadModule(resolved.file);
  if (!module)
    return { kind: 'unresolved', specifier, reason: `${resolved.file} could not be read or parsed` };
  return { kind: 'module', module };
}

/** What the import binding `binding` of `module` denotes. */
export function importTarget(binding: Binding, module: ParsedModule): ImportTarget {
  const loaded = moduleAt(binding.source!, module);
  if (loaded.kind !== 'module') return loaded;
  if (binding.imported === '*') return loaded;
  return exportOf(loaded.module, binding.imported!) ?? loaded;
}

/**
 * The binding a module exports under `name`, following `export { a as name }`, `export … from`,
 * `export * from` and `export * as name`; undefined when the module does not declare it statically.
 */
export function exportOf(
  module: ParsedModule,
  name: string,
  seen = new Set<string>(),
): ImportTarget | undefined {
  if (seen.has(module.file)) return undefined;
  seen.add(module.file);
  const bindings = bindingsOf(module.program);
  const starSources: string[] = [];
  for (const statement of module.program.body as AstNode[]) {
    if (statement.type === 'ExportDefaultDeclaration' && name === 'default') {
      const declaration = unwrap(statement.declaration);
      const local =
        declaration.id?.name ?? (declaration.type === 'Identifier' ? declaration.name : undefined);
      const binding = local ? bindings.get(local) : undefined;
      return {
        kind: 'binding',
        binding: binding ?? { name: 'default', kind: 'const', node: statement },
        module,
      };
    }
    if (statement.type === 'ExportNamedDeclaration') {
      if (statement.declaration && declares(statement.declaration, name)) {
        const binding = bindings.get(name);
        if (binding) return { kind: 'binding', binding, module };
      }
      for (const specifier of statement.specifiers ?? []) {
        if (specifierName(specifier.exported) !== name) continue;
        const local = specifierName(specifier.local);
        if (!statement.source) {
          const binding = bindings.get(local);
          if (!binding) return undefined;
          return binding.kind === 'import'
            ? importTarget(binding, module)
            : { kind: 'binding', binding, module };
        }
        const next = moduleAt(statement.source.value, module);
        if (next.kind !== 'module') return next;
        return local === '*' ? next : (exportOf(next.module, local, seen) ?? next);
      }
    }
    if (statement.type === 'ExportAllDeclaration') {
      if (!statement.exported) starSources.push(statement.source.value);
      else if (specifierName(statement.exported) === name) return moduleAt(statement.source.value, module);
    }
  }
  for (const source of starSources) {
    const next = moduleAt(source, module);
    const found = next.kind === 'module' ? exportOf(next.module, name, seen) : undefined;
    if (found) return found;
  }
  return undefined;
}

function specifierName(node: AstNode): string {
  return node.name ?? node.value;
}

function declares(declaration: AstNode, name: string): boolean {
  if (declaration.id?.name === name) return true;
  return (declaration.declarations ?? []).some((d: AstNode) => patternHas(d.id, name));
}

function patternHas(pattern: AstNode | null, name: string): boolean {
  if (!pattern) return false;
  if (pattern.type === 'Identifier') return pattern.name === name;
  for (const child of children(pattern)) if (patternHas(child, name)) return true;
  return false;
}

/**
 * Every top-level statement of `module` that declares `name`: one for most names, several where
 * TypeScript merges declarations (two `namespace N {}` blocks, two `enum E {}` blocks, a function
 * and a namespace of the same name).
 */
export function declarationsNamed(module: ParsedModule, name: string, declaring: AstNode): AstNode[] {
  const merged: AstNode[] = [];
  for (let statement of module.program.body as AstNode[]) {
    if (statement.type === 'ExportNamedDeclaration' && statement.declaration)
      statement = statement.declaration;
    if (
      (statement.type === 'TSModuleDeclaration' ||
        statement.type === 'TSEnumDeclaration' ||
        statement.type === 'FunctionDeclaration' ||
        statement.type === 'ClassDeclaration') &&
      statement.id?.name === name &&
      !statement.declare
    )
      merged.push(statement);
  }
  return merged.length > 1 && merged.includes(declaring) ? merged : [declaring];
}

/**
 * How `node` uses the namespace variable `name`: the members it reads when every use is
 * `name.member` (or `name['member']`), or `whole` when it passes the namespace on or indexes it
 * at run time. A nested variable of the same name makes the answer larger, never smaller.
 */
export function namespaceUse(node: AstNode, name: string): Set<string> | 'whole' {
  const members = new Set<string>();
  let whole = false;
  const visit = (current: AstNode, parent: AstNode | undefined): void => {
    if (whole) return;
    const n = unwrap(current);
    if (n.type === 'MemberExpression') {
      const object = unwrap(n.object);
      if (object.type === 'Identifier' && object.name === name) {
        const member = staticKey(n);
        if (member === undefined) whole = true;
        else members.add(member);
        if (n.computed) visit(n.property, n);
        return;
      }
    }
    if (n.type === 'Identifier' && n.name === name) {
      const isKey =
        (parent?.type === 'MemberExpression' && parent.property === current && !parent.computed) ||
        ((parent?.type === 'Property' ||
          parent?.type === 'MethodDefinition' ||
          parent?.type === 'PropertyDefinition') &&
          parent.key === current &&
          !parent.computed &&
          !parent.shorthand);
      if (!isKey) whole = true;
      return;
    }
    for (const child of children(n)) visit(child, n);
  };
  visit(node, undefined);
  return whole ? 'whole' : members;
}

/** The modules `node` loads with a literal specifier: `import('./x.ts')` and `require('./x.cjs')`. */
export function loadsOf(
  node: AstNode,
  isGlobal: (name: string) => boolean,
): { specifier: string; kind: 'import' | 'require' }[] {
  const loads: { specifier: string; kind: 'import' | 'require' }[] = [];
  const visit = (current: AstNode): void => {
    const n = unwrap(current);
    if (n.type === 'ImportExpression') {
      const specifier = literalString(n.source);
      if (specifier !== undefined) loads.push({ specifier, kind: 'import' });
    } else if (n.type === 'CallExpression') {
      const callee = unwrap(n.callee);
      const specifier = literalString(n.arguments[0]);
      if (
        callee.type === 'Identifier' &&
        callee.name === 'require' &&
        isGlobal('require') &&
        specifier !== undefined
      )
        loads.push({ specifier, kind: 'require' });
    }
    for (const child of children(n)) visit(child);
  };
  visit(node);
  return loads;
}

/** `import x = require('./x')` (kind require) and `import a = Ns.a` (an entity name). */
export function importEqualsTarget(
  declaration: AstNode,
): { specifier: string } | { entity: AstNode } | undefined {
  const reference = declaration.moduleReference;
  if (!reference) return undefined;
  if (reference.type === 'TSExternalModuleReference') {
    const specifier = literalString(reference.expression);
    return specifier === undefined ? undefined : { specifier };
  }
  return { entity: reference };
}

/** The modules a program loads statically: its imports and re-exports, type-only ones left out. */
export function importsOf(program: AstNode): { specifier: string; kind: 'import' | 'require' }[] {
  const loads: { specifier: string; kind: 'import' | 'require' }[] = [];
  for (const statement of program.body as AstNode[]) {
    if (
      (statement.type === 'ImportDeclaration' ||
        statement.type === 'ExportAllDeclaration' ||
        statement.type === 'ExportNamedDeclaration') &&
      statement.source &&
      statement.importKind !== 'type' &&
      statement.exportKind !== 'type'
    )
      loads.push({ specifier: statement.source.value, kind: 'import' });
  }
  return loads;
}
