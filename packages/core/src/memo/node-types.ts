/**
 * The type side of a node: what `func()` records in a memoized function's type — its output name,
 * the names and types of its inputs where the type system can see them, the value it produces —
 * so that a Pipeline can type its outputs and inputs and check its wiring. Types only.
 */

/** Any function `func()` can wrap. */
export type AnyFunction = (...args: any[]) => any;

/**
 * What a Pipeline reads from a node's type.
 * - `output`: the output name, a literal type when `output` was given as one, else `string`.
 * - `inputs`: input name → the type a value of that name must have (an array of the parameter's
 *   type for the input a node maps over); `unknown` when the type system cannot see the names
 *   (parameters without `inputs`, see NodeInputs).
 * - `value`: the value the node produces (an array of results for a mapped node).
 */
export interface NodeTypes<Output extends string = string, Inputs = unknown, Value = unknown> {
  output: Output;
  inputs: Inputs;
  value: Value;
}

/**
 * The inputs of a node of function `F`, as `func()` sees them. At run time a node's inputs are
 * its parameter names read from the source, which the type system cannot see, nor whether a
 * parameter is destructured; so its inputs are typed only where the names are visible:
 * - no parameters: none (`{}`);
 * - `inputs: ['a', 'b'] as const` given, and they are every property of the type of a single
 *   parameter (`({ a, b }: { a: A; b: B })`, which gets them as one object): typed by those
 *   properties (`a: A`, `b: B`). Only a destructured parameter gets them so, which the type
 *   system cannot check (a plain `(options: { a: A; b: B })` would get `a` alone as `options`).
 *   Some but not all of its properties: `unknown`, as the parameter may be destructured or not;
 * - `inputs` given, otherwise: typed by the parameters in order (`(config: Config)` with
 *   `inputs: ['config']` takes `config: Config`);
 * - one parameter with `map: 'items'`, no `inputs`: that parameter is `items`, unless `items` is
 *   also a property of its type (then `unknown`);
 * - else `unknown`, including a single parameter of an object type without `inputs`: it may be
 *   destructured or positional.
 * With `map`, the mapped input is an array of its type.
 */
export type NodeInputs<
  F extends AnyFunction,
  Names extends readonly string[] = never,
  Map extends string = never,
> = MappedInputs<ParameterInputs<Parameters<F>, Names, Map>, Map>;

/** What a node of function `F` produces: its awaited result, or an array of them when it maps. */
export type NodeValue<F extends AnyFunction, Map extends string = never> = [Map] extends [never]
  ? Awaited<ReturnType<F>>
  : Awaited<ReturnType<F>>[];

type ParameterInputs<
  Params extends readonly unknown[],
  Names extends readonly string[],
  Map extends string,
> = [Names] extends [never]
  ? Params extends []
    ? {}
    : Params extends [(infer Param)?]
      ? MapParameterInputs<Param, Map>
      : unknown
  : EveryLiteral<Names> extends true
    ? Params extends [(infer Param)?]
      ? SingleParameterInputs<Param, Names, Params>
      : NamedInputs<Names, Params>
    : unknown;

/** A single parameter without `inputs`: only a mapped one has a name the type system sees. */
type MapParameterInputs<Param, Map extends string> = [Map] extends [never]
  ? unknown
  : IsLiteralName<Map> extends true
    ? Map extends keyof Param
      ? unknown
      : { [Name in Map]: Param }
    : unknown;

/** A single parameter with `inputs`: destructured when they are all its properties (see NodeInputs). */
type SingleParameterInputs<
  Param,
  Names extends readonly string[],
  Params extends readonly unknown[],
> = 0 extends 1 & Param
  ? NamedInputs<Names, Params>
  : [Names[number]] extends [keyof Param]
    ? [keyof Param & string] extends [Names[number]]
      ? { [Name in Names[number]]: Param[Name & keyof Param] }
      : unknown
    : NamedInputs<Names, Params>;

type NamedInputs<Names extends readonly string[], Params extends readonly unknown[]> = {
  [Index in keyof Names & `${number}` as Names[Index] & string]: Index extends keyof Params
    ? Params[Index]
    : unknown;
};

type MappedInputs<Inputs, Map extends string> = [Map] extends [never]
  ? Inputs
  : unknown extends Inputs
    ? unknown
    : { [Name in keyof Inputs]: Name extends Map ? readonly Inputs[Name][] : Inputs[Name] };

/**
 * Whether `Name` is one name the type system knows (`'rows'`), not `string`, a pattern
 * (`` `step${number}` ``) or a union of names, which a Pipeline cannot wire by.
 */
export type IsLiteralName<Name extends string> = [Name] extends [never]
  ? false
  : {} extends Record<Name, 0>
    ? false
    : IsUnion<Name> extends true
      ? false
      : true;

type IsUnion<T, All = T> = T extends unknown ? ([All] extends [T] ? false : true) : never;

type EveryLiteral<Names extends readonly string[]> = false extends {
  [Index in keyof Names]: IsLiteralName<Names[Index] & string>;
}[number]
  ? false
  : true;
