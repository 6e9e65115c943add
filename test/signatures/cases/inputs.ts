import { MARK, main, type SignatureCase } from '../harness.ts';

/** Two inputs that differ only in what `make(value)` sets: keys must differ, or the input is refused. */
const differ = (name: string, setup: string, make: string, knownStale?: string): SignatureCase => ({
  name,
  knownStale,
  files: {
    'main.ts': main(`
${setup}
const describe = func({ cache }, (input: unknown) => {
  ${MARK}
  return String(input);
});
await report('one', describe, [${make.replace('VALUE', '1')}]);
await report('two', describe, [${make.replace('VALUE', '2')}]);
`),
  },
  expect: {},
  distinct: [['one', 'two']],
  refusalAllowed: 'UNHASHABLE_INPUT',
});

const shape = `export class Shape {\n  constructor(readonly side: number) {}\n  area() {\n    return this.side * this.side;\n  }\n}\n`;

const areaMain = main(`
import { Shape } from './shape.ts';
const area = func({ cache }, (shape: Shape) => {
  ${MARK}
  return shape.area();
});
await report('area', area, [new Shape(2)]);
`);

/** Every part of an input counts, or the input is refused with `UNHASHABLE_INPUT`. */
export const inputs: SignatureCase[] = [
  {
    name: 'two classes both named `Shape` from different modules get different keys',
    files: {
      'square.ts': shape,
      'circle.ts': `export class Shape {\n  constructor(readonly side: number) {}\n  area() {\n    return 3.14 * this.side * this.side;\n  }\n}\n`,
      'main.ts': main(`
import { Shape as Square } from './square.ts';
import { Shape as Circle } from './circle.ts';
const area = func({ cache }, (shape: { area(): number }) => {
  ${MARK}
  return shape.area();
});
await report('square', area, [new Square(2)]);
await report('circle', area, [new Circle(2)]);
`),
    },
    expect: { square: 'computed', circle: 'computed' },
    distinct: [['square', 'circle']],
  },
  {
    name: "an input's class method edited: misses",
    files: {
      'shape.ts': shape,
      'main.ts': areaMain,
    },
    edit: {
      files: { 'shape.ts': (text) => text.replace('this.side * this.side', 'this.side * this.side * 2') },
    },
    expect: { area: 'miss' },
  },
  {
    name: 'an instance input of an unchanged class hits',
    files: {
      'shape.ts': shape,
      'main.ts': areaMain,
    },
    edit: { files: { 'main.ts': (text) => `// again\n${text}` } },
    expect: { area: 'hit' },
  },
  differ(
    'instances differing only in a `#private` field: different keys or UNHASHABLE_INPUT',
    'class Secret {\n  #value: number;\n  constructor(value: number) {\n    this.#value = value;\n  }\n  get value() {\n    return this.#value;\n  }\n}',
    'new Secret(VALUE)',
  ),
  differ(
    'objects differing only in a non-enumerable property: different keys or UNHASHABLE_INPUT',
    'const hidden = (value: number) => Object.defineProperty({ a: 1 }, "b", { value, enumerable: false });',
    'hidden(VALUE)',
  ),
  differ(
    'objects differing only in a symbol-keyed property: different keys or UNHASHABLE_INPUT',
    'const tag = Symbol("tag");',
    '{ a: 1, [tag]: VALUE }',
  ),
  differ(
    'objects differing only in prototype data: different keys or UNHASHABLE_INPUT',
    '',
    'Object.create({ rate: VALUE })',
  ),
  differ(
    'arrays differing only in a named property: different keys or UNHASHABLE_INPUT',
    'const named = (value: number) => Object.assign([1, 2], { unit: value });',
    'named(VALUE)',
  ),
  differ(
    'errors differing only in an extra property: different keys or UNHASHABLE_INPUT',
    'const failure = (value: number) => Object.assign(new Error("failed"), { status: value });',
    'failure(VALUE)',
  ),
  differ(
    '`AggregateError`s differing only in `.errors`: different keys or UNHASHABLE_INPUT',
    '',
    'new AggregateError([new Error("e" + VALUE)], "many")',
  ),
  differ(
    'RegExps differing only in `lastIndex`: different keys or UNHASHABLE_INPUT',
    'const at = (value: number) => Object.assign(/a/g, { lastIndex: value });',
    'at(VALUE)',
  ),
  differ(
    'Maps differing only in a property set on the Map object: different keys or UNHASHABLE_INPUT',
    'const labelled = (value: number) => Object.assign(new Map([[1, 1]]), { label: value });',
    'labelled(VALUE)',
  ),
  {
    name: 'a Proxy of a Map is refused with UNHASHABLE_INPUT, not a raw TypeError',
    files: {
      'main.ts': main(`
const size = func({ cache }, (input: Map<number, number>) => {
  ${MARK}
  return input.size;
});
await report('size', size, [new Proxy(new Map([[1, 2]]), {})]);
`),
    },
    expect: { size: 'error:UNHASHABLE_INPUT:key' },
  },
];
