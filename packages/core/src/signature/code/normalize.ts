import { type AstNode, fields, isNode } from './ast.ts';

const cache = new WeakMap<AstNode, string>();

/**
 * The normalized text of a node: its structure, identifiers and literal values, without
 * positions, comments, formatting, raw spellings (`1.0` and `1`, `'a'` and `"a"` are the same)
 * or anything that exists only for the type checker.
 */
export function normalize(node: AstNode): string {
  let text = cache.get(node);
  if (text === undefined) {
    text = write(node);
    cache.set(node, text);
  }
  return text;
}

function write(node: AstNode): string {
  if (node.type === 'Literal') return `(Literal ${literal(node)})`;
  let out = `(${node.type}`;
  for (const [key, value] of fields(node)) {
    if (value === undefined) continue;
    out += ` ${key}=${writeValue(value)}`;
  }
  return `${out})`;
}

function writeValue(value: unknown): string {
  if (isNode(value)) return normalize(value);
  if (Array.isArray(value))
    return `[${value.map((item) => (item === null ? 'hole' : writeValue(item))).join(' ')}]`;
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? String(value);
  // Plain records on nodes, e.g. a TemplateElement's { raw, cooked }.
  return JSON.stringify(value);
}

function literal(node: AstNode): string {
  if (node.regex) return `regex:/${node.regex.pattern}/${node.regex.flags}`;
  if (node.bigint !== undefined) return `bigint:${node.bigint}`;
  const value = node.value;
  if (typeof value === 'number') return `number:${Object.is(value, -0) ? '-0' : String(value)}`;
  return `${typeof value}:${JSON.stringify(value)}`;
}
