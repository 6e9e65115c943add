import { afterAll, beforeAll, expect, test } from 'vitest';
import { coreEntry, fakePackage, type ScratchProject, scratchProject } from './support/processes.ts';

const work = `import { func } from ${JSON.stringify(coreEntry)};
import { toMeters } from 'fake-units';
import { readFileSync } from 'node:fs';

const converted = func({}, async (feet: number) => toMeters(feet));
const plain = func({}, async (feet: number) => feet * 2);
const usesBuiltin = func({}, async (path: string) => readFileSync(path, 'utf8'));
for (const f of [converted, plain]) console.log(JSON.stringify(await f.signature(10)));
console.log(JSON.stringify(await usesBuiltin.signature('x')));
`;

let project: ScratchProject;
let before: any[];

beforeAll(async () => {
  project = scratchProject({ ...fakePackage('1.0.0'), 'work.ts': work });
  before = await project.runJson('work.ts');
});
afterAll(() => project.dispose());

test('the env hash covers runtime major version, platform, arch and the imported packages', () => {
  const [converted, plain, usesBuiltin] = before;
  expect(converted.envParts).toEqual({
    runtime: `node@${process.versions.node.split('.')[0]}`,
    platform: process.platform,
    arch: process.arch,
    'npm:fake-units': 'fake-units@1.0.0',
  });
  expect(Object.keys(plain.envParts)).toEqual(['runtime', 'platform', 'arch']);
  // node: builtins are part of the runtime, not packages.
  expect(Object.keys(usesBuiltin.envParts)).toEqual(['runtime', 'platform', 'arch']);
});

test('upgrading an imported package changes the env hash of the functions that import it, and of no others', async () => {
  for (const [path, text] of Object.entries(fakePackage('1.1.0'))) project.write(path, text);
  const after = await project.runJson('work.ts');
  const [convertedBefore, plainBefore, builtinBefore] = before;
  const [convertedAfter, plainAfter, builtinAfter] = after;
  expect(convertedAfter.envParts['npm:fake-units']).toBe('fake-units@1.1.0');
  expect(convertedAfter.envHash).not.toBe(convertedBefore.envHash);
  expect(convertedAfter.key).not.toBe(convertedBefore.key);
  expect(convertedAfter.codeHash).toBe(convertedBefore.codeHash);
  expect(plainAfter.envHash).toBe(plainBefore.envHash);
  expect(plainAfter.key).toBe(plainBefore.key);
  expect(builtinAfter.key).toBe(builtinBefore.key);
});
