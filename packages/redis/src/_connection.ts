/**
 * RedisCache's connections to its server: the one every command goes through, and a second one,
 * opened only when a command is late, that asks whether the server still answers and how large
 * the late answer is (see _deadline.ts). Commands never wait for a connection longer than the
 * timeout.
 */
import { withoutCredentials } from '@memoflow/core/backend-kit';
import type { createClient } from 'redis';
import { answerInTime } from './_deadline.ts';

export type Client = ReturnType<typeof createClient>;

/** A client connected on demand. */
class OnDemand {
  readonly client: Client;
  #connecting: Promise<unknown> | undefined;

  constructor(client: Client) {
    this.client = client;
    // An unhandled 'error' event would end the process: outages are reported by the breaker.
    client.on('error', () => {});
  }

  /** Connects, if need be, waiting at most `timeoutMs`. */
  async ready(timeoutMs: number): Promise<Client> {
    const client = this.client;
    if (client.isReady) return client;
    if (!client.isOpen) this.#connecting = client.connect().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.#connecting,
      new Promise((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
    if (!client.isReady) throw new Error(`no connection within ${timeoutMs} ms`);
    return client;
  }
}

export class Connections {
  readonly #main: OnDemand;
  readonly #ownsMain: boolean;
  readonly #timeoutMs: number;
  #side: OnDemand | undefined;

  constructor(client: Client, ownsClient: boolean, timeoutMs: number) {
    this.#main = new OnDemand(client);
    this.#ownsMain = ownsClient;
    this.#timeoutMs = timeoutMs;
  }

  get client(): Client {
    return this.#main.client;
  }

  /** The main client, connected (at most one timeout spent connecting). */
  ready(): Promise<Client> {
    return this.#main.ready(this.#timeoutMs);
  }

  /**
   * For a late command: `known` plus the bytes `keys` hold, asked on the second connection
   * within one timeout (a PING when there are no keys). Rejects when the server does not answer.
   */
  probe(keys: readonly string[], known = 0): () => Promise<number> {
    return async () => {
      // A client of its own, made like the first: a command sent on the first would wait in
      // line behind the late one.
      this.#side ??= new OnDemand(this.client.duplicate());
      const side = await this.#side.ready(this.#timeoutMs);
      if (keys.length === 0) {
        await answerInTime(side.ping(), this.#timeoutMs);
        return known;
      }
      const lengths = await answerInTime(Promise.all(keys.map((key) => side.strLen(key))), this.#timeoutMs);
      return lengths.reduce((sum, length) => sum + length, known);
    };
  }

  close(): void {
    if (this.#side?.client.isOpen) this.#side.client.destroy();
    if (this.#ownsMain && this.client.isOpen) this.client.destroy();
  }
}

/** The server, for messages and `info()`: its URL without credentials, else `fallback`. */
export function locationOf(url: string | undefined, client: Client, fallback: string): string {
  const given = url ?? client.options?.url;
  return (given === undefined ? undefined : withoutCredentials(given)) ?? fallback;
}
