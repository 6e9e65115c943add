import { MARK, main, type SignatureCase } from '../harness.ts';

const manifest = (name: string, version: string, dependencies: Record<string, string> = {}) =>
  JSON.stringify({ name, version, type: 'module', exports: './index.js', dependencies });

/** pkg-a depends on pkg-b; pkg-c stands alone. */
const installed = (bVersion: string): Record<string, string> => ({
  'node_modules/pkg-a/package.json': manifest('pkg-a', '1.0.0', { 'pkg-b': '^1.0.0' }),
  'node_modules/pkg-a/index.js': `import { base } from 'pkg-b';\nexport const scale = (n) => n * base();\n`,
  'node_modules/pkg-b/package.json': manifest('pkg-b', bVersion),
  'node_modules/pkg-b/index.js': `export const base = () => 2;\n`,
  'node_modules/pkg-c/package.json': manifest('pkg-c', '1.0.0'),
  'node_modules/pkg-c/index.js': `export const shift = (n) => n + 1;\n`,
});

const twoFunctions = {
  'a.ts': `import { scale } from 'pkg-a';\nexport function viaA(n: number) {\n  ${MARK}\n  return scale(n);\n}\n`,
  'c.ts': `import { shift } from 'pkg-c';\nexport function viaC(n: number) {\n  ${MARK}\n  return shift(n);\n}\n`,
  'main.ts': main(`
import { viaA } from './a.ts';
import { viaC } from './c.ts';
await report('viaA', func({ cache }, viaA), [5]);
await report('viaC', func({ cache }, viaC), [5]);
`),
};

const patch = (value: number) => `diff --git a/node_modules/pkg-a/index.js b/node_modules/pkg-a/index.js
--- a/node_modules/pkg-a/index.js
+++ b/node_modules/pkg-a/index.js
@@ -1,2 +1,2 @@
 import { base } from 'pkg-b';
-export const scale = (n) => n * base();
+export const scale = (n) => n * base() * ${value};
`;

const readsEnv = (read: string) =>
  main(`
const price = func({ cache }, (n: number) => {
  ${MARK}
  return n * Number(${read});
});
await report('price', price, [5]);
`);

/** The installed dependency closure, patches and environment variables the code reads. */
export const env: SignatureCase[] = [
  {
    name: 'a transitive dependency upgraded in node_modules: misses for the function reaching it, hits for the other',
    files: { ...installed('1.0.0'), ...twoFunctions },
    edit: { files: { 'node_modules/pkg-b/package.json': manifest('pkg-b', '1.0.1') } },
    expect: { viaA: 'miss', viaC: 'hit' },
  },
  {
    name: 'a nested transitive dependency (node_modules/pkg-a/node_modules/pkg-b) upgraded: misses',
    files: {
      ...installed('1.0.0'),
      'node_modules/pkg-a/node_modules/pkg-b/package.json': manifest('pkg-b', '2.0.0'),
      'node_modules/pkg-a/node_modules/pkg-b/index.js': `export const base = () => 2;\n`,
      ...twoFunctions,
    },
    edit: { files: { 'node_modules/pkg-a/node_modules/pkg-b/package.json': manifest('pkg-b', '2.0.1') } },
    expect: { viaA: 'miss', viaC: 'hit' },
  },
  {
    name: 'a direct dependency upgraded: misses for the function importing it, hits for the other',
    files: { ...installed('1.0.0'), ...twoFunctions },
    edit: { files: { 'node_modules/pkg-c/package.json': manifest('pkg-c', '1.1.0') } },
    expect: { viaA: 'hit', viaC: 'miss' },
  },
  {
    name: 'a patch-package patch edited: misses for the function reaching the patched package',
    files: {
      ...installed('1.0.0'),
      ...twoFunctions,
      'package.json': JSON.stringify({ type: 'module', scripts: { postinstall: 'patch-package' } }),
      'patches/pkg-a+1.0.0.patch': patch(1),
    },
    edit: { files: { 'patches/pkg-a+1.0.0.patch': patch(3) } },
    expect: { viaA: 'miss', viaC: 'hit' },
  },
  {
    name: 'a pnpm `patchedDependencies` patch edited: misses for the function reaching the patched package',
    files: {
      ...installed('1.0.0'),
      ...twoFunctions,
      'package.json': JSON.stringify({
        type: 'module',
        pnpm: { patchedDependencies: { 'pkg-a@1.0.0': 'patches/pkg-a@1.0.0.patch' } },
      }),
      'patches/pkg-a@1.0.0.patch': patch(1),
    },
    edit: { files: { 'patches/pkg-a@1.0.0.patch': patch(3) } },
    expect: { viaA: 'miss', viaC: 'hit' },
  },
  {
    name: '`process.env.RATE` read in the function and changed: misses',
    files: { 'main.ts': readsEnv('process.env.RATE') },
    env: { RATE: '2' },
    edit: { env: { RATE: '3' } },
    expect: { price: 'miss' },
  },
  {
    name: "`process.env['RATE']` read in the function and changed: misses",
    files: { 'main.ts': readsEnv("process.env['RATE']") },
    env: { RATE: '2' },
    edit: { env: { RATE: '3' } },
    expect: { price: 'miss' },
  },
  {
    name: '`process.env.RATE` read in a helper in another module and changed: misses',
    files: {
      'rate.ts': `export const rate = () => Number(process.env.RATE);\n`,
      'main.ts': main(`
import { rate } from './rate.ts';
const price = func({ cache }, (n: number) => {
  ${MARK}
  return n * rate();
});
await report('price', price, [5]);
`),
    },
    env: { RATE: '2' },
    edit: { env: { RATE: '3' } },
    expect: { price: 'miss' },
  },
  {
    name: 'an environment variable the code never reads changed: hits',
    files: { 'main.ts': readsEnv('process.env.RATE') },
    env: { RATE: '2', OTHER_SETTING: 'a' },
    edit: { env: { OTHER_SETTING: 'b' } },
    expect: { price: 'hit' },
  },
  {
    name: 'a variable declared in `env` changed: misses',
    files: {
      'main.ts': main(`
const price = func({ cache, env: ['RATE'] }, (n: number) => {
  ${MARK}
  return n * 2;
});
await report('price', price, [5]);
`),
    },
    env: { RATE: '2' },
    edit: { env: { RATE: '3' } },
    expect: { price: 'miss' },
  },
];
