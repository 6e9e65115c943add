/** The executor's Redis connections: made from options or taken as given, and named in messages. */
import { withoutCredentials } from '@memoflow/core/backend-kit';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';

/**
 * The queue's connection: the caller's ioredis client as is, or one made from the options. A
 * connection made here reconnects until `closed()` says so; the copies BullMQ makes of it
 * (`duplicate()`) inherit that, so none keeps the process alive once the executor is closed.
 */
export function clientOf(connection: ConnectionOptions, closed: () => boolean): Redis {
  if (connection instanceof Redis) return connection;
  const { url, ...rest } = connection as { url?: string } & Record<string, unknown>;
  const options = {
    ...rest,
    maxRetriesPerRequest: null,
    retryStrategy: (times: number) => (closed() ? null : Math.min(times * 50, 2_000)),
  };
  return typeof url === 'string' ? new Redis(url, options) : new Redis(options);
}

/** Where a connection points, for messages, without credentials. */
export function serverOf(connection: ConnectionOptions): string {
  const { url, host, port } = connection as { url?: unknown; host?: unknown; port?: unknown };
  if (typeof url === 'string') return withoutCredentials(url) ?? 'its Redis';
  return typeof host === 'string' ? `redis://${host}:${port ?? 6379}` : 'its Redis';
}

export const TIMED_OUT = Symbol('timed out');
export const delay = (ms: number) =>
  new Promise<typeof TIMED_OUT>((resolve) => setTimeout(resolve, ms, TIMED_OUT).unref());

/** `promise`, or a rejection once `ms` pass without it settling. */
export function inTime<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}
