import { afterAll, beforeAll, expect, test } from 'vitest';
import { fakePackage, type ScratchProject, scratchProject } from './support/processes.ts';
import { helpersSource, unitsPipelineSource } from './support/units-project.ts';

/**
 * Why did it miss? Each run is a fresh process on real files sharing one DiskCache; between runs
 * a helper is edited, a package upgraded, an input changed — and the report must say which.
 */

const helpers = helpersSource;

const pipeline =
  unitsPipelineSource(`const runner = new Runner({ cache: { backend: new DiskCache({ dir: '.memoflow' }) } });
const count = Number(process.env.COUNT ?? 3);
const { report } = await runner.run(new Pipeline([lengths, scaled, meters, total]), { count });
console.log(JSON.stringify(report.nodes.map(({ node, status, reason, changed }) => ({ node, status, reason, changed }))));
`);

let project: ScratchProject;
const run = async (env: Record<string, string> = {}) => {
  const [nodes] = await project.runJson<any[]>('pipeline.ts', env);
  return Object.fromEntries(nodes!.map((n) => [n.node, n]));
};

beforeAll(() => {
  project = scratchProject({ ...fakePackage('1.0.0'), 'helpers.ts': helpers(2), 'pipeline.ts': pipeline });
});
afterAll(() => project.dispose());

test('a first run misses as new; a second, in a new process, hits everywhere', async () => {
  const first = await run();
  expect(Object.values(first).map((n: any) => [n.status, n.reason])).toEqual(Array(4).fill(['miss', 'new']));
  const second = await run();
  expect(Object.values(second).map((n: any) => n.status)).toEqual(['hit', 'hit', 'hit', 'hit']);
});

test('editing a helper: the node calling it misses with reason code, naming the helper; early cutoff spares the rest', async () => {
  project.write('helpers.ts', helpers(3));
  const nodes = await run();
  expect(nodes.lengths.status).toBe('hit');
  expect(nodes.scaled).toMatchObject({
    status: 'miss',
    reason: 'code',
    changed: ['helper `scale` (helpers)'],
  });
  expect(nodes.meters.status).toBe('hit');
  expect(nodes.total).toMatchObject({ status: 'miss', reason: 'deps', changed: ['upstream `scaled`'] });
});

test('upgrading a package: the node importing it misses with reason env, naming the package and versions', async () => {
  for (const [path, text] of Object.entries(fakePackage('1.1.0'))) project.write(path, text);
  const nodes = await run();
  expect(nodes.scaled.status).toBe('hit');
  expect(nodes.meters).toMatchObject({
    status: 'miss',
    reason: 'env',
    changed: ['package `fake-units` 1.0.0 → 1.1.0'],
  });
  // Same bytes out of meters: total is spared by early cutoff.
  expect(nodes.total.status).toBe('hit');
});

test('changing an external input: the node reading it misses with reason inputs, naming the input', async () => {
  const nodes = await run({ COUNT: '4' });
  expect(nodes.lengths).toMatchObject({ status: 'miss', reason: 'inputs', changed: ['input `count`'] });
  expect(nodes.scaled).toMatchObject({ status: 'miss', reason: 'deps', changed: ['upstream `lengths`'] });
});
