import type { NodeSignature } from '@memoflow/core/backend-kit';
import { describe, expect, test } from 'vitest';
import { type BackendFactory, bytesOf, info, randomKey, randomNode, useBackend } from './_backend.ts';

/** getMeta / setMeta: the last signature seen per node. */
export function metaTests(create: BackendFactory): void {
  describe('meta', () => {
    const { backend } = useBackend(create);

    test('a node never seen has no meta', async () => {
      expect(await backend().getMeta(randomNode())).toBeUndefined();
    });

    test('a signature reads back equal, optional parts included', async () => {
      const signature = signatureOf(randomNode(), {
        outputHash: randomKey(),
        computeMs: 12.5,
        codeParts: { '<self>': randomKey(), './helpers.ts#scale': randomKey() },
        envParts: { 'lodash@4.17.21': randomKey() },
        inputParts: { rows: randomKey(), 'ünïcode ✓': randomKey() },
      });
      await backend().setMeta(signature);
      expect(await backend().getMeta(signature.node)).toEqual(signature);
    });

    test('the latest signature of a node wins', async () => {
      const node = randomNode();
      await backend().setMeta(signatureOf(node));
      const latest = signatureOf(node);
      await backend().setMeta(latest);
      expect(await backend().getMeta(node)).toEqual(latest);
    });

    test('meta is kept per node', async () => {
      const [a, b] = [signatureOf(randomNode()), signatureOf(randomNode())];
      await backend().setMeta(a);
      await backend().setMeta(b);
      expect(await backend().getMeta(a.node)).toEqual(a);
      expect(await backend().getMeta(b.node)).toEqual(b);
    });

    test('node names with path characters and unicode are just names', async () => {
      for (const node of ['../../etc/passwd', 'a/b\\c', 'Model.train#2', 'ノード ✓', ' ']) {
        const signature = signatureOf(node);
        await backend().setMeta(signature);
        expect(await backend().getMeta(node)).toEqual(signature);
      }
    });

    test('a stored signature is not changed by mutating the object afterwards', async () => {
      const signature = signatureOf(randomNode());
      const expected = structuredClone(signature);
      await backend().setMeta(signature);
      signature.key = randomKey();
      expect(await backend().getMeta(expected.node)).toEqual(expected);
    });

    test('meta and blobs are separate: storing one does not create the other', async () => {
      const node = randomNode();
      const key = randomKey();
      await backend().setBlob(key, bytesOf('x'), info(node));
      expect(await backend().getMeta(node)).toBeUndefined();
      await backend().setMeta(signatureOf(node, { key }));
      expect(await backend().getBlob(key)).toBeDefined();
    });
  });
}

function signatureOf(node: string, more: Partial<NodeSignature> = {}): NodeSignature {
  return {
    node,
    key: randomKey(),
    codeHash: randomKey(),
    envHash: randomKey(),
    inputsHash: randomKey(),
    depsHash: randomKey(),
    timestamp: Date.now(),
    ...more,
  };
}
