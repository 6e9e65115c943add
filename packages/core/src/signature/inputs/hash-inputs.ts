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

import type { UnhashableInputError } from '../../errors.ts';
import { explain } from './diagnose.ts';
import { Encoder } from './encoder.ts';

export { HASH_PROTOCOL } from './kind.ts';

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

let idle: Encoder | undefined;
