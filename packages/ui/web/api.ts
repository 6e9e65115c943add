/** The server's JSON API and its live events, as the views call them. */
import { CHANGE_HEADER, type LiveEvent, type PruneAnswer } from '../src/types.ts';

/** An answer other than 2xx: its status, and the server's message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function getJson<T>(path: string): Promise<T> {
  const response = await fetch(path, { headers: { accept: 'application/json' } });
  return answer<T>(response);
}

export async function pruneNode(node: string): Promise<PruneAnswer> {
  const response = await fetch('/api/cache/prune', {
    method: 'POST',
    headers: { 'content-type': 'application/json', [CHANGE_HEADER]: 'prune' },
    body: JSON.stringify({ node }),
  });
  return answer<PruneAnswer>(response);
}

async function answer<T>(response: Response): Promise<T> {
  const body = (await response.json().catch(() => undefined)) as
    | (T & { error?: { message?: string } })
    | undefined;
  if (!response.ok) throw new ApiError(response.status, body?.error?.message ?? response.statusText);
  return body as T;
}

/** Calls `listener` with each live event; the stream reconnects by itself when the server restarts. */
export function listen(listener: (event: LiveEvent) => void): EventSource {
  const source = new EventSource('/api/events');
  for (const type of ['ready', 'run', 'cache'])
    source.addEventListener(type, (event) => listener(JSON.parse((event as MessageEvent<string>).data)));
  return source;
}

export const nodePath = (name: string): string => `/node/${encodeURIComponent(name)}`;
export const runPath = (id: string): string => `/runs/${encodeURIComponent(id)}`;
export const diffPath = (a: string, b: string): string =>
  `/runs/${encodeURIComponent(a)}/diff/${encodeURIComponent(b)}`;
