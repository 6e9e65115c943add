/**
 * V8 reads every array back with "holey" elements, and writes a holey array in its sparse
 * format, whatever it holds. Without this, a value's bytes (and so its output hash) would change
 * after one round trip: a node computed from an upstream value read from a cache would hash
 * differently from the same node computed from the value fresh, and a worker's keys would
 * differ from a local run's. Arrays read back are copied into packed arrays, element by element,
 * the way fresh arrays are built; an array with real holes stays as it is.
 */
export function packArrays(root: unknown): unknown {
  if (root === null || typeof root !== 'object') return root;
  const done = new Map<object, unknown>();
  const visit = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
    const known = done.get(value);
    if (known !== undefined) return known;
    if (Array.isArray(value)) return packed(value);
    done.set(value, value);
    if (value instanceof Map) {
      for (const [key, item] of value) {
        const visited = visit(item);
        if (visited !== item) value.set(key, visited);
      }
    } else if (value instanceof Set) {
      const items = [...value];
      const visited = items.map(visit);
      if (visited.some((item, i) => item !== items[i])) {
        value.clear();
        for (const item of visited) value.add(item);
      }
    } else {
      for (const key of Object.keys(value)) {
        const item = (value as Record<string, unknown>)[key];
        if (item !== null && typeof item === 'object') (value as Record<string, unknown>)[key] = visit(item);
      }
    }
    return value;
  };
  const packed = (array: unknown[]): unknown[] => {
    for (let i = 0; i < array.length; i++) {
      if (!(i in array)) {
        // Real holes: the sparse form is the truth. Its items are still packed, found through its
        // keys: a stored `[1, , 3]` of length 10⁹ is a few bytes and must not cost 10⁹ steps.
        done.set(array, array);
        for (const index of indicesFrom(array, 0)) array[index] = visit(array[index]);
        return array;
      }
    }
    // Array.from with a function builds element by element, with no allocation site: `[]` here
    // would learn from earlier arrays (a site that once held a double starts every later array
    // as doubles, written as doubles), and Array.from without one keeps the holey elements.
    const copy = Array.from(array, same);
    done.set(array, copy);
    for (let i = 0; i < copy.length; i++) {
      const item = copy[i];
      if (item !== null && typeof item === 'object') copy[i] = visit(item);
    }
    // Properties beyond the indices (rare on data) travel too.
    for (const key of Object.keys(array)) if (!isIndex(key)) (copy as any)[key] = visit((array as any)[key]);
    return copy;
  };
  return visit(root);
}

const same = (item: unknown) => item;

/** The largest array index: `length` is at most 2³² − 1, so `array['4294967295']` is a named property. */
const MAX_INDEX = 2 ** 32 - 2;

function isIndex(key: string): boolean {
  const n = Number(key);
  return Number.isInteger(n) && n >= 0 && n <= MAX_INDEX && String(n) === key;
}

/**
 * The indices of the elements `array` holds from `from` on, ascending (own keys list indices
 * first, in order). Built from its keys, so the work follows how many elements it holds, never its
 * length: walking `0 … length` of a sparse array of length 10⁹ took half a minute.
 */
export function indicesFrom(array: readonly unknown[], from: number): number[] {
  const indices: number[] = [];
  for (const key of Object.keys(array)) {
    if (!isIndex(key)) break;
    const index = Number(key);
    if (index >= from) indices.push(index);
  }
  return indices;
}
