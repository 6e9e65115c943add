/**
 * The deadline of a Redis command: it grows with the bytes the command moves, once a second
 * connection shows the server answers, and a command that is only late is not given up.
 */
import { describe, expect, test } from 'vitest';
import { answerInTime, BYTES_PER_MS, deadlineFor } from '../src/_deadline.ts';

const never = () => new Promise<never>(() => {});
const after = <T>(ms: number, value: T) => new Promise<T>((resolve) => setTimeout(() => resolve(value), ms));

describe('deadlineFor', () => {
  test('is the timeout for nothing to move, plus 1 ms per BYTES_PER_MS bytes', () => {
    expect(deadlineFor(1_000, 0)).toBe(1_000);
    expect(deadlineFor(1_000, BYTES_PER_MS)).toBe(1_001);
    expect(deadlineFor(1_000, 300 * 1024 * 1024)).toBe(1_000 + Math.ceil((300 * 1024 * 1024) / BYTES_PER_MS));
    expect(deadlineFor(500, 300e6)).toBe(500 + 75_000);
  });
});

describe('answerInTime', () => {
  test('an answer in time is the answer; a refusal is the refusal, and the server is not probed', async () => {
    let probed = 0;
    const probe = async () => ++probed;
    expect(await answerInTime(Promise.resolve('OK'), 1_000, probe)).toBe('OK');
    await expect(answerInTime(Promise.reject(new Error('WRONGTYPE')), 1_000, probe)).rejects.toThrow(
      'WRONGTYPE',
    );
    expect(probed).toBe(0);
  });

  test('no answer and no probe: rejected after the timeout', async () => {
    await expect(answerInTime(never(), 10)).rejects.toThrow('no answer within 10 ms');
  });

  test('no answer, and the server does not answer the probe either: rejected, saying both', async () => {
    const probe = () => Promise.reject(new Error('no connection within 10 ms'));
    await expect(answerInTime(never(), 10, probe)).rejects.toThrow(
      'no answer within 10 ms, nor on a second connection (no connection within 10 ms)',
    );
  });

  test('no answer although the server answers the probe: rejected once the longer deadline passes', async () => {
    await expect(answerInTime(never(), 10, async () => 2 * BYTES_PER_MS)).rejects.toThrow(
      `no answer within ${10 + 12} ms for ${2 * BYTES_PER_MS} bytes, though the server answered another connection`,
    );
  });

  test('a late answer of many bytes from a server that answers the probe is the answer', async () => {
    // Late at 20 ms; the probe says 400 kB, which grants 20 + 100 ms more; the answer comes at 60 ms.
    expect(await answerInTime(after(60, 'large value'), 20, async () => 100 * BYTES_PER_MS)).toBe(
      'large value',
    );
  });
});
