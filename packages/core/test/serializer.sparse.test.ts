import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from 'vitest';
import { coreEntry, scratchProject, tsxLoader } from './support/processes.ts';

const run = promisify(execFile);

/**
 * Encodes and decodes a sparse array of the given length in a fresh process, counting every
 * lookup of an index the array does not hold: such a lookup goes up the prototype chain, where a
 * proxy counts it. Walking the array's length would count one (or two) per missing index.
 */
const SCRIPT = `
import { v8Serializer } from ${JSON.stringify(coreEntry)};
import { decodeEntry, encodeEntry } from ${JSON.stringify(coreEntry.replace(/index\.ts$/, 'backend-kit.ts'))};

const length = Number(process.argv[2]);
const sparse = [];
sparse.length = length;
sparse[0] = 'first';
sparse[5] = { rows: [1, 2], nested: Object.assign([], { 3: 'deep' }) };
sparse[length - 1] = 7;

const isIndex = (key) => typeof key === 'string' && /^(0|[1-9][0-9]*)$/.test(key);
const probes = { has: 0, get: 0 };
const counter = new Proxy(Object.create(Object.prototype), {
  has(target, key) {
    if (isIndex(key)) probes.has++;
    return Reflect.has(target, key);
  },
  get(target, key, receiver) {
    if (isIndex(key)) probes.get++;
    return Reflect.get(target, key, receiver);
  },
});
const count = (work) => {
  probes.has = probes.get = 0;
  Object.setPrototypeOf(Array.prototype, counter);
  try {
    return [work(), probes.has + probes.get];
  } finally {
    Object.setPrototypeOf(Array.prototype, Object.prototype);
  }
};

const [bytes, encodeProbes] = count(() => encodeEntry(sparse, v8Serializer, 'sparse'));
const [back, decodeProbes] = count(() => decodeEntry(bytes, v8Serializer));
console.log(JSON.stringify({
  storedBytes: bytes.length,
  encodeProbes,
  decodeProbes,
  isArray: Array.isArray(back),
  length: back.length,
  keys: Object.keys(back),
  first: back[0],
  fifth: back[5],
  nestedKeys: Object.keys(back[5].nested),
  nestedLength: back[5].nested.length,
  last: back[length - 1],
}));
`;

const project = scratchProject({ 'sparse.mjs': SCRIPT }, 'memoflow-sparse-');
afterAll(() => project.dispose());

describe('a stored sparse array', () => {
  // 10⁹ is the case that took half a minute each way; 10⁶ fails fast, with the count, when the
  // length is walked. The watchdog only bounds a broken build: the assertions are counts.
  test.each([1e6, 1e9])(
    'of length %d encodes and decodes with work that follows its elements, not its length',
    async (length) => {
      const { stdout } = await run(
        process.execPath,
        ['--conditions=memoflow-source', '--import', tsxLoader, 'sparse.mjs', String(length)],
        { cwd: project.dir, timeout: 90_000 },
      );
      const result = JSON.parse(stdout);
      expect(result).toEqual({
        storedBytes: expect.any(Number),
        encodeProbes: expect.any(Number),
        decodeProbes: expect.any(Number),
        isArray: true,
        length,
        keys: ['0', '5', String(length - 1)],
        first: 'first',
        fifth: { rows: [1, 2], nested: expect.anything() },
        nestedKeys: ['3'],
        nestedLength: 4,
        last: 7,
      });
      expect(result.storedBytes).toBeLessThan(200);
      // At most a look at the first hole of each sparse array (the outer one and `nested`).
      expect(result.encodeProbes).toBeLessThanOrEqual(4);
      expect(result.decodeProbes).toBeLessThanOrEqual(4);
    },
    120_000,
  );
});
