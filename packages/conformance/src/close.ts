import { describe, expect, test } from 'vitest';
import { type BackendFactory, bytesOf, info, randomKey, randomNode } from './_backend.ts';

/** close(): releases what the backend holds. */
export function closeTests(create: BackendFactory): void {
  describe('close', () => {
    test('close() of a fresh backend resolves', async () => {
      const backend = await create();
      await expect(backend.close()).resolves.toBeUndefined();
    });

    test('close() after reads and writes resolves', async () => {
      const backend = await create();
      const key = randomKey();
      const node = randomNode();
      await backend.setBlob(key, bytesOf('x'), info(node));
      await backend.getBlob(key);
      await backend.getMeta(node);
      await backend.clear();
      await expect(backend.close()).resolves.toBeUndefined();
    });
  });
}
