/** TieredCache.computeTimes: each key's stored compute time from the fastest tier that has one; failing tiers passed over. */
import fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, onTestFinished, test } from 'vitest';
import type { LiveEntry } from '../src/backends/contract.ts';
import { DiskCache } from '../src/backends/disk/disk-cache.ts';
import { MemoryCache } from '../src/backends/memory/memory-cache.ts';
import { TieredCache } from '../src/backends/tiered/tiered-cache.ts';
import type { BackendError } from '../src/errors.ts';

const root = fs.mkdtempSync(join(tmpdir(), 'memoflow-tiered-times-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
const freshDir = () => fs.mkdtempSync(join(root, 'cache-'));

const key = (n: number) => n.toString(16).padStart(64, '0');
const bytes = (text: string) => new TextEncoder().encode(text);
const textOf = (stored: Uint8Array | undefined) => stored && new TextDecoder().decode(stored);

/** The cache, closed when the test ends. */
function open(cache: TieredCache): TieredCache {
  onTestFinished(() => cache.close());
  return cache;
}

/** A DiskCache whose `computeTimes` fails (its index unreadable, say). */
class FailingTimesDisk extends DiskCache {
  override async computeTimes(): Promise<(number | undefined)[]> {
    throw new Error('index unreadable');
  }
}

/** A MemoryCache whose `peek` throws. */
class FailingPeekMemory extends MemoryCache {
  override peek(): LiveEntry | undefined {
    throw new Error('peek broke');
  }
}

describe('TieredCache computeTimes', () => {
  test("each key's time comes from the fastest tier that has one: a live entry first, then the slower tiers", async () => {
    const memory = new MemoryCache();
    const disk = new DiskCache({ dir: freshDir() });
    const cache = open(new TieredCache([memory, disk]));
    const [live, onDisk, untimed, absent, promoted] = [1, 2, 3, 4, 5].map(key);
    await memory.setBlob(live!, bytes('a'), { node: 'n', computeMs: 5, value: 'a', outputHash: 'h' });
    await disk.setBlob(live!, bytes('a'), { node: 'n', computeMs: 50 });
    await disk.setBlob(onDisk!, bytes('b'), { node: 'n', computeMs: 7 });
    await disk.setBlob(untimed!, bytes('c'), { node: 'n' });
    await disk.setBlob(promoted!, bytes('d'), { node: 'n', computeMs: 11 });
    // Read through the cache: copied into the memory tier, which holds it without a time.
    expect(textOf(await cache.getBlob(promoted!))).toBe('d');
    expect(textOf(await memory.getBlob(promoted!))).toBe('d');
    expect(memory.peek(promoted!)).toBeUndefined();

    expect(await cache.computeTimes([live!, onDisk!, untimed!, absent!, promoted!])).toEqual([
      5,
      7,
      undefined,
      undefined,
      11,
    ]);
    expect(await cache.computeTimes([])).toEqual([]);
  });

  test('a tier whose peek or computeTimes fails is reported to onError and passed over', async () => {
    const failures: BackendError[] = [];
    const cache = open(
      new TieredCache(
        [
          new FailingPeekMemory(),
          new FailingTimesDisk({ dir: freshDir() }),
          new DiskCache({ dir: freshDir() }),
        ],
        { onError: (error) => failures.push(error) },
      ),
    );
    await cache.setBlob(key(1), bytes('a'), { node: 'n', computeMs: 9 });
    expect(await cache.computeTimes([key(1), key(2)])).toEqual([9, undefined]);
    expect(failures.map((failure) => [failure.code, failure.message])).toEqual([
      ['BACKEND', expect.stringContaining('Tier 1 (memory) of a TieredCache failed in peek')],
      ['BACKEND', expect.stringContaining('Tier 2 (disk) of a TieredCache failed in computeTimes')],
    ]);
    expect((failures[1]!.cause as Error).message).toBe('index unreadable');
  });

  test('a key that is not a hex digest is refused before any tier is asked', async () => {
    const cache = open(new TieredCache([new MemoryCache(), new DiskCache({ dir: freshDir() })]));
    await expect(cache.computeTimes(['../etc'])).rejects.toThrow(/key/i);
  });
});
