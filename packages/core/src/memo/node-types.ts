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
 *   (positional parameters without `inputs`).
 * - `value`: the value the node produces (an array of results for a mapped node).
 */
export interface NodeTypes<Output extends string = string, Inputs = unknown, Value = unknown> {
  output: Output;
  inputs: Inputs;
  value: Value;
}

/**
 * The inputs of a node of function `F`, as `func()` sees them:
 * - `inputs: ['a', 'b'] as const` given: `a` and `b`, typed by the parameters in order;
 * - no parameters: none (`{}`);
 * - one parameter of a plain object type: its properties (a destructured `({ a, b }: { a: A; b: B })`);
 *   a single positional parameter of such a type looks the same to the type system, so such a
 *   node needs `inputs: ['config'] as const` for its input to be typed right (one of a type with
 *   methods, such as a `Date`, is taken as positional);
 * - one parameter of another type with `map: 'items'`: that parameter is `items`;
 * - else `unknown`: positional parameter names are invisible to the type system.
 * With `map`, the mapped input is an array of the parameter's type.
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
      ? SingleParameterInputs<Param, Map>
      : unknown
  : EveryLiteral<Names> extends true
    ? NamedInputs<Names, Params>
    : unknown;

type SingleParameterInputs<Param, Map extends string> =
  IsDestructurable<Param> extends true
    ? [Map] extends [never]
      ? PropertyInputs<Param>
      : Map extends keyof Param
        ? PropertyInputs<Param>
        : IsLiteralName<Map> extends true
          ? { [Name in Map]: Param }
          : unknown
    : [Map] extends [never]
      ? unknown
      : IsLiteralName<Map> extends true
        ? { [Name in Map]: Param }
        : unknown;

/** Every property is an input a run must provide (as the runtime requires), optional ones included. */
type PropertyInputs<Param> = { [Name in keyof Param & string]: Param[Name] };

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
 * An object type whose properties a destructuring parameter could name: plain data, not an
 * array, a function, `any`, a type with an index signature, or one with methods (a class
 * instance such as a Date, whose single parameter is positional: its methods cannot be inputs).
 */
type IsDestructurable<Param> = 0 extends 1 & Param
  ? false
  : [Param] extends [readonly unknown[] | AnyFunction]
    ? false
    : [Param] extends [object]
      ? string extends keyof Param
        ? false
        : true extends HasMethod<Param>
          ? false
          : true
      : false;

type HasMethod<Param> = {
  [Name in keyof Param]-?: 0 extends 1 & Param[Name] ? false : Param[Name] extends AnyFunction ? true : false;
}[keyof Param];

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
