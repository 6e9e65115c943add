/**
 * The fast path of the input hasher: walks values and writes the canonical encoding described in
 * hash-inputs.ts, keeping no path. A value it refuses makes it throw UNHASHABLE; the caller then
 * re-walks that value with diagnose.ts to say where and why. Plain structure is written by
 * PlainEncoder (plain-encoder.ts); this file has the entry and every other object: class
 * instances (with their class header), errors, URLs, built-ins, Map and Set members, binary data.
 */
import { type ClassInfo, classInfo, prototypeData, subclassInfo } from './class-info.ts';
import { type BuiltinKind, builtinName, constructorName, HASH_PROTOCOL, kindOf, UNBOX } from './kind.ts';
import { Encoding, FLUSH_AT, ILL_FORMED, isWellFormed, TEXT_LIMIT } from './output.ts';
import { extraKeys, NO_KEYS, ownKeys, sortSymbols } from './own-keys.ts';
import { PlainEncoder, UNHASHABLE } from './plain-encoder.ts';

/** Encodes lists of values; one instance is reused call after call (see release()). */
export class Encoder extends PlainEncoder {
  argumentIndex = 0;
  prototypeTokens: Map<object, string> | undefined;

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
    this.prototypeTokens = undefined;
    const ancestors = this.ancestors;
    for (let i = 0; i < ancestors.length; i++) ancestors[i] = undefined;
  }

  private run(values: readonly unknown[], names: readonly string[] | undefined): Encoding {
    this.prototypeTokens = undefined;
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

  protected override other(value: object, proto: object | null): void {
    const kind = kindOf(value);
    switch (kind) {
      case 'protocol':
        this.header('P', proto, 'Object', classInfo(proto));
        this.value((value as any)[HASH_PROTOCOL]());
        return;
      case 'class': {
        const info = classInfo(proto);
        if (info.privateField !== undefined) throw UNHASHABLE;
        this.header('C', proto, 'Object', info);
        this.own(value, ownKeys(value, 'class'));
        return;
      }
      case 'error': {
        const error = value as Error;
        const info = classInfo(proto);
        if (info.privateField !== undefined) throw UNHASHABLE;
        this.header('E', proto, 'Error', info);
        this.value(error.name);
        this.value(error.message);
        if (Object.hasOwn(error, 'cause')) {
          this.out += 'c';
          this.value(error.cause);
        }
        this.own(error, ownKeys(error, 'error'));
        return;
      }
      case 'url':
        this.out += 'u';
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
    const info = subclassInfo(proto, kind, name !== canonical);
    if (info !== undefined) {
      if (info.privateField !== undefined) throw UNHASHABLE;
      this.header('C', proto, canonical, info);
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
        this.value((value as RegExp).lastIndex);
        break;
      case 'boxed':
        this.out += 'B';
        this.value(UNBOX[canonical]!.call(value));
        break;
      case 'array':
        this.array(value as unknown[], false);
        break;
      case 'binary':
        this.binary(canonical, value);
        break;
    }
    const extra = extraKeys(value, kind, canonical);
    if (extra.keys.length > 0 || extra.hidden.length > 0 || extra.symbols?.length !== 0) {
      this.out += 'x';
      this.own(value, extra);
    }
  }

  /** `<tag><key name><key class identity>[p<count>:{data}...]`: what an object's class contributes. */
  private header(tag: string, proto: object | null, fallback: string, info: ClassInfo): void {
    this.out += tag;
    this.key(constructorName(proto, fallback));
    this.key(info.identity);
    if (info.prototypes.length === 0) return;
    // Prototype data may change between calls but not within one encoding: encoded once per class per call.
    this.prototypeTokens ??= new Map();
    let token = this.prototypeTokens.get(info.prototypes[0]!);
    if (token === undefined) {
      token = this.prototypeToken(info.prototypes);
      this.prototypeTokens.set(info.prototypes[0]!, token);
    }
    this.out += token;
  }

  private prototypeToken(prototypes: readonly object[]): string {
    const data = prototypes.map(prototypeData);
    if (data.every(({ keys, symbols }) => keys.length === 0 && symbols.length === 0)) return '';
    const outer = this.out;
    const outerStream = this.stream;
    this.out = 'p' + data.length + ':';
    this.stream = undefined;
    for (let i = 0; i < data.length; i++) {
      const symbols = sortSymbols(data[i]!.symbols);
      if (symbols === undefined) throw UNHASHABLE;
      this.group(prototypes[i]!, data[i]!.keys, NO_KEYS, symbols);
    }
    const token = this.stream !== undefined || this.out.length > TEXT_LIMIT ? 'ph' + this.finish() : this.out;
    this.out = outer;
    this.stream = outerStream;
    return token;
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
