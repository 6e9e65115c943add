/**
 * Which own properties of an object the input hasher encodes besides its enumerable string keys:
 * non-enumerable string keys and symbol keys. Shared by the encoder and the diagnostic walker.
 */
import type { BuiltinKind } from './kind.ts';

/** What kind of owner the keys belong to: some own keys are already covered by the built-in's encoding. */
export type OwnerKind = 'class' | 'error' | 'regexp' | 'string' | 'array' | 'other';

/** An object's own keys, each group in encoding order. */
export interface OwnKeys {
  /** Enumerable string keys (unsorted). */
  readonly keys: string[];
  /** Non-enumerable string keys, sorted. */
  readonly hidden: string[];
  /** Symbol keys, sorted by their token; undefined when two local symbols share a description. */
  readonly symbols: symbol[] | undefined;
}

export const NO_KEYS: string[] = [];
const isEnumerable = Object.prototype.propertyIsEnumerable;

// V8's own bookkeeping (`stack`), or already part of the built-in encoding.
const COVERED: Record<OwnerKind, ReadonlySet<string>> = {
  class: new Set(),
  error: new Set(['stack', 'message', 'cause']),
  regexp: new Set(['lastIndex']),
  string: new Set(['length']),
  array: new Set(['length']),
  other: new Set(),
};

/** The own keys of `value` that its encoding must carry, beyond what a `kind` built-in encoding covers. */
export function ownKeys(value: object, kind: OwnerKind): OwnKeys {
  const all = Object.keys(value);
  const names = Object.getOwnPropertyNames(value);
  const covered = COVERED[kind];
  const indexed = kind === 'array' || kind === 'string';
  const keys = indexed ? all.filter((key) => !isIndex(key)) : all;
  let hidden = NO_KEYS;
  if (names.length !== all.length) {
    hidden = names.filter(
      (key) => !covered.has(key) && !(indexed && isIndex(key)) && !isEnumerable.call(value, key),
    );
    hidden.sort();
  }
  return { keys, hidden, symbols: sortSymbols(Object.getOwnPropertySymbols(value)) };
}

/** Non-enumerable own string keys of a plain object, sorted; NO_KEYS when there are none. */
export function hiddenKeys(value: object, enumerable: number): string[] {
  const names = Object.getOwnPropertyNames(value);
  if (names.length === enumerable) return NO_KEYS;
  return names.filter((key) => !isEnumerable.call(value, key)).sort();
}

/**
 * The key a symbol is hashed under, portable across processes: `r` + its `Symbol.for` key,
 * `w` + a well-known symbol's name, `l` + a local symbol's description, or `u` for a local one
 * without description.
 */
export function symbolToken(symbol: symbol): string {
  const registered = Symbol.keyFor(symbol);
  if (registered !== undefined) return 'r' + registered;
  const known = WELL_KNOWN.get(symbol);
  if (known !== undefined) return 'w' + known;
  return symbol.description === undefined ? 'u' : 'l' + symbol.description;
}

/** How a symbol key reads in a path: `[Symbol.for("k")]`, `[Symbol.iterator]`, `[Symbol(k)]`. */
export function symbolSegment(symbol: symbol): string {
  const token = symbolToken(symbol);
  const text = token.slice(1);
  if (token[0] === 'r') return `[Symbol.for(${JSON.stringify(text)})]`;
  if (token[0] === 'w') return `[Symbol.${text}]`;
  return `[${symbol.toString()}]`;
}

export function sortSymbols(symbols: symbol[]): symbol[] | undefined {
  if (symbols.length < 2) return symbols;
  const tokens = symbols.map((symbol) => [symbolToken(symbol), symbol] as const);
  tokens.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
  for (let i = 1; i < tokens.length; i++) if (tokens[i]![0] === tokens[i - 1]![0]) return undefined;
  return tokens.map(([, symbol]) => symbol);
}

/** Whether `key` is an array index. */
export function isIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

const WELL_KNOWN = new Map<symbol, string>(
  Object.getOwnPropertyNames(Symbol)
    .filter((name) => typeof (Symbol as any)[name] === 'symbol')
    .map((name) => [(Symbol as any)[name] as symbol, name]),
);

/** The own keys of a built-in that its built-in encoding does not cover. */
export function extraKeys(value: object, kind: BuiltinKind, canonical: string): OwnKeys {
  // Listing a typed array's keys lists every element (O(length)): only its symbol keys are looked at.
  if (kind === 'binary')
    return { keys: NO_KEYS, hidden: NO_KEYS, symbols: sortSymbols(Object.getOwnPropertySymbols(value)) };
  if (kind === 'regexp') return ownKeys(value, 'regexp');
  if (kind === 'array') return ownKeys(value, 'array');
  return ownKeys(value, canonical === 'String' ? 'string' : 'other');
}
