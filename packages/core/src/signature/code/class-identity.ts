/**
 * The code identity of a class: what an instance's hash carries so that editing a method of its
 * class, or passing an instance of another class of the same name, changes the key.
 */
import { primitive } from '../../util/index.ts';

/** Computes a class's exact code identity; set by the code analysis (analyze.ts) when it loads. */
let exactIdentity: ((ctor: Function) => string | undefined) | undefined;

const identities = new WeakMap<Function, string>();
const functionToString = Function.prototype.toString;

/** Installs the exact identity: the class's code hash, as a function's, with its module. */
export function useExactClassIdentity(identify: (ctor: Function) => string | undefined): void {
  exactIdentity = identify;
}

/**
 * Hex digest of the code of `ctor`: its code hash (the class, its base classes and what their
 * members reach, found through V8's source position) with the module it is declared in. Where the
 * source cannot be found, the source text of `ctor` and every constructor it extends. Neither
 * carries a machine path, so equal classes give equal identities on every machine.
 *
 * @example
 * classIdentity(Shape) !== classIdentity(OtherModule.Shape) // when their code or module differs
 */
export function classIdentity(ctor: Function): string {
  let identity = identities.get(ctor);
  if (identity === undefined) {
    identity = exactIdentity?.(ctor) ?? textIdentity(ctor);
    identities.set(ctor, identity);
  }
  return identity;
}

function textIdentity(ctor: Function): string {
  const sources: string[] = [];
  for (
    let c: unknown = ctor;
    typeof c === 'function' && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    const source = functionToString.call(c);
    sources.push(`${source.length}:${source}`);
  }
  return primitive.hash(sources.join(''));
}
