import { MARK, main, type SignatureCase } from '../harness.ts';

/** m1.ts … m5.ts, each calling the next; m5's `last` does the work. */
const chain: Record<string, string> = {
  'm1.ts': `import { step2 } from './m2.ts';\nexport const step1 = (n: number) => step2(n) + 1;\n`,
  'm2.ts': `import { step3 } from './m3.ts';\nexport const step2 = (n: number) => step3(n) + 1;\n`,
  'm3.ts': `import { step4 } from './m4.ts';\nexport const step3 = (n: number) => step4(n) + 1;\n`,
  'm4.ts': `import { last } from './m5.ts';\nexport const step4 = (n: number) => last(n) + 1;\n`,
  'm5.ts': `export const last = (n: number) => n * 2;\n`,
};

const chainMain = (options: string) =>
  main(`
import { step1 } from './m1.ts';
const deep = func({ cache${options} }, (n: number) => {
  ${MARK}
  return step1(n);
});
await report('deep', deep, [5]);
`);

const editLast = { 'm5.ts': (text: string) => text.replace('n * 2', 'n * 3') };

/** Project source is followed to the end; `dependencyDepth` is an opt-in cut that says what it left out. */
export const depth: SignatureCase[] = [
  {
    name: 'a helper five modules deep: editing it misses by default',
    files: { ...chain, 'main.ts': chainMain('') },
    edit: { files: editLast },
    expect: { deep: 'miss' },
  },
  {
    name: 'a helper three modules deep: editing it misses by default',
    files: { ...chain, 'main.ts': chainMain('') },
    edit: { files: { 'm3.ts': (text) => text.replace('step4(n) + 1', 'step4(n) + 2') } },
    expect: { deep: 'miss' },
  },
  {
    name: 'a function in a library module, its helper five modules further: editing the helper misses',
    files: {
      ...chain,
      'lib.ts': `import { step1 } from './m1.ts';\nexport function deep(n: number) {\n  ${MARK}\n  return step1(n);\n}\n`,
      'main.ts': main(`
import { deep } from './lib.ts';
await report('deep', func({ cache }, deep), [5]);
`),
    },
    edit: { files: editLast },
    expect: { deep: 'miss' },
  },
  {
    name: '`dependencyDepth: 1` lists what it cuts in `.signature().cut`',
    files: { ...chain, 'main.ts': chainMain(', dependencyDepth: 1') },
    expect: { deep: 'cut:m2' },
  },
  {
    name: '`dependencyDepth: 1`: editing a module inside the cut misses',
    files: { ...chain, 'main.ts': chainMain(', dependencyDepth: 1') },
    edit: { files: { 'm1.ts': (text) => text.replace('step2(n) + 1', 'step2(n) + 2') } },
    expect: { deep: 'miss' },
  },
  {
    name: '`dependencyDepth: 3` lists the cut after an edit past it, which it does not see',
    files: { ...chain, 'main.ts': chainMain(', dependencyDepth: 3') },
    edit: { files: editLast },
    expect: { deep: 'cut:m4' },
  },
];
