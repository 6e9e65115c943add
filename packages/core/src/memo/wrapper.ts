/**
 * The function `func()` returns: one that forwards its calls and has the wrapped function's
 * `name` and `length` from the start.
 *
 * Why not set them afterwards: V8 keeps a function's properties in a fast, fixed layout until
 * `name` or `length` is redefined; then it moves them all to a dictionary, and every later
 * `fn.options` or memo lookup is a hash lookup. A Runner reads those of every node in every run
 * (6–13% of a 10,000-node all-hit run). So the name comes from a computed property key, which
 * names a function as it is created, and the length from real parameters, one wrapper per
 * parameter count.
 */

// biome-ignore-all lint/complexity/noArguments: `arguments.length` alone tells how many arguments the caller passed.

/** How a wrapper hands on a call: the receiver and the arguments, as an array. */
export type ForwardCall = (self: unknown, args: unknown[]) => unknown;

// One per parameter count. The arguments reach `forward` exactly as passed, no more and no fewer:
// all of them when there are at least as many as parameters (the usual case, and as fast as a
// rest parameter alone), else the first ones. (Spreading `arguments` itself costs ≈300 ns a call.)
const BY_LENGTH: ReadonlyArray<(name: string, forward: ForwardCall) => Function> = [
  (name, forward) =>
    ({
      [name]: function (this: unknown, ...rest: unknown[]) {
        return forward(this, rest);
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, a: unknown, ...rest: unknown[]) {
        const count = arguments.length;
        return forward(this, count >= 1 ? [a, ...rest] : [a].slice(0, count));
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, a: unknown, b: unknown, ...rest: unknown[]) {
        const count = arguments.length;
        return forward(this, count >= 2 ? [a, b, ...rest] : [a, b].slice(0, count));
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, a: unknown, b: unknown, c: unknown, ...rest: unknown[]) {
        const count = arguments.length;
        return forward(this, count >= 3 ? [a, b, c, ...rest] : [a, b, c].slice(0, count));
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, a: unknown, b: unknown, c: unknown, d: unknown, ...rest: unknown[]) {
        const count = arguments.length;
        return forward(this, count >= 4 ? [a, b, c, d, ...rest] : [a, b, c, d].slice(0, count));
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (
        this: unknown,
        a: unknown,
        b: unknown,
        c: unknown,
        d: unknown,
        e: unknown,
        ...rest: unknown[]
      ) {
        const count = arguments.length;
        return forward(this, count >= 5 ? [a, b, c, d, e, ...rest] : [a, b, c, d, e].slice(0, count));
      },
    })[name]!,
];

/**
 * A function named `name` with `length` parameters that calls `forward` with its receiver and
 * arguments. Above five parameters its `length` is redefined (correct, with slower properties).
 *
 * @example
 * const wrapper = forwarding('add', 2, (self, args) => add.apply(self, args));
 * wrapper.name; // 'add'
 * wrapper.length; // 2
 */
export function forwarding(name: string, length: number, forward: ForwardCall): Function {
  const make = BY_LENGTH[length];
  if (make) return make(name, forward);
  const wrapper = BY_LENGTH[0]!(name, forward);
  Object.defineProperty(wrapper, 'length', { value: length });
  return wrapper;
}
