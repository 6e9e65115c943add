/**
 * The input hasher: a typed canonical encoding of argument values, streamed into sha256.
 *
 * Every value encodes to a self-delimiting token string, so no two values (and no two lists of
 * values) share an encoding:
 *
 * ```
 * undefined U    null N    true T    false F    array hole _
 * number    d<String(n)>;            -0 is "d-0;"; NaN, Infinity, -Infinity as String() spells them
 * bigint    n<decimal>;
 * string    s<length>:<chars>        length in UTF-16 units; with a lone surrogate: j<JSON.stringify(s)>
 * array     [<value | _>...]
 * object    {<key><value>...}        key = <length>:<chars> (or j<JSON>), keys sorted by code unit
 * Map       M<count>:<entry>...      entry = <key value><value>; Set  S<count>:<member>...
 *                                    each entry/member is encoded alone, then they are sorted; one whose
 *                                    encoding holds binary data or exceeds 4096 chars is h<hex sha256>
 * Date      D<time value>;           RegExp  R<source string><flags string>    boxed  B<primitive>
 * Error     E<key ctor><name value><message value>[c<cause value>]{fields}
 * binary    #<kind>:<byteLength>;<raw bytes>   kind = Buffer | ArrayBuffer | DataView | Float64Array | …
 * protocol  P<key ctor><value of [HASH_PROTOCOL]()>          (also URL → href, URLSearchParams → string)
 * instance  C<key ctor>{fields}      subclass of a built-in: C<key ctor><built-in encoding>{fields}
 * inputs    <key name><value>...     (hashValue encodes the bare value)
 * ```
 *
 * The digest is sha256 over that stream: text fed as UTF-8, binary fed raw.
 */
import { type HashStream, primitive } from './_hash.ts';
import { quote, UnhashableInputError } from './errors.ts';

/** Classes implement `[HASH_PROTOCOL](): unknown`; its return value is hashed in place of the instance. */
export const HASH_PROTOCOL: unique symbol = Symbol.for('memoflow.hash') as any;

/** The canonical encoding of a list of named values. */
export interface InputEncoding {
  /** The whole encoding as a string when it is small (≤ 4096 chars) and contains no binary data; else undefined. Usable directly as an in-memory map key. */
  readonly text: string | undefined;
  /** Hex sha256 of the encoding (computed on first call, then cached). Equal encodings ⇔ equal digests. */
  digest(): string;
}

/**
 * Encodes values[i] (labelled names[i], error path root paths[i] ?? `args[${i}]`) in order. `node` names the function for errors.
 *
 * Plain-object keys, Map entries and Set members are order-insensitive; symbol-keyed properties
 * (like JSON) and non-index properties of plain arrays are not part of the encoding. Functions,
 * symbols, weak collections, promises and thenables, streams, circular references and structures
 * nested deeper than 1000 levels throw an {@link UnhashableInputError} naming the path to the value.
 *
 * @example
 * const inputs = encodeInputs('train', [config, 3], ['config', 'epochs']);
 * const key = inputs.text ?? inputs.digest();
 */
export function encodeInputs(
  node: string,
  values: readonly unknown[],
  names: readonly string[],
  paths?: readonly string[],
): InputEncoding {
  const encoder = idle ?? new Encoder();
  idle = undefined;
  try {
    return encoder.encode(values, names);
  } catch (error) {
    const i = encoder.argumentIndex;
    throw explain(error, node, names[i] ?? `${i}`, paths?.[i] ?? `args[${i}]`, values[i]);
  } finally {
    encoder.release();
    idle = encoder;
  }
}

/** Hex digest of one value's canonical encoding (same rules). */
export function hashValue(value: unknown, node = 'hashValue', name = 'value'): string {
  const encoder = idle ?? new Encoder();
  idle = undefined;
  try {
    return encoder.encode([value], undefined).digest();
  } catch (error) {
    throw explain(error, node, name, name, value);
  } finally {
    encoder.release();
    idle = encoder;
  }
}

const TEXT_LIMIT = 4096;
const FLUSH_AT = 64 * 1024;
const STRING_SLICE = 1024 * 1024;
const MAX_DEPTH = 1000;
// Ancestors are compared only this deep on the fast path; a deeper cycle still ends at MAX_DEPTH.
const CYCLE_SCAN_DEPTH = 32;

// The fast path keeps no path: it throws this, and the caller re-walks the value in diagnostic mode.
const UNHASHABLE = Symbol('unhashable');
// UTF-8 cannot carry a lone surrogate (it would become U+FFFD and collide). Rather than test every string,
// each chunk is tested before it is hashed; on failure the whole value is re-encoded, escaping such strings.
const ILL_FORMED = Symbol('ill-formed');

const ObjectProto = Object.prototype;
const ArrayProto = Array.prototype;
const toTag = Object.prototype.toString;
const NodeBuffer: { isBuffer(value: unknown): boolean } | undefined = (globalThis as any).Buffer;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as any).isWellFormed === 'function'
    ? (text) => (text as any).isWellFormed()
    : (text) => !LONE_SURROGATE.test(text);

let idle: Encoder | undefined;

class Encoding implements InputEncoding {
  #digest: string | undefined;
  constructor(
    readonly text: string | undefined,
    digest: string | undefined,
  ) {
    this.#digest = digest;
  }
  digest(): string {
    this.#digest ??= primitive.hash(this.text!);
    return this.#digest;
  }
}

class Encoder {
  out = '';
  stream: HashStream | undefined = undefined;
  depth = 0;
  argumentIndex = 0;
  escape = false;
  readonly ancestors: (object | undefined)[] = [];
  readonly shapeKeys: (string[] | undefined)[] = [];
  readonly shapeSorted: string[][] = [];

  encode(values: readonly unknown[], names: readonly string[] | undefined): Encoding {
    try {
      return this.run(values, names);
    } catch (error) {
      if (error !== ILL_FORMED) throw error;
      this.escape = true;
      return this.run(values, names);
    }
  }

  release(): void {
    this.out = '';
    this.stream = undefined;
    this.escape = false;
    const ancestors = this.ancestors;
    for (let i = 0; i < ancestors.length; i++) ancestors[i] = undefined;
  }

  private run(values: readonly unknown[], names: readonly string[] | undefined): Encoding {
    this.out = '';
    this.stream = undefined;
    this.depth = 0;
    for (let i = 0; i < values.length; i++) {
      this.argumentIndex = i;
      if (names !== undefined) this.key(names[i] ?? `${i}`);
      this.value(values[i]);
    }
    if (this.stream === undefined && this.out.length <= TEXT_LIMIT) {
      if (!this.escape && !isWellFormed(this.out)) throw ILL_FORMED;
      return new Encoding(this.out, undefined);
    }
    return new Encoding(undefined, this.finish());
  }

  private finish(): string {
    if (this.stream === undefined) return this.hashChunk(this.out);
    this.flush();
    return this.stream.digest();
  }

  private hashChunk(chunk: string): string {
    if (!this.escape && !isWellFormed(chunk)) throw ILL_FORMED;
    return primitive.hash(chunk);
  }

  private flush(): void {
    const chunk = this.out;
    this.out = '';
    if (!this.escape && !isWellFormed(chunk)) throw ILL_FORMED;
    this.stream ??= primitive.create();
    this.stream.update(chunk);
  }

  private value(value: unknown): void {
    switch (typeof value) {
      case 'string':
        this.string(value);
        return;
      case 'number':
        this.out += value === 0 && 1 / value < 0 ? 'd-0;' : 'd' + value + ';';
        return;
      case 'object':
        if (value === null) this.out += 'N';
        else this.object(value);
        return;
      case 'boolean':
        this.out += value ? 'T' : 'F';
        return;
      case 'undefined':
        this.out += 'U';
        return;
      case 'bigint':
        this.out += 'n' + value + ';';
        return;
      default:
        throw UNHASHABLE;
    }
  }

  private string(text: string): void {
    if (text.length > FLUSH_AT) this.bigString(text);
    else if (this.escape && !isWellFormed(text)) this.out += 'j' + JSON.stringify(text);
    else this.out += 's' + text.length + ':' + text;
  }

  private key(text: string): void {
    if (this.escape && !isWellFormed(text)) this.out += 'j' + JSON.stringify(text);
    else this.out += text.length + ':' + text;
    if (this.out.length > FLUSH_AT) this.flush();
  }

  private bigString(text: string): void {
    if (!isWellFormed(text)) {
      if (!this.escape) throw ILL_FORMED;
      this.out += 'j' + JSON.stringify(text);
      this.flush();
      return;
    }
    this.out += 's' + text.length + ':';
    this.flush();
    const stream = this.stream!;
    for (let start = 0; start < text.length; ) {
      let end = Math.min(start + STRING_SLICE, text.length);
      // Never split a surrogate pair: each half alone would be UTF-8-encoded as U+FFFD.
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
      stream.update(text.slice(start, end));
      start = end;
    }
  }

  private object(value: object): void {
    const depth = ++this.depth;
    if (depth > MAX_DEPTH) throw UNHASHABLE;
    if (depth <= CYCLE_SCAN_DEPTH) {
      const ancestors = this.ancestors;
      for (let i = 0; i < depth - 1; i++) if (ancestors[i] === value) throw UNHASHABLE;
      ancestors[depth - 1] = value;
    }
    const proto = Object.getPrototypeOf(value);
    if (proto === ArrayProto) this.array(value as unknown[]);
    else if (
      (proto === ObjectProto || proto === null) &&
      typeof (value as any)[HASH_PROTOCOL] !== 'function'
    ) {
      this.fields(value, Object.keys(value));
    } else this.other(value, proto);
    this.depth = depth - 1;
  }

  private array(array: readonly unknown[]): void {
    this.out += '[';
    for (let i = 0; i < array.length; i++) {
      const item = array[i];
      if (item === undefined && !(i in array)) this.out += '_';
      else this.value(item);
      if (this.out.length > FLUSH_AT) this.flush();
    }
    this.out += ']';
  }

  private fields(object: object, keys: string[]): void {
    const sorted = this.sortKeys(keys);
    this.out += '{';
    for (let i = 0; i < sorted.length; i++) {
      const key = sorted[i]!;
      this.key(key);
      this.value((object as Record<string, unknown>)[key]);
    }
    this.out += '}';
  }

  private sortKeys(keys: string[]): string[] {
    const n = keys.length;
    if (n < 2) return keys;
    // Objects at one depth usually share a shape: remember the last key order seen there and its sort.
    const depth = this.depth;
    const seen = this.shapeKeys[depth];
    if (seen !== undefined && seen.length === n) {
      let i = 0;
      while (i < n && seen[i] === keys[i]) i++;
      if (i === n) return this.shapeSorted[depth]!;
    }
    let i = 1;
    while (i < n && keys[i - 1]! < keys[i]!) i++;
    const sorted = i === n ? keys : keys.slice().sort();
    this.shapeKeys[depth] = keys;
    this.shapeSorted[depth] = sorted;
    return sorted;
  }

  private other(value: object, proto: object | null): void {
    const kind = kindOf(value);
    switch (kind) {
      case 'protocol':
        this.out += 'P';
        this.key(constructorName(proto, 'Object'));
        this.value((value as any)[HASH_PROTOCOL]());
        return;
      case 'class':
        this.out += 'C';
        this.key(constructorName(proto, 'Object'));
        this.fields(value, Object.keys(value));
        return;
      case 'error': {
        const error = value as Error;
        this.out += 'E';
        this.key(constructorName(proto, 'Error'));
        this.value(error.name);
        this.value(error.message);
        if (Object.hasOwn(error, 'cause')) {
          this.out += 'c';
          this.value(error.cause);
        }
        this.fields(error, Object.keys(error));
        return;
      }
      case 'url':
        this.out += 'P';
        this.key(constructorName(proto, 'URL'));
        this.string(String(value));
        return;
      case 'map':
      case 'set':
      case 'date':
      case 'regexp':
      case 'boxed':
      case 'array':
      case 'binary':
        this.builtin(value, proto, kind);
        return;
      default:
        throw UNHASHABLE;
    }
  }

  private builtin(value: object, proto: object | null, kind: BuiltinKind): void {
    const canonical = builtinName(value, kind);
    const name = constructorName(proto, canonical);
    if (name !== canonical) {
      this.out += 'C';
      this.key(name);
    }
    switch (kind) {
      case 'map':
        this.members('M', Map.prototype.entries.call(value as Map<unknown, unknown>), true);
        break;
      case 'set':
        this.members('S', Set.prototype.values.call(value as Set<unknown>), false);
        break;
      case 'date':
        this.out += 'D' + Date.prototype.getTime.call(value) + ';';
        break;
      case 'regexp':
        this.out += 'R';
        this.string((value as RegExp).source);
        this.string((value as RegExp).flags);
        break;
      case 'boxed':
        this.out += 'B';
        this.value(UNBOX[canonical]!.call(value));
        break;
      case 'array':
        this.array(value as unknown[]);
        break;
      case 'binary':
        this.binary(canonical, value);
        break;
    }
    if (name !== canonical) {
      this.fields(value, extraFields(value, kind));
    }
  }

  private binary(kind: string, value: object): void {
    const bytes = ArrayBuffer.isView(value)
      ? new Uint8Array(value.buffer, value.byteOffset, value.byteLength)
      : new Uint8Array(value as ArrayBuffer);
    this.out += '#' + kind + ':' + bytes.byteLength + ';';
    this.flush();
    this.stream!.update(bytes);
  }

  private members(tag: string, items: Iterator<unknown>, entries: boolean): void {
    const encoded: string[] = [];
    const outer = this.out;
    const outerStream = this.stream;
    // No try/finally: any throw abandons the whole encoding, and run() starts from a clean state.
    for (let step = items.next(); !step.done; step = items.next()) {
      this.out = '';
      this.stream = undefined;
      if (entries) {
        const [key, value] = step.value as [unknown, unknown];
        this.value(key);
        this.value(value);
      } else this.value(step.value);
      encoded.push(
        this.stream !== undefined || this.out.length > TEXT_LIMIT ? 'h' + this.finish() : this.out,
      );
    }
    this.out = outer;
    this.stream = outerStream;
    encoded.sort();
    this.out += tag + encoded.length + ':';
    for (let i = 0; i < encoded.length; i++) {
      this.out += encoded[i];
      if (this.out.length > FLUSH_AT) this.flush();
    }
  }
}

type BuiltinKind = 'map' | 'set' | 'date' | 'regexp' | 'boxed' | 'array' | 'binary';
type Kind =
  | BuiltinKind
  | 'protocol'
  | 'error'
  | 'url'
  | 'class'
  | 'symbol'
  | 'promise'
  | 'thenable'
  | 'stream'
  | 'opaque';

const KIND_BY_TAG = new Map<string, Kind>([
  ['[object Array]', 'array'],
  ['[object Map]', 'map'],
  ['[object Set]', 'set'],
  ['[object Date]', 'date'],
  ['[object RegExp]', 'regexp'],
  ['[object Error]', 'error'],
  ['[object Number]', 'boxed'],
  ['[object String]', 'boxed'],
  ['[object Boolean]', 'boxed'],
  ['[object BigInt]', 'boxed'],
  ['[object Symbol]', 'symbol'],
  ['[object ArrayBuffer]', 'binary'],
  ['[object SharedArrayBuffer]', 'binary'],
  ['[object URL]', 'url'],
  ['[object URLSearchParams]', 'url'],
  ['[object Promise]', 'promise'],
  ['[object ReadableStream]', 'stream'],
  ['[object WritableStream]', 'stream'],
  ['[object TransformStream]', 'stream'],
  ...[
    'WeakMap',
    'WeakSet',
    'WeakRef',
    'FinalizationRegistry',
    'Generator',
    'AsyncGenerator',
    'Map Iterator',
    'Set Iterator',
    'Array Iterator',
    'String Iterator',
    'RegExp String Iterator',
    'Iterator Helper',
    'Blob',
    'File',
    'Headers',
    'Request',
    'Response',
    'FormData',
    'AbortSignal',
    'AbortController',
    'MessagePort',
  ].map((name): [string, Kind] => [`[object ${name}]`, 'opaque']),
]);

// By brand tag rather than instanceof, so that objects from another realm (vm, worker) are recognised.
function kindOf(value: object): Kind {
  if (typeof (value as any)[HASH_PROTOCOL] === 'function') return 'protocol';
  if (ArrayBuffer.isView(value)) return 'binary';
  const kind = KIND_BY_TAG.get(toTag.call(value));
  if (kind !== undefined) return kind;
  if (typeof (value as any).then === 'function') return 'thenable';
  if (typeof (value as any).pipe === 'function') return 'stream';
  if (value instanceof Error) return 'error';
  return 'class';
}

function builtinName(value: object, kind: BuiltinKind): string {
  if (kind === 'binary') {
    if (NodeBuffer?.isBuffer(value)) return 'Buffer';
    return toTag.call(value).slice(8, -1);
  }
  if (kind === 'boxed') return toTag.call(value).slice(8, -1);
  return BUILTIN_NAMES[kind];
}

// The prototype methods read the internal slot, so an overridden valueOf() cannot change the hash.
const UNBOX: Record<string, (this: unknown) => unknown> = {
  Number: Number.prototype.valueOf,
  String: String.prototype.valueOf,
  Boolean: Boolean.prototype.valueOf,
  BigInt: BigInt.prototype.valueOf,
};

const BUILTIN_NAMES = { map: 'Map', set: 'Set', date: 'Date', regexp: 'RegExp', array: 'Array' } as const;

function constructorName(proto: object | null, fallback: string): string {
  const ctor = proto === null ? undefined : (proto as { constructor?: unknown }).constructor;
  const name = typeof ctor === 'function' ? ctor.name : undefined;
  return typeof name === 'string' && name !== '' ? name : fallback;
}

function extraFields(value: object, kind: BuiltinKind): string[] {
  // A typed array's keys are its elements, already hashed as bytes; listing them would cost O(length).
  if (kind === 'binary') return [];
  const keys = Object.keys(value);
  return kind === 'array' ? keys.filter((key) => !isIndex(key)) : keys;
}

function isIndex(key: string): boolean {
  return /^(?:0|[1-9]\d*)$/.test(key) && Number(key) < 2 ** 32 - 1;
}

// ---- Diagnostic mode: re-walks a value that failed, tracking the path, to explain why. ----

interface Problem {
  path: string;
  what: string;
  fix: 'default' | 'promise' | 'stream' | 'cycle' | 'depth';
}

function explain(error: unknown, node: string, argument: string, root: string, value: unknown): unknown {
  if (error !== UNHASHABLE && !(error instanceof RangeError)) return error;
  const problem = new Diagnoser().walk(value, root);
  if (problem === undefined) {
    if (error !== UNHASHABLE) return error;
    return new UnhashableInputError(
      node,
      argument,
      root,
      `Cannot hash input \`${argument}\` of \`${node}\`: \`${root}\` changed while it was being hashed. Give the node a \`key\` function.`,
    );
  }
  return new UnhashableInputError(
    node,
    argument,
    problem.path,
    `Cannot hash input \`${argument}\` of \`${node}\`: \`${problem.path}\` ${problem.what}. ${fixFor(problem.fix, argument)}`,
  );
}

function fixFor(fix: Problem['fix'], argument: string): string {
  const ignore = `pass it through \`ignore: ['${argument}']\``;
  const protocol = `give its class a [Symbol.for('memoflow.hash')]() method`;
  switch (fix) {
    case 'promise':
      return `Await it and pass the result instead, ${ignore}, or give the node a \`key\` function.`;
    case 'stream':
      return `Read it into a string or Buffer first, ${ignore}, or give the node a \`key\` function.`;
    case 'cycle':
      return `Break the cycle, ${ignore}, give the node a \`key\` function, or ${protocol} that returns acyclic data.`;
    case 'depth':
      return `Give the node a \`key\` function, ${ignore}, or ${protocol} that returns a flatter value.`;
    default:
      return `Pass it through \`ignore: ['${argument}']\`, give the node a \`key\` function, or ${protocol}.`;
  }
}

class Diagnoser {
  readonly ancestors: object[] = [];
  readonly ancestorPaths: string[] = [];

  walk(value: unknown, path: string): Problem | undefined {
    if (typeof value === 'function') return { path, what: `is a function (${quote(value)})`, fix: 'default' };
    if (typeof value === 'symbol') return { path, what: `is a symbol (${quote(value)})`, fix: 'default' };
    if (typeof value !== 'object' || value === null) return undefined;
    const seen = this.ancestors.indexOf(value);
    if (seen >= 0) {
      const target = this.ancestorPaths[seen]!;
      return { path, what: `refers back to \`${target}\` (a circular reference)`, fix: 'cycle' };
    }
    if (this.ancestors.length >= MAX_DEPTH) {
      return { path, what: `is nested more than ${MAX_DEPTH} levels deep`, fix: 'depth' };
    }
    this.ancestors.push(value);
    this.ancestorPaths.push(path);
    const problem = this.children(value, path);
    this.ancestors.pop();
    this.ancestorPaths.pop();
    return problem;
  }

  private children(value: object, path: string): Problem | undefined {
    const proto = Object.getPrototypeOf(value);
    if (proto === ArrayProto) return this.elements(value as unknown[], path);
    if ((proto === ObjectProto || proto === null) && typeof (value as any)[HASH_PROTOCOL] !== 'function') {
      if (typeof (value as any).then === 'function') {
        return { path, what: 'is a thenable (an object with a `then` method)', fix: 'promise' };
      }
      return this.fields(value, Object.keys(value), path);
    }
    const kind = kindOf(value);
    const type = constructorName(proto, toTag.call(value).slice(8, -1));
    switch (kind) {
      case 'protocol':
        return this.walk((value as any)[HASH_PROTOCOL](), `${path}[Symbol.for('memoflow.hash')]()`);
      case 'class':
        return this.fields(value, Object.keys(value), path);
      case 'error': {
        const error = value as Error;
        return (
          this.walk(error.name, `${path}.name`) ??
          this.walk(error.message, `${path}.message`) ??
          (Object.hasOwn(error, 'cause') ? this.walk(error.cause, `${path}.cause`) : undefined) ??
          this.fields(error, Object.keys(error), path)
        );
      }
      case 'map': {
        let index = 0;
        for (const [key, item] of Map.prototype.entries.call(value as Map<unknown, unknown>)) {
          const label = typeof key === 'object' && key !== null ? `<key ${index}>` : quote(key);
          const problem =
            this.walk(key, `${path}.<key ${index}>`) ?? this.walk(item, `${path}.get(${label})`);
          if (problem) return problem;
          index++;
        }
        return this.fields(value, extraFields(value, kind), path);
      }
      case 'set': {
        let index = 0;
        for (const member of Set.prototype.values.call(value as Set<unknown>)) {
          const problem = this.walk(member, `${path}.<member ${index++}>`);
          if (problem) return problem;
        }
        return this.fields(value, extraFields(value, kind), path);
      }
      case 'array':
        return this.elements(value as unknown[], path) ?? this.fields(value, extraFields(value, kind), path);
      case 'date':
      case 'regexp':
      case 'boxed':
      case 'binary':
      case 'url':
        return this.fields(value, kind === 'url' ? [] : extraFields(value, kind), path);
      case 'symbol':
        return { path, what: `is a boxed symbol (${quote(value.valueOf())})`, fix: 'default' };
      case 'promise':
        return { path, what: 'is a Promise', fix: 'promise' };
      case 'thenable':
        return { path, what: `is a thenable (a ${type} with a \`then\` method)`, fix: 'promise' };
      case 'stream':
        return { path, what: `is a stream (${type})`, fix: 'stream' };
      case 'opaque':
        return { path, what: `is a ${type}, whose contents cannot be read`, fix: 'default' };
    }
  }

  private elements(array: readonly unknown[], path: string): Problem | undefined {
    for (let i = 0; i < array.length; i++) {
      const problem = this.walk(array[i], `${path}[${i}]`);
      if (problem) return problem;
    }
    return undefined;
  }

  private fields(object: object, keys: readonly string[], path: string): Problem | undefined {
    for (const key of keys) {
      const segment = /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`;
      const problem = this.walk((object as Record<string, unknown>)[key], path + segment);
      if (problem) return problem;
    }
    return undefined;
  }
}
