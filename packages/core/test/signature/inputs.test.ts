import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { UnhashableInputError } from '../../src/errors.ts';
import { encodeInputs, HASH_PROTOCOL, hashValue } from '../../src/signature/inputs/hash-inputs.ts';
import { type ScratchProject, scratchProject } from '../support/processes.ts';

const hashInputs = pathToFileURL(
  fileURLToPath(new URL('../../src/signature/inputs/hash-inputs.ts', import.meta.url)),
).href;

const projects: ScratchProject[] = [];
afterAll(() => {
  for (const project of projects) project.dispose();
});

function project(files: Record<string, string>): ScratchProject {
  const created = scratchProject(files, 'memoflow-inputs-');
  projects.push(created);
  return created;
}

function refusal(value: unknown, name = 'config'): UnhashableInputError {
  try {
    encodeInputs('train', [value], [name], [name]);
  } catch (error) {
    expect(error).toBeInstanceOf(UnhashableInputError);
    return error as UnhashableInputError;
  }
  throw new Error('expected an UnhashableInputError');
}

const shapeModule = (area: string) => `
export class Shape {
  constructor(size) { this.size = size; }
  area() { return ${area}; }
}
`;

describe('class identity', () => {
  it('tells apart two classes named Shape from different modules', async () => {
    const scratch = project({
      'square.js': shapeModule('this.size ** 2'),
      'circle.js': shapeModule('3.14 * this.size ** 2'),
    });
    const square = await import(pathToFileURL(`${scratch.dir}/square.js`).href);
    const circle = await import(pathToFileURL(`${scratch.dir}/circle.js`).href);
    expect(square.Shape.name).toBe(circle.Shape.name);
    expect(hashValue(new square.Shape(2))).not.toBe(hashValue(new circle.Shape(2)));
    expect(hashValue(new square.Shape(2))).toBe(hashValue(new square.Shape(2)));
  });

  it('misses after a method of the input class is edited, and hits across processes and folders otherwise', async () => {
    const main = `
import { hashValue } from '${hashInputs}';
import { Shape } from './shape.ts';
console.log(hashValue({ shape: new Shape(2) }));
`;
    const scratch = project({ 'shape.ts': shapeModule('this.size ** 2'), 'main.ts': main });
    const first = (await scratch.run('main.ts')).trim();
    const moved = scratch.copy();
    projects.push(moved);
    expect((await moved.run('main.ts')).trim()).toBe(first);
    scratch.write('shape.ts', shapeModule('this.size * this.size'));
    const edited = (await scratch.run('main.ts')).trim();
    expect(edited).toMatch(/^[0-9a-f]{64}$/);
    expect(edited).not.toBe(first);
  });

  it('leaves plain objects and built-ins without a class identity', () => {
    expect(encodeInputs('f', [{ a: 1 }], ['x']).text).toBe('1:x{1:ad1;}');
    expect(encodeInputs('f', [new Map([[1, 2]])], ['x']).text).toBe('1:xM1:d1;d2;');
    expect(encodeInputs('f', [new Error('m')], ['x']).text).toBe('1:xE5:Error0:s5:Errors1:m{}');
  });

  it('hashes data on a class prototype and on a class-less prototype', () => {
    class Polygon {
      constructor(readonly name: string) {}
    }
    const before = hashValue(new Polygon('a'));
    (Polygon.prototype as any).sides = 4;
    const four = hashValue(new Polygon('a'));
    (Polygon.prototype as any).sides = 5;
    expect(new Set([before, four, hashValue(new Polygon('a'))]).size).toBe(3);
    const base = { unit: 'cm' };
    expect(hashValue(Object.create(base))).not.toBe(hashValue(Object.create({ unit: 'mm' })));
  });
});

describe('#private fields', () => {
  class Circle {
    #radius: number;
    constructor(radius: number) {
      this.#radius = radius;
    }
    get radius() {
      return this.#radius;
    }
  }

  it('refuses an instance whose class declares one, naming the path and the fix', () => {
    const error = refusal({ shape: new Circle(1) });
    expect(error.code).toBe('UNHASHABLE_INPUT');
    expect(error.path).toBe('config.shape.#radius');
    expect(error.message).toContain('`config.shape.#radius` is a private field of class Circle');
    expect(error.message).toContain("[Symbol.for('memoflow.hash')]()");
    expect(error.message).toContain("ignore: ['config']");
    expect(error.message).toContain('`key` function');
  });

  it('refuses an instance whose base class declares one', () => {
    class Ring extends Circle {
      width = 1;
    }
    expect(refusal([new Ring(2)]).path).toBe('config[0].#radius');
  });

  it('accepts such an instance when its class implements the hash protocol', () => {
    class Disc {
      #radius: number;
      constructor(radius: number) {
        this.#radius = radius;
      }
      [HASH_PROTOCOL]() {
        return this.#radius;
      }
    }
    expect(hashValue(new Disc(1))).not.toBe(hashValue(new Disc(2)));
  });

  it('does not take a # in a string, a comment or a private method for a field', () => {
    class Tagged {
      tag = '#notPrivate';
      // #alsoNot = 1
      #helper() {
        return 1;
      }
      read() {
        return this.#helper();
      }
    }
    expect(hashValue(new Tagged())).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('non-enumerable and symbol-keyed own properties', () => {
  class Box {
    constructor(readonly content: number) {}
  }
  const withHidden = (value: unknown) => {
    const box = new Box(1);
    Object.defineProperty(box, 'secret', { value, enumerable: false });
    return box;
  };

  it('hashes non-enumerable properties of instances, apart from enumerable ones', () => {
    expect(hashValue(withHidden(1))).not.toBe(hashValue(withHidden(2)));
    expect(hashValue(withHidden(1))).not.toBe(hashValue(new Box(1)));
    expect(hashValue(withHidden(1))).not.toBe(hashValue(Object.assign(new Box(1), { secret: 1 })));
  });

  it('hashes non-enumerable properties of plain objects', () => {
    const hidden = (value: number) => Object.defineProperty({ a: 1 }, 'b', { value, enumerable: false });
    expect(hashValue(hidden(1))).not.toBe(hashValue(hidden(2)));
    expect(hashValue(hidden(1))).not.toBe(hashValue({ a: 1, b: 1 }));
  });

  it('hashes symbol keys of instances by registry key, well-known name or description', () => {
    const box = (key: symbol, value: number) => Object.assign(new Box(1), { [key]: value });
    expect(hashValue(box(Symbol('unit'), 1))).not.toBe(hashValue(box(Symbol('unit'), 2)));
    expect(hashValue(box(Symbol('unit'), 1))).not.toBe(hashValue(new Box(1)));
    // A local symbol is another value in every process: its description is what stays the same.
    expect(hashValue(box(Symbol('unit'), 1))).toBe(hashValue(box(Symbol('unit'), 1)));
    expect(hashValue(box(Symbol.for('unit'), 1))).not.toBe(hashValue(box(Symbol('unit'), 1)));
    expect(hashValue(box(Symbol.iterator, 1))).not.toBe(hashValue(box(Symbol('iterator'), 1)));
    expect(hashValue(box(Symbol('a'), 1))).not.toBe(hashValue(box(Symbol(), 1)));
  });

  it('refuses two local symbol keys with the same description', () => {
    const box = Object.assign(new Box(1), { [Symbol('id')]: 1, [Symbol('id')]: 2 });
    const error = refusal(box);
    expect(error.path).toBe('config[Symbol(id)]');
    expect(error.message).toContain('same description');
  });

  it('names the path of an unhashable value under a symbol or hidden key', () => {
    expect(refusal(Object.assign(new Box(1), { [Symbol.for('cb')]: () => 1 })).path).toBe(
      'config[Symbol.for("cb")]',
    );
    expect(refusal(withHidden(() => 1)).path).toBe('config.secret');
  });
});

describe('built-ins', () => {
  it('hashes a RegExp with its lastIndex', () => {
    const moved = /a/g;
    moved.lastIndex = 3;
    expect(hashValue(moved)).not.toBe(hashValue(/a/g));
  });

  it('hashes AggregateError.errors, a cause and hidden fields of errors, but not the stack', () => {
    expect(hashValue(new AggregateError([1], 'm'))).not.toBe(hashValue(new AggregateError([2], 'm')));
    expect(hashValue(new Error('m', { cause: 1 }))).not.toBe(hashValue(new Error('m', { cause: 2 })));
    const hidden = (value: number) => Object.defineProperty(new Error('m'), 'code', { value });
    expect(hashValue(hidden(1))).not.toBe(hashValue(hidden(2)));
    const [here, there] = [new Error('m'), (() => new Error('m'))()];
    expect(here.stack).not.toBe(there.stack);
    expect(hashValue(here)).toBe(hashValue(there));
  });

  it('gives an error subclass its class identity', () => {
    class NotFound extends Error {
      get status() {
        return 404;
      }
    }
    const Gone = class NotFound extends Error {
      get status() {
        return 410;
      }
    };
    expect(hashValue(new NotFound('m'))).not.toBe(hashValue(new Gone('m')));
  });

  it('hashes extra properties of Maps, Sets and Dates', () => {
    const tagged = (label: string) => Object.assign(new Map([[1, 2]]), { label });
    expect(hashValue(tagged('a'))).not.toBe(hashValue(tagged('b')));
    expect(hashValue(tagged('a'))).not.toBe(hashValue(new Map([[1, 2]])));
    expect(hashValue(Object.assign(new Set(), { [Symbol.for('k')]: 1 }))).not.toBe(hashValue(new Set()));
    expect(hashValue(Object.assign(new Date(0), { tz: 'UTC' }))).not.toBe(hashValue(new Date(0)));
  });

  it('keeps a built-in with extra properties apart from the built-in followed by an object', () => {
    const withLabel = Object.assign(new Date(0), { a: 1 });
    expect(hashValue([withLabel])).not.toBe(hashValue([new Date(0), { a: 1 }]));
  });
});

describe('proxies', () => {
  it('refuses a Proxy of a Map with UNHASHABLE_INPUT instead of a TypeError', () => {
    const error = refusal({ table: new Proxy(new Map([[1, 2]]), {}) });
    expect(error.path).toBe('config.table');
    expect(error.message).toContain('is a Proxy');
    expect(error.message).toContain("proxy's target");
  });

  it('refuses a Proxy of a class instance', () => {
    class Point {
      x = 1;
    }
    expect(refusal(new Proxy(new Point(), {})).path).toBe('config');
  });

  it('reads a Proxy of a plain object through its traps, as the function does', () => {
    expect(hashValue(new Proxy({ a: 1 }, {}))).toBe(hashValue({ a: 1 }));
  });
});
