/**
 * `startUi()`: the local web page for one pipeline and its cache, served on the loopback
 * address only. The graph is laid out before the server listens, so the first page only draws.
 */
import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { type CacheBackend, historyOf, type Pipeline } from '@memoflow/core';
import { Hono } from 'hono';
import { apiRoutes } from './api.ts';
import type { UiContext } from './context.ts';
import { UiError } from './errors.ts';
import { layOut } from './layout.ts';
import { LiveUpdates, POLL_MS } from './live.ts';
import { loadAssets, pageRoutes } from './pages.ts';
import { PREVIEW_LIMIT_BYTES } from './preview.ts';
import { RunLog } from './run-log.ts';

/** The only address the server listens on: the page can prune the cache, so it is never public. */
export const UI_HOST = '127.0.0.1';

export interface UiOptions {
  /** The pipeline to show. */
  pipeline: Pipeline;
  /** The cache its runs use: values, node signatures and the run history are read from it. */
  backend: CacheBackend;
  /** What the pipeline is called on the page, e.g. its module path. @default 'pipeline' */
  label?: string;
  /** The port to listen on; 0 lets the system pick a free one (see `UiServer.url`). @default 0 */
  port?: number;
  /**
   * The folder of the built page.
   * @default $MEMOFLOW_UI_ASSETS when set, else the page built with this package (`dist/web`)
   */
  assets?: string;
  /** Stored values larger than this many bytes are not previewed. @default 1 MiB (1048576) */
  previewLimitBytes?: number;
  /** Milliseconds between looks for a new run while a page listens for live updates. @default 500 */
  pollMs?: number;
}

/** A running UI server. */
export interface UiServer {
  /** `http://127.0.0.1:<port>/` */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends open pages' live updates; the backend is the caller's to close. */
  close(): Promise<void>;
}

/**
 * Lays out `pipeline`, then serves its page on 127.0.0.1.
 * @example
 * const ui = await startUi({ pipeline, backend: new DiskCache(), port: 0 });
 * console.log(ui.url); // http://127.0.0.1:41234/
 */
export async function startUi(options: UiOptions): Promise<UiServer> {
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new UiError(
      'UI_OPTION',
      `\`port\` is ${String(port)}: give a whole number from 0 (any free port) to 65535`,
    );
  }
  const assets = loadAssets(options.assets ?? defaultAssetsDir());
  const runs = new RunLog(historyOf(options.backend));
  const ui: UiContext = {
    pipeline: options.pipeline,
    graph: layOut(options.pipeline, options.label ?? 'pipeline'),
    backend: options.backend,
    runs,
    live: new LiveUpdates(runs, options.pollMs ?? POLL_MS),
    previewLimitBytes: options.previewLimitBytes ?? PREVIEW_LIMIT_BYTES,
  };
  const app = new Hono();
  app.use('*', async (c, next) => {
    // A page on another site that points a name of its own at 127.0.0.1 (DNS rebinding) sends
    // its own name as Host: only this server's own addresses are answered.
    const host = c.req.header('host') ?? '';
    if (!/^(127\.0\.0\.1|localhost|\[::1\])(:\d+)?$/.test(host)) return c.text(`unknown host ${host}`, 421);
    await next();
  });
  app.route('/api', apiRoutes(ui));
  app.route('/', pageRoutes(ui, assets));
  app.onError((error, c) => c.json({ error: { code: 'INTERNAL', message: error.message } }, 500));

  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const started = serve({ fetch: app.fetch, port, hostname: UI_HOST }, () => resolve(started));
    started.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new UiError(
          'UI_LISTEN',
          `cannot listen on ${UI_HOST}:${port}: ${error.message}${error.code === 'EADDRINUSE' ? ': give another port, or 0 for any free one' : ''}`,
          { cause: error },
        ),
      ),
    );
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    url: `http://${UI_HOST}:${bound}/`,
    port: bound,
    close: () =>
      new Promise<void>((resolve, reject) => {
        ui.live.close();
        server.close((error) => (error ? reject(error) : resolve()));
        // Open event streams would hold the server open forever.
        if ('closeAllConnections' in server) server.closeAllConnections();
      }),
  };
}

/** The page built with this package: beside the built module (`dist/web`), or, from source, in `dist/web`. */
function defaultAssetsDir(): string {
  if (process.env.MEMOFLOW_UI_ASSETS) return process.env.MEMOFLOW_UI_ASSETS;
  const beside = fileURLToPath(new URL('./web/', import.meta.url));
  return existsSync(beside) ? beside : fileURLToPath(new URL('../dist/web/', import.meta.url));
}
