import type { AstNode } from './types.ts';

export { loadModule, parseSource, parseStats } from './parse.ts';
export type { AstNode, ParsedModule } from './types.ts';

/** Keys that never hold runtime meaning: positions, raw spellings, and TypeScript's type positions. */
const SKIPPED_KEYS = new Set([
  'type',
  'start',
  'end',
  'range',
  'raw',
  'hashbang',
  'typeAnnotation',
  'returnType',
  'typeParameters',
  'typeArguments',
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

/** Expression wrappers that only tell the type checker something: `x as T`, `x!`, `<T>x`, `x satisfies T`, `f<T>`. */
const TYPE_WRAPPERS = new Set([
  'TSAsExpression',
  'TSSatisfiesExpression',
  'TSNonNullExpression',
  'TSTypeAssertion',
  'TSInstantiationExpression',
]);

/** True for nodes that carry no runtime behaviour: what `tsc` and esbuild leave out of their output. */
export function isTypeOnly(node: AstNode): boolean {
  switch (node.type) {
    case 'TSTypeAliasDeclaration':
    case 'TSInterfaceDeclaration':
    case 'TSDeclareFunction':
    case 'TSIndexSignature':
    case 'TSAbstractMethodDefinition':
    case 'TSAbstractPropertyDefinition':
    case 'TSAbstractAccessorProperty':
    case 'TSNamespaceExportDeclaration':
      return true;
    case 'Identifier':
      // `function f(this: Window)` declares the type of `this`, not a parameter.
      return node.name === 'this';
    case 'VariableDeclaration':
    case 'FunctionDeclaration':
    case 'ClassDeclaration':
    case 'PropertyDefinition':
    case 'TSEnumDeclaration':
      return node.declare === true;
    case 'MethodDefinition':
      return node.value.type === 'TSEmptyBodyFunctionExpression';
    case 'ImportSpecifier':
    case 'TSImportEqualsDeclaration':
      return node.importKind === 'type';
    case 'ImportDeclaration':
      // Both compilers drop an import whose every specifier is `type`.
      return node.importKind === 'type' || (node.specifiers.length > 0 && node.specifiers.every(isTypeOnly));
    case 'ExportSpecifier':
    case 'ExportAllDeclaration':
      return node.exportKind === 'type';
    case 'ExportNamedDeclaration':
      return node.exportKind === 'type' || (node.declaration !== null && isTypeOnly(node.declaration));
    case 'ExportDefaultDeclaration':
      return isTypeOnly(node.declaration);
    case 'TSModuleDeclaration':
      return node.declare === true || !isInstantiated(node);
    default:
      return false;
  }
}

/** Whether a namespace emits code: it does when it holds any statement that is not type-only. */
function isInstantiated(namespace: AstNode): boolean {
  const body = namespace.body;
  if (!body) return false;
  if (body.type === 'TSModuleDeclaration') return isInstantiated(body);
  return body.body.some((statement: AstNode) => !isTypeOnly(statement));
}

/** Strips type-only wrappers: `(x as T)!` → `x`. */
export function unwrap(node: AstNode): AstNode {
  let current = node;
  while (TYPE_WRAPPERS.has(current.type)) current = current.expression;
  return current;
}

const keysByType = new Map<string, readonly string[]>();

/**
 * The keys of a node type that can hold runtime meaning, in source order. oxc gives every node of
 * a type the same keys (only `Literal` varies, and its keys are all primitives that `normalize`
 * reads directly), so the list is built once, from the first node of the type.
 */
export function runtimeKeys(node: AstNode): readonly string[] {
  let keys = keysByType.get(node.type);
  if (keys === undefined) {
    keys = Object.keys(node).filter((key) => !SKIPPED_KEYS.has(key) && keepsKey(node.type, key));
    keysByType.set(node.type, keys);
  }
  return keys;
}

function keepsKey(type: string, key: string): boolean {
  // An identifier is its name (and a parameter's decorators): `optional` and its type are TypeScript's.
  if (type === 'Identifier') return key === 'name' || key === 'decorators';
  // `optional` is runtime meaning on `a?.b` and `a?.()`, and TypeScript's `x?: T` elsewhere.
  if (key === 'optional') return type === 'MemberExpression' || type === 'CallExpression';
  return true;
}

/**
 * The runtime-relevant fields of a node, in source order: [key, value] where value is a node,
 * an array of nodes (holes are null) or a primitive. Type-only fields and nodes are left out and
 * type wrappers are unwrapped, so everything built on this sees the program as JavaScript.
 */
export function* fields(node: AstNode): Generator<[string, unknown]> {
  for (const key of runtimeKeys(node)) {
    const value = node[key];
    if (Array.isArray(value)) {
      const kept: unknown[] = [];
      for (const item of value) {
        if (!isNode(item)) kept.push(item);
        else if (!isTypeOnly(item)) kept.push(unwrap(item));
      }
      yield [key, kept];
    } else yield [key, isNode(value) ? unwrap(value) : value];
  }
}

/** Calls `visit` on each child node of `node` in source order, as `fields` sees them. */
export function forEachChild(node: AstNode, visit: (child: AstNode) => void): void {
  const keys = runtimeKeys(node);
  for (let k = 0; k < keys.length; k++) {
    const value = node[keys[k]!];
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const item = value[i];
        if (item !== null && typeof item.type === 'string' && !isTypeOnly(item)) visit(unwrap(item));
      }
    } else if (typeof value.type === 'string') visit(unwrap(value));
  }
}

/** The child nodes of a node (flattened from arrays), as `fields` sees them. */
export function children(node: AstNode): AstNode[] {
  const found: AstNode[] = [];
  forEachChild(node, (child) => found.push(child));
  return found;
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
    forEachChild(node, visit);
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

/** The string a literal (`'x'`, or a template without substitutions) spells; undefined for anything computed. */
export function literalString(node: AstNode | undefined): string | undefined {
  if (!node) return undefined;
  const n = unwrap(node);
  if (n.type === 'Literal' && typeof n.value === 'string') return n.value;
  if (n.type === 'TemplateLiteral' && n.expressions.length === 0) return n.quasis[0].value.cooked;
  return undefined;
}

/** The property name of `a.b`, `a.#b` or `a['b']`; undefined when computed at run time. */
export function staticKey(member: AstNode): string | undefined {
  const property = unwrap(member.property);
  if (!member.computed) return property.type === 'PrivateIdentifier' ? `#${property.name}` : property.name;
  return literalString(property);
}
