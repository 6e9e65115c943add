/**
 * Diagnostic mode of the input hasher: re-walks a value the fast Encoder refused, tracking the path,
 * to name the part that cannot be hashed and say how to fix it.
 */

import { quote, UnhashableInputError } from '../../errors.ts';
import { type ClassInfo, classInfo, prototypeData, subclassInfo } from './class-info.ts';
import {
  ArrayProto,
  type BuiltinKind,
  builtinName,
  constructorName,
  HASH_PROTOCOL,
  kindOf,
  ObjectProto,
  toTag,
} from './kind.ts';
import {
  extraKeys,
  hiddenKeys,
  NO_KEYS,
  type OwnKeys,
  ownKeys,
  sortSymbols,
  symbolSegment,
  symbolToken,
} from './own-keys.ts';
import { MAX_DEPTH, UNHASHABLE } from './plain-encoder.ts';

interface Problem {
  path: string;
  what: string;
  fix: 'default' | 'promise' | 'stream' | 'cycle' | 'depth' | 'proxy';
}

/** The error to throw for `error`, thrown while encoding `value` (input `argument` of `node`, at path `root`). */
export function explain(
  error: unknown,
  node: string,
  argument: string,
  root: string,
  value: unknown,
): unknown {
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
    case 'proxy':
      return `Pass the proxy's target (or a plain copy) instead, ${ignore}, or give the node a \`key\` function.`;
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
      return this.fields(value, Object.keys(value), path) ?? this.fields(value, hiddenKeys(value, -1), path);
    }
    const kind = kindOf(value);
    if (kind === 'proxy') return { path, what: 'is a Proxy, whose traps may answer anything', fix: 'proxy' };
    const type = constructorName(proto, toTag.call(value).slice(8, -1));
    switch (kind) {
      case 'protocol':
        return (
          this.prototypes(classInfo(proto), path) ??
          this.walk((value as any)[HASH_PROTOCOL](), `${path}[Symbol.for('memoflow.hash')]()`)
        );
      case 'class':
        return this.instance(value, classInfo(proto), path) ?? this.own(value, ownKeys(value, 'class'), path);
      case 'error': {
        const error = value as Error;
        return (
          this.instance(value, classInfo(proto), path) ??
          this.walk(error.name, `${path}.name`) ??
          this.walk(error.message, `${path}.message`) ??
          (Object.hasOwn(error, 'cause') ? this.walk(error.cause, `${path}.cause`) : undefined) ??
          this.own(error, ownKeys(error, 'error'), path)
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
        return this.builtin(value, proto, kind, path);
      }
      case 'set': {
        let index = 0;
        for (const member of Set.prototype.values.call(value as Set<unknown>)) {
          const problem = this.walk(member, `${path}.<member ${index++}>`);
          if (problem) return problem;
        }
        return this.builtin(value, proto, kind, path);
      }
      case 'array':
        return this.elements(value as unknown[], path) ?? this.builtin(value, proto, kind, path);
      case 'regexp':
        return (
          this.walk((value as RegExp).lastIndex, `${path}.lastIndex`) ??
          this.builtin(value, proto, kind, path)
        );
      case 'date':
      case 'boxed':
      case 'binary':
        return this.builtin(value, proto, kind, path);
      case 'url':
        return undefined;
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

  private builtin(value: object, proto: object | null, kind: BuiltinKind, path: string): Problem | undefined {
    const canonical = builtinName(value, kind);
    const info = subclassInfo(proto, kind, constructorName(proto, canonical) !== canonical);
    return (
      (info === undefined ? undefined : this.instance(value, info, path)) ??
      this.own(value, extraKeys(value, kind, canonical), path)
    );
  }

  /** A class's private fields and prototype data. */
  private instance(value: object, info: ClassInfo, path: string): Problem | undefined {
    if (info.privateField !== undefined) {
      const type = constructorName(Object.getPrototypeOf(value), 'Object');
      return {
        path: `${path}.${info.privateField}`,
        what: `is a private field of class ${type}, which the hasher cannot read`,
        fix: 'default',
      };
    }
    return this.prototypes(info, path);
  }

  private prototypes(info: ClassInfo, path: string): Problem | undefined {
    for (const proto of info.prototypes) {
      const { keys, symbols } = prototypeData(proto);
      const at = `${path}.<${constructorName(proto, 'Object')}.prototype>`;
      const problem = this.own(proto, { keys, hidden: NO_KEYS, symbols: sortSymbols(symbols) }, at);
      if (problem) return problem;
    }
    return undefined;
  }

  private own(object: object, { keys, hidden, symbols }: OwnKeys, path: string): Problem | undefined {
    if (symbols === undefined) {
      const described = new Set<string>();
      for (const symbol of Object.getOwnPropertySymbols(object)) {
        const token = symbolToken(symbol);
        if (described.has(token)) {
          return {
            path: path + symbolSegment(symbol),
            what: 'is one of two symbol keys with the same description, which the hash cannot tell apart',
            fix: 'default',
          };
        }
        described.add(token);
      }
    }
    const problem = this.fields(object, keys, path) ?? this.fields(object, hidden, path);
    if (problem || symbols === undefined) return problem;
    for (const symbol of symbols) {
      const found = this.walk((object as Record<symbol, unknown>)[symbol], path + symbolSegment(symbol));
      if (found) return found;
    }
    return undefined;
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
