import { MARK, main, type SignatureCase } from '../harness.ts';

/** A main.ts with `classSource`, whose `@func` method `run` is reported on a fresh `Model`. */
const decorated = (classSource: string, imports = '') =>
  main(`
${imports}
${classSource.trim()}

await report('run', Model.prototype.run, [5], new Model());
`);

const helperModel = decorated(`
class Model {
  @func({ cache })
  run(n: number) {
    ${MARK}
    return this.helper(n);
  }
  helper(n: number) {
    return n * 2;
  }
}
`);

const shapeLib = `export class Shape {\n  constructor(readonly side: number) {}\n  area() {\n    return this.side * this.side;\n  }\n}\n`;

/** A method's code includes every member it reaches through `this` and `super`. */
export const classes: SignatureCase[] = [
  {
    name: '`@func` method calling `this.helper()`: editing the helper misses',
    files: { 'main.ts': helperModel },
    edit: { files: { 'main.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { run: 'miss' },
  },
  {
    name: '`@func` method calling `this.#helper()`: editing the private helper misses',
    files: {
      'main.ts': decorated(`
class Model {
  @func({ cache })
  run(n: number) {
    ${MARK}
    return this.#helper(n);
  }
  #helper(n: number) {
    return n * 2;
  }
}
`),
    },
    edit: { files: { 'main.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { run: 'miss' },
  },
  {
    name: '`@func` method calling `super.calc()`: editing the base method misses',
    files: {
      'base.ts': `export class Base {\n  calc(n: number) {\n    return n * 2;\n  }\n}\n`,
      'main.ts': decorated(
        `
class Model extends Base {
  @func({ cache })
  run(n: number) {
    ${MARK}
    return super.calc(n);
  }
}
`,
        `import { Base } from './base.ts';`,
      ),
    },
    edit: { files: { 'base.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { run: 'miss' },
  },
  {
    name: '`@func` method calling an inherited `this.baseHelper()`: editing the base class misses',
    files: {
      'base.ts': `export class Base {\n  baseHelper(n: number) {\n    return n * 2;\n  }\n}\n`,
      'main.ts': decorated(
        `
class Model extends Base {
  @func({ cache })
  run(n: number) {
    ${MARK}
    return this.baseHelper(n);
  }
}
`,
        `import { Base } from './base.ts';`,
      ),
    },
    edit: { files: { 'base.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { run: 'miss' },
  },
  {
    name: '`@func` method reading a static field: editing its value misses',
    files: {
      'main.ts': decorated(`
class Model {
  static factor = 2;
  @func({ cache })
  run(n: number) {
    ${MARK}
    return n * Model.factor;
  }
}
`),
    },
    edit: { files: { 'main.ts': (text) => text.replace('factor = 2', 'factor = 3') } },
    expect: { run: 'miss' },
  },
  {
    name: '`@func` method calling a static method: editing it misses',
    files: {
      'main.ts': decorated(`
class Model {
  static scale(n: number) {
    return n * 2;
  }
  @func({ cache })
  run(n: number) {
    ${MARK}
    return Model.scale(n);
  }
}
`),
    },
    edit: { files: { 'main.ts': (text) => text.replace('n * 2', 'n * 3') } },
    expect: { run: 'miss' },
  },
  {
    name: '`@func` method reading a getter: editing the getter misses',
    files: {
      'main.ts': decorated(`
class Model {
  get factor() {
    return 2;
  }
  @func({ cache })
  run(n: number) {
    ${MARK}
    return n * this.factor;
  }
}
`),
    },
    edit: { files: { 'main.ts': (text) => text.replace('return 2;', 'return 3;') } },
    expect: { run: 'miss' },
  },
  {
    name: 'a class used as a value (`new Shape(n).area()`): editing its method misses',
    files: {
      'shape.ts': shapeLib,
      'main.ts': main(`
import { Shape } from './shape.ts';
const area = func({ cache }, (n: number) => {
  ${MARK}
  return new Shape(n).area();
});
await report('area', area, [3]);
`),
    },
    edit: {
      files: { 'shape.ts': (text) => text.replace('this.side * this.side', 'this.side * this.side * 2') },
    },
    expect: { area: 'miss' },
  },
  {
    name: 'a class used as a value: editing its base class misses',
    files: {
      'base.ts': `export class Polygon {\n  sides() {\n    return 4;\n  }\n}\n`,
      'shape.ts': `import { Polygon } from './base.ts';\nexport class Square extends Polygon {\n  perimeter(side: number) {\n    return side * this.sides();\n  }\n}\n`,
      'main.ts': main(`
import { Square } from './shape.ts';
const perimeter = func({ cache }, (n: number) => {
  ${MARK}
  return new Square().perimeter(n);
});
await report('perimeter', perimeter, [3]);
`),
    },
    edit: { files: { 'base.ts': (text) => text.replace('return 4;', 'return 5;') } },
    expect: { perimeter: 'miss' },
  },
];
