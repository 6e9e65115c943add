import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { DiskCache, func, HASH_PROTOCOL, MemoryCache, type Serializer } from '../src/index.ts';

const dirs: string[] = [];
function diskCache() {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-func-'));
  dirs.push(dir);
  return new DiskCache({ dir });
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * How often each computation really ran. Module-level on purpose: a memoized function may read
 * module-level declarations (they are hashed from source), not a test's local variables.
 */
const runs: Record<string, number> = {};
function ran(name: string): void {
  runs[name] = (runs[name] ?? 0) + 1;
}

/** Applies a TS 5 method decorator by hand, as `@decorator` compiles to. */
function decorate<T>(decorator: any, cls: new (...args: any[]) => T, name: string) {
  const proto = cls.prototype as any;
  proto[name] = decorator(proto[name], {
    kind: 'method',
    name,
    static: false,
    private: false,
    addInitializer() {},
  });
}

describe('memoization', () => {
  for (const [backendName, create] of [
    ['MemoryCache', () => new MemoryCache()],
    ['DiskCache', diskCache],
  ] as const) {
    test(`a second call with the same arguments is a hit (${backendName})`, async () => {
      const cache = create();
      const before = runs.square ?? 0;
      const square = func({ cache }, async (x: number) => {
        ran('square');
        return x * x;
      });
      expect(await square(4)).toBe(16);
      expect(await square(4)).toBe(16);
      expect(await square(5)).toBe(25);
      expect(runs.square! - before).toBe(2);
      const signature = await square.signature(4);
      expect(await cache.has(signature.key)).toBe(true);
    });
  }

  test('a DiskCache hit is served to a fresh wrapper of the same function, as in the next process', async () => {
    const cache = diskCache();
    const make = () => func({ cache }, async (n: number) => ({ n, at: Math.random() }));
    const first = await make()(1);
    const second = await make()(1);
    expect(second).toEqual(first);
  });

  test('concurrent calls with the same signature share one computation', async () => {
    const slow = func({ cache: new MemoryCache() }, async (x: number) => {
      ran('slow');
      await new Promise((resolve) => setTimeout(resolve, 20));
      return x + 1;
    });
    const results = await Promise.all([slow(1), slow(1), slow(1), slow(2)]);
    expect(results).toEqual([2, 2, 2, 3]);
    expect(runs.slow).toBe(2);
  });

  test('a rejection is never cached', async () => {
    const flaky = func({ cache: new MemoryCache() }, async (x: number) => {
      ran('flaky');
      if (runs.flaky === 1) throw new Error('boom');
      return x;
    });
    await expect(flaky(7)).rejects.toThrow('boom');
    expect(await flaky(7)).toBe(7);
    expect(await flaky(7)).toBe(7);
    expect(runs.flaky).toBe(2);
  });

  test('sync functions are wrapped too, and their throws become rejections', async () => {
    const add = func({ cache: new MemoryCache() }, (a: number, b: number) => a + b);
    expect(await add(1, 2)).toBe(3);
    const fails = func({ cache: false }, (): number => {
      throw new TypeError('sync failure');
    });
    await expect(fails()).rejects.toThrow('sync failure');
  });

  test('primitive arguments that look alike are told apart on the repeated-call fast path', async () => {
    const echo = func({ cache: new MemoryCache() }, async (x: unknown) => {
      ran('echo');
      return Object.is(x, -0) ? 'minus zero' : typeof x;
    });
    const before = runs.echo ?? 0;
    expect(await echo(0)).toBe('number');
    expect(await echo(0)).toBe('number');
    expect(await echo(-0)).toBe('minus zero');
    expect(await echo(-0)).toBe('minus zero');
    expect(await echo('0')).toBe('string');
    expect(await echo(0n)).toBe('bigint');
    expect(await echo(Number.NaN)).toBe('number');
    expect(await echo(Number.NaN)).toBe('number');
    expect(runs.echo! - before).toBe(5);
  });

  test('the repeated-call fast path still sees a cleared cache', async () => {
    const cache = new MemoryCache();
    const cube = func({ cache }, async (x: number) => {
      ran('cube');
      return x ** 3;
    });
    await cube(2);
    await cube(2);
    await cache.clear();
    await cube(2);
    expect(runs.cube).toBe(2);
  });

  test('an in-memory hit returns the stored value itself', async () => {
    const make = func({ cache: new MemoryCache() }, async (n: number) => ({ n }));
    expect(await make(1)).toBe(await make(1));
  });
});

describe('cache modes', () => {
  test('`cache: false` computes every time and touches no backend', async () => {
    const plain = func({ cache: false }, async (x: number) => {
      ran('plain');
      return x;
    });
    await plain(1);
    await plain(1);
    expect(runs.plain).toBe(2);
  });

  test("'recompute' and 'write-only' always compute and store", async () => {
    for (const mode of ['recompute', 'write-only'] as const) {
      const fn = async (x: number) => {
        ran('forced');
        return x * 2;
      };
      const before = runs.forced ?? 0;
      const forced = func({ cache: mode }, fn);
      // Same code, same inputs, same key: a plain reader of the default cache sees what the forced writer stored.
      const reader = func({}, fn);
      await forced(1);
      await forced(1);
      expect(runs.forced! - before).toBe(2);
      expect(await reader(1)).toBe(2);
      expect(runs.forced! - before).toBe(2);
    }
  });

  test("'read-only' serves stored results and never stores new ones", async () => {
    const fn = async (x: number) => {
      ran('readOnly');
      return x + 100;
    };
    const writer = func({}, fn);
    const readOnly = func({ cache: 'read-only' }, fn);
    await writer(1);
    expect(await readOnly(1)).toBe(101);
    expect(runs.readOnly).toBe(1);
    await readOnly(2);
    await readOnly(2);
    expect(runs.readOnly).toBe(3);
  });

  test('a backend given as `cache` is used in read-write mode', async () => {
    const cache = new MemoryCache();
    const double = func({ cache }, async (x: number) => x * 2);
    await double(2);
    expect((await cache.info()).entries).toBe(1);
    const meta = await cache.getMeta('double');
    expect(meta?.key).toBe((await double.signature(2)).key);
    expect(meta?.outputHash).toMatch(/^[0-9a-f]{64}$/);
    expect(Object.keys(meta?.inputParts ?? {})).toEqual(['x']);
  });
});

describe('inputs: ignore, key, env, ttl', () => {
  test('`ignore` leaves an argument out of the inputs hash, also when it is not the last', async () => {
    const logged = func(
      { cache: new MemoryCache(), ignore: ['logger'] },
      async (x: number, logger: { log: Function }) => {
        logger.log(x);
        ran('logged');
        return x;
      },
    );
    await logged(1, { log: () => {} });
    await logged(1, { log: () => {} });
    expect(runs.logged).toBe(1);

    const first = func(
      { cache: new MemoryCache(), ignore: ['logger'] },
      async (logger: { log: Function }, x: number, y: number) => {
        logger.log(x);
        ran('loggedFirst');
        return x + y;
      },
    );
    expect(await first({ log: () => {} }, 1, 2)).toBe(3);
    expect(await first({ log: () => {} }, 1, 2)).toBe(3);
    expect(await first({ log: () => {} }, 1, 5)).toBe(6);
    expect(runs.loggedFirst).toBe(2);
  });

  test('an ignored argument stays ignored when the call passes fewer arguments than declared', async () => {
    const optional = func(
      { cache: new MemoryCache(), ignore: ['logger'] },
      async (logger: { log: Function }, x?: number) => {
        logger.log(x);
        return x ?? 'none';
      },
    );
    expect(await optional({ log: () => {} })).toBe('none');
  });

  test('`ignore` can name a property of a destructured argument', async () => {
    const fn = func(
      { cache: new MemoryCache(), ignore: ['verbose'] },
      async ({ x, verbose }: { x: number; verbose: boolean }) => {
        ran(`destructured-${verbose}`);
        return x;
      },
    );
    await fn({ x: 1, verbose: true });
    await fn({ x: 1, verbose: false });
    await fn({ x: 2, verbose: false });
    expect([runs['destructured-true'], runs['destructured-false']]).toEqual([1, 1]);
  });

  test('`ignore` naming no parameter is a CONFIG error that lists the parameters', async () => {
    const fn = func({ ignore: ['nope'] }, async (x: number) => x);
    await expect(fn(1)).rejects.toMatchObject({ code: 'CONFIG', message: expect.stringContaining('`x`') });
  });

  test('`key` replaces the arguments in the inputs hash', async () => {
    const byId = func(
      { cache: new MemoryCache(), key: (user: { id: number; seen: Date }) => user.id },
      async (user: { id: number; seen: Date }) => {
        ran('byId');
        return user.id;
      },
    );
    await byId({ id: 1, seen: new Date(1) });
    await byId({ id: 1, seen: new Date(2) });
    await byId({ id: 2, seen: new Date(2) });
    expect(runs.byId).toBe(2);
  });

  test('`env` makes the named variables count, read at every call', async () => {
    const regional = func({ cache: new MemoryCache(), env: ['MEMOFLOW_TEST_REGION'] }, async () => {
      ran('regional');
      return process.env.MEMOFLOW_TEST_REGION;
    });
    try {
      process.env.MEMOFLOW_TEST_REGION = 'eu';
      const eu = await regional.signature();
      expect(await regional()).toBe('eu');
      process.env.MEMOFLOW_TEST_REGION = 'us';
      expect(await regional()).toBe('us');
      expect((await regional.signature()).envHash).not.toBe(eu.envHash);
      process.env.MEMOFLOW_TEST_REGION = 'eu';
      expect(await regional()).toBe('eu');
      expect(runs.regional).toBe(2);
    } finally {
      delete process.env.MEMOFLOW_TEST_REGION;
    }
  });

  test('`ttl` expires stored results', async () => {
    const shortLived = func({ cache: new MemoryCache(), ttl: 30 }, async (x: number) => {
      ran('shortLived');
      return x;
    });
    await shortLived(1);
    await shortLived(1);
    expect(runs.shortLived).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    await shortLived(1);
    expect(runs.shortLived).toBe(2);
  });

  test("`retention: 'latest'` keeps one result per node", async () => {
    const cache = new MemoryCache();
    const latest = func({ cache, retention: 'latest', output: 'latestValue' }, async (x: number) => x);
    await latest(1);
    await latest(2);
    const entries = [];
    for await (const entry of cache.entries()) entries.push(entry);
    expect(entries.map((e) => e.node)).toEqual(['latestValue']);
    expect(entries[0]!.key).toBe((await latest.signature(2)).key);
  });
});

describe('errors', () => {
  test('an unhashable argument rejects with UNHASHABLE_INPUT naming the function, argument and path', async () => {
    const train = func({ cache: new MemoryCache() }, async (config: { client: unknown }) => config);
    await expect(train({ client: () => {} })).rejects.toMatchObject({
      code: 'UNHASHABLE_INPUT',
      node: 'train',
      argument: 'config',
      path: 'args[0].client',
      message: expect.stringContaining('ignore'),
    });
  });

  test('a result that would not round-trip rejects with SERIALIZATION at store time', async () => {
    class Model {
      constructor(readonly weights: number[]) {}
    }
    const train = func({ cache: diskCache() }, async () => new Model([1, 2]));
    await expect(train()).rejects.toMatchObject({ code: 'SERIALIZATION' });
  });

  test('a node-level `serializer` stores what the default cannot', async () => {
    class Model {
      constructor(readonly weights: number[]) {}
    }
    const modelSerializer: Serializer = {
      name: 'model-json@1',
      serialize: (model) => new TextEncoder().encode(JSON.stringify((model as Model).weights)),
      deserialize: (bytes) => new Model(JSON.parse(new TextDecoder().decode(bytes))),
    };
    const cache = diskCache();
    const make = () => func({ cache, serializer: modelSerializer }, async () => new Model([1, 2]));
    await make()();
    const restored = await make()();
    expect(restored).toBeInstanceOf(Model);
    expect(restored.weights).toEqual([1, 2]);
  });

  test('invalid options are CONFIG errors that name the option and the fix', () => {
    expect(() => func({ chache: true } as any, async () => 1)).toThrow(/Unknown option `chache`/);
    expect(() => func({ cache: 'sometimes' } as any, async () => 1)).toThrow(/'read-only'/);
    expect(() => func({ ttl: -1 }, async () => 1)).toThrow(/positive number/);
    expect(() => func({ ignore: 'x' } as any, async () => 1)).toThrow(/array of names/);
    expect(() => func({}, 42 as any)).toThrow(TypeError);
  });
});

describe('captured variables', () => {
  test("a factory closure's captured values are read from the closure and hashed: closures over different values never share a result", async () => {
    const shared = new MemoryCache();
    const scaler = (k: number) => func({ cache: shared }, async (x: number) => x * k);
    expect(await scaler(2)(10)).toBe(20);
    expect(await scaler(3)(10)).toBe(30);
    const [two, three] = [await scaler(2).signature(10), await scaler(3).signature(10)];
    expect(two.key).not.toBe(three.key);
    expect(Object.keys(two.codeParts)).toContain('<captured:k>');
  });

  test('a captured value that cannot be hashed fails with CAPTURED_VARIABLE naming the variable and the fix', async () => {
    const shared = new MemoryCache();
    const withClient = (client: { send: () => void }) =>
      func({ cache: shared }, async (x: number) => {
        client.send();
        return x;
      });
    await expect(withClient({ send: () => {} })(1)).rejects.toMatchObject({
      code: 'CAPTURED_VARIABLE',
      variables: ['client'],
      message: expect.stringContaining('captures: { client: … }'),
    });
  });

  test('with `captures`, closures over different values never share a result', async () => {
    const shared = new MemoryCache();
    const scaler = (k: number) => func({ cache: shared, captures: { k } }, async (x: number) => x * k);
    expect(await scaler(2)(10)).toBe(20);
    expect(await scaler(3)(10)).toBe(30);
    expect(await scaler(2)(10)).toBe(20);
  });

  test('a captured `let` assigned again in its scope is refused with CAPTURED_VARIABLE naming where; a `captures` getter gives its value at every call', async () => {
    const shared = new MemoryCache();
    let factor = 2;
    const scaled = func({ cache: shared }, async (x: number) => x * factor);
    await expect(scaled(1)).rejects.toMatchObject({
      code: 'CAPTURED_VARIABLE',
      variables: ['factor'],
      message: expect.stringMatching(/`factor` at .*func\.test\.ts:\d+.*captures: \{ get factor\(\)/),
    });
    const current = func(
      {
        cache: shared,
        captures: {
          get factor() {
            return factor;
          },
        },
      },
      async (x: number) => x * factor,
    );
    const results: number[] = [];
    for (const next of [2, 3]) {
      factor = next;
      results.push(await current(1));
    }
    expect(results).toEqual([2, 3]);
  });

  test('a `for (let i …; i++)` counter is not a reassignment: each iteration keeps its own value', async () => {
    const shared = new MemoryCache();
    const fns = [];
    for (let i = 1; i <= 2; i++) fns.push(func({ cache: shared }, async (x: number) => x * i));
    expect([await fns[0]!(1), await fns[1]!(1)]).toEqual([1, 2]);
  });

  test("a loop variable is captured: each iteration's function has its own key", async () => {
    const shared = new MemoryCache();
    const fns = [];
    for (const factor of [1, 2]) fns.push(func({ cache: shared }, async (x: number) => x * factor));
    expect([await fns[0]!(1), await fns[1]!(1)]).toEqual([1, 2]);
  });

  test('enclosing helpers whose source shows their value are hashed, not refused', async () => {
    const shared = new MemoryCache();
    const results = await (async () => {
      const RATE = 3;
      const helper = (x: number) => x * RATE;
      const priced = func({ cache: shared }, async (x: number) => helper(x));
      return [await priced(2), (await priced.signature(2)).codeParts];
    })();
    expect(results[0]).toBe(6);
    expect(Object.keys(results[1] as object).sort()).toEqual(['<self>', 'RATE~local', 'helper~local']);
  });
});

function addOne(x: number) {
  return x + 1;
}
function addTwo(x: number) {
  return x + 2;
}

describe('locating the source', () => {
  test('different functions wrapped at one call site each get their own code hash', async () => {
    const [one, two] = [addOne, addTwo].map((fn) => func({ cache: new MemoryCache() }, fn));
    const [a, b] = [await one!.signature(1), await two!.signature(1)];
    expect(a.codeHash).not.toBe(b.codeHash);
    expect(await one!(1)).toBe(2);
    expect(await two!(1)).toBe(3);
  });

  test('a reassigned `let` is not taken for its initializer', async () => {
    let impl = (x: number) => x * 10;
    impl = (x: number) => x * 20;
    const viaLet = func({ cache: new MemoryCache() }, impl);
    const direct = func({ cache: new MemoryCache() }, (x: number) => x * 20);
    expect((await viaLet.signature(1)).codeHash).toBe((await direct.signature(1)).codeHash);
    expect(await viaLet(1)).toBe(20);
  });
});

describe('methods', () => {
  test('`this` is hashed when the method reads it: instances with different fields do not share', async () => {
    class Scaler {
      constructor(readonly factor: number) {}
      scale(x: number) {
        return x * this.factor;
      }
    }
    decorate(func({ cache: new MemoryCache() }), Scaler, 'scale');
    expect(await new Scaler(2).scale(5)).toBe(10);
    expect(await new Scaler(3).scale(5)).toBe(15);
  });

  test("`ignore: ['this']` leaves the instance out; a hash protocol method replaces its fields", async () => {
    class Service {
      client = { send: () => {} };
      constructor(readonly version: number) {}
      [HASH_PROTOCOL]() {
        return this.version;
      }
      compute(x: number) {
        ran('compute');
        return x + this.version;
      }
      plain(x: number) {
        ran('plainMethod');
        return x;
      }
    }
    decorate(func({ cache: new MemoryCache() }), Service, 'compute');
    decorate(func({ cache: new MemoryCache(), ignore: ['this'] }), Service, 'plain');
    expect(await new Service(1).compute(1)).toBe(2);
    expect(await new Service(1).compute(1)).toBe(2);
    expect(await new Service(2).compute(1)).toBe(3);
    expect(runs.compute).toBe(2);
    await new Service(1).plain(1);
    await new Service(9).plain(1);
    expect(runs.plainMethod).toBe(1);
  });

  test('an instance with an unhashable field names `this` and the fixes', async () => {
    class Client {
      connection = () => {};
      fetch(id: number) {
        return [id, this.connection.name];
      }
    }
    decorate(func({ cache: new MemoryCache() }), Client, 'fetch');
    await expect(new Client().fetch(1)).rejects.toMatchObject({
      code: 'UNHASHABLE_INPUT',
      argument: 'this',
      path: 'this.connection',
    });
  });
});
