import { type AstNode, isFunctionNode, isTypeOnly, runtimeKeys, unwrap } from './ast.ts';

const cache = new WeakMap<AstNode, string>();

/**
 * The normalized text of a node: its structure, identifiers and literal values, without
 * positions, comments, formatting, parentheses, raw spellings (`1.0` and `1`, `'a'` and `"a"` are
 * the same) or anything that exists only for the type checker, so a `.ts` module and its
 * type-stripped `.js` give the same text.
 */
export function normalize(node: AstNode): string {
  let text = cache.get(node);
  if (text === undefined) {
    text = write(node);
    cache.set(node, text);
  }
  return text;
}

// Functions and classes are what gets normalized again on its own (a helper inside a hashed
// function); caching every node would cost more than it saves.
function writeChild(node: AstNode): string {
  return isFunctionNode(node) || node.type === 'ClassExpression' || node.type === 'ClassDeclaration'
    ? normalize(node)
    : write(node);
}

function write(node: AstNode): string {
  const type = node.type;
  // Identifier names never hold spaces, quotes or parentheses: no escaping needed.
  if (type === 'Identifier' && !node.decorators?.length) return `(Identifier ${node.name})`;
  if (type === 'Literal') return `(Literal ${literal(node)})`;
  // esbuild (and so tsx) prints the global `undefined` as `void 0`: both read the same value.
  if (type === 'UnaryExpression' && node.operator === 'void' && node.argument.value === 0)
    return '(Identifier undefined)';
  let out = `(${type}`;
  const keys = runtimeKeys(node);
  for (let k = 0; k < keys.length; k++) {
    const key = keys[k]!;
    const value = node[key];
    if (value === undefined) continue;
    out += ` ${key}=`;
    if (value === null) out += 'null';
    else if (typeof value !== 'object')
      out += typeof value === 'string' ? writeString(key, value) : String(value);
    else if (Array.isArray(value)) out += writeArray(value);
    else if (typeof value.type === 'string') out += writeChild(unwrap(value));
    // Plain records on nodes, e.g. a TemplateElement's { raw, cooked }: `raw` is what String.raw sees.
    else out += JSON.stringify(value);
  }
  return `${out})`;
}

// Only a directive's and a JSX text's value are free text; other strings (`operator`, `kind`,
// names) are single tokens, and quoting them costs more than the rest of the node.
function writeString(key: string, value: string): string {
  return key === 'value' || key === 'directive' || key === 'raw' ? JSON.stringify(value) : value;
}

function writeArray(items: unknown[]): string {
  let out = '[';
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as AstNode | null;
    if (item === null) out += ' hole';
    else if (!isTypeOnly(item)) out += ` ${writeChild(unwrap(item))}`;
  }
  return `${out} ]`;
}

function literal(node: AstNode): string {
  if (node.regex) return `regex:/${node.regex.pattern}/${node.regex.flags}`;
  if (node.bigint !== undefined && node.bigint !== null) return `bigint:${node.bigint}`;
  const value = node.value;
  if (typeof value === 'number') return `number:${Object.is(value, -0) ? '-0' : String(value)}`;
  return `${typeof value}:${JSON.stringify(value)}`;
}
