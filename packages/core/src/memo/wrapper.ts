/**
 * The function `func()` returns: one that forwards its calls and has the wrapped function's
 * `name` and `length` from the start.
 *
 * Why not set them afterwards: V8 keeps a function's properties in a fast, fixed layout until
 * `name` or `length` is redefined; then it moves them all to a dictionary, and every later
 * `fn.options` or memo lookup is a hash lookup. A Runner reads those of every node in every run
 * (6–13% of a 10,000-node all-hit run). So the name comes from a
 * computed property key, which names a function as it is created, and the length from real
 * parameters, one wrapper per parameter count.
 */

// biome-ignore-all lint/complexity/noArguments: only `arguments` holds exactly what the caller passed beside parameters that set the length.

/** How a wrapper hands on a call: the receiver and the arguments, as an array. */
export type ForwardCall = (self: unknown, args: unknown[]) => unknown;

// One per parameter count. The parameters are never read: they only give the wrapper its length.
const BY_LENGTH: ReadonlyArray<(name: string, forward: ForwardCall) => Function> = [
  (name, forward) =>
    ({
      [name]: function (this: unknown) {
        return forward(this, [...arguments]);
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, _1: unknown) {
        return forward(this, [...arguments]);
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, _1: unknown, _2: unknown) {
        return forward(this, [...arguments]);
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, _1: unknown, _2: unknown, _3: unknown) {
        return forward(this, [...arguments]);
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, _1: unknown, _2: unknown, _3: unknown, _4: unknown) {
        return forward(this, [...arguments]);
      },
    })[name]!,
  (name, forward) =>
    ({
      [name]: function (this: unknown, _1: unknown, _2: unknown, _3: unknown, _4: unknown, _5: unknown) {
        return forward(this, [...arguments]);
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
