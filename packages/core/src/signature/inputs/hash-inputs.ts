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
 * object    {<key><value>...[~<key><value>...][y<symbol key><value>...]}
 *                                    enumerable keys, then non-enumerable ones (~), then symbol keys (y);
 *                                    key = <length>:<chars> (or j<JSON>), each group sorted
 * symbol key  r<key Symbol.for key> | w<key well-known name> | l<key description> | u (no description)
 * Map       M<count>:<entry>...      entry = <key value><value>; Set  S<count>:<member>...
 *                                    each entry/member is encoded alone, then they are sorted; one whose
 *                                    encoding holds binary data or exceeds 4096 chars is h<hex sha256>
 * Date      D<time value>;           RegExp  R<source string><flags string><lastIndex value>
 * boxed     B<primitive>             URL     u<key ctor><href string>  (also URLSearchParams)
 * Error     E<class><name value><message value>[c<cause value>]<own object>   (own: minus stack, message, cause)
 * binary    #<kind>:<byteLength>;<raw bytes>   kind = Buffer | ArrayBuffer | DataView | Float64Array | …
 * protocol  P<class><value of [HASH_PROTOCOL]()>
 * instance  C<class><own object>     subclass of a built-in: C<class><built-in encoding>
 * built-in  <built-in encoding>[x<own object>]   x only when the built-in has own properties of its own
 * class     <key ctor name><key classIdentity or ''>[p<levels>:<object>...]
 *                                    p: the own data properties (not methods, accessors or constructor)
 *                                    of each prototype up to the first built-in one, or h<hex sha256>
 * inputs    <key name><value>...     (hashValue encodes the bare value)
 * ```
 *
 * The digest is sha256 over that stream: text fed as UTF-8, binary fed raw.
 */

import type { UnhashableInputError } from '../../errors.ts';
import type { classIdentity } from '../code/class-identity.ts';
import { explain } from './diagnose.ts';
import { Encoder } from './encoder.ts';
import type { InputEncoding } from './types.ts';

export { HASH_PROTOCOL } from './kind.ts';
export type { InputEncoding } from './types.ts';

/**
 * Encodes values[i] (labelled names[i], error path root paths[i] ?? `args[${i}]`) in order. `node` names the function for errors.
 *
 * What is hashed: plain objects by their own string keys, enumerable and non-enumerable
 * (order-insensitive); arrays by their elements; Map entries and Set members order-insensitively;
 * built-ins by content plus any own properties added to them (string, hidden and symbol keys;
 * an Error's `errors`, `cause` and custom fields, never its `stack`; a RegExp's `lastIndex`).
 * A class instance by its class (constructor name, {@link classIdentity} of its code, data
 * properties on its prototypes) plus all its own properties, or by what `[HASH_PROTOCOL]()` returns.
 * Symbol keys are hashed by their `Symbol.for` key, well-known name or description, so equal
 * values hash equal in every process.
 *
 * What is refused with an {@link UnhashableInputError} naming the path and the fix: functions,
 * symbols, weak collections, promises and thenables, streams, proxies other than of plain objects
 * and arrays (read through their traps), instances of classes declaring `#private` fields (unless
 * the class implements `[HASH_PROTOCOL]()`), two local symbol keys with the same description on one
 * object, circular references and structures nested deeper than 1000 levels.
 *
 * Not seen, by measured choice (looking costs O(length) or ~40 ns per object on the hot path):
 * symbol keys of plain objects (like JSON), non-index properties of plain arrays, and non-index
 * string properties of typed arrays and Buffers (their symbol keys are hashed).
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

let idle: Encoder | undefined;
