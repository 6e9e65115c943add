/**
 * The code identity of a class: what an instance's hash carries so that editing a method of its
 * class, or passing an instance of another class of the same name, changes the key.
 */
import { primitive } from '../../_hash.ts';

const identities = new WeakMap<Function, string>();
const functionToString = Function.prototype.toString;

/**
 * Hex digest of the source of `ctor` and of every constructor it extends (up to `Function.prototype`).
 * The source text carries no machine path, so equal classes give equal identities on every machine.
 *
 * @example
 * classIdentity(Shape) !== classIdentity(OtherModule.Shape) // when their code differs
 */
export function classIdentity(ctor: Function): string {
  let identity = identities.get(ctor);
  if (identity === undefined) {
    const sources: string[] = [];
    for (
      let c: unknown = ctor;
      typeof c === 'function' && c !== Function.prototype;
      c = Object.getPrototypeOf(c)
    ) {
      const source = functionToString.call(c);
      sources.push(`${source.length}:${source}`);
    }
    identity = primitive.hash(sources.join(''));
    identities.set(ctor, identity);
  }
  return identity;
}
