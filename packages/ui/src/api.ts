/**
 * The JSON API under `/api`: the graph, the last run's states, a node's detail and value, the
 * runs, the diff of two runs, the cache and a prune by node, and live updates as server-sent
 * events. An unknown node or run is a JSON 404 naming it.
 */
import { type Context, Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { UiContext } from './context.ts';
import { nodeDetail } from './node-detail.ts';
import { previewValue } from './preview.ts';
import { runDiff } from './run-diff.ts';
import { viewOf } from './run-log.ts';
import { type CacheView, CHANGE_HEADER, type PruneAnswer, type RunHead, type StatusData } from './types.ts';

/** A comment line sent this often keeps an idle event stream open through proxies. */
const HEARTBEAT_MS = 15_000;

export function apiRoutes(ui: UiContext): Hono {
  const api = new Hono();

  api.get('/graph', (c) => c.json(ui.graph));

  api.get('/status', async (c) => {
    // No prototype: a node may be called `__proto__`.
    const status: StatusData = { history: ui.runs.available, nodes: Object.create(null) };
    const newest = await ui.runs.newest();
    const record = newest && (await ui.runs.record(newest.id));
    if (newest && record) {
      status.run = newest;
      for (const report of record.report.nodes)
        if (ui.pipeline.producer(report.node)) status.nodes[report.node] = viewOf(report);
    }
    return c.json(status);
  });

  api.get('/nodes/:name', async (c) => {
    const node = ui.pipeline.producer(c.req.param('name'));
    if (!node) return unknownNode(c, c.req.param('name'));
    return c.json(await nodeDetail(ui.backend, node, ui.runs));
  });

  api.get('/nodes/:name/value', async (c) => {
    const node = ui.pipeline.producer(c.req.param('name'));
    if (!node) return unknownNode(c, c.req.param('name'));
    return c.json(await previewValue(ui.backend, node, ui.previewLimitBytes));
  });

  api.get('/runs', async (c) => {
    const limit = Number(c.req.query('limit') ?? 'NaN');
    const runs: RunHead[] = await ui.runs.list(Number.isInteger(limit) && limit > 0 ? limit : undefined);
    return c.json({ history: ui.runs.available, runs });
  });

  api.get('/runs/:id', async (c) => {
    const detail = await ui.runs.detail(c.req.param('id'));
    return detail ? c.json(detail) : unknownRun(c, c.req.param('id'));
  });

  api.get('/diff/:a/:b', async (c) => {
    const [a, b] = await Promise.all([ui.runs.record(c.req.param('a')), ui.runs.record(c.req.param('b'))]);
    if (!a) return unknownRun(c, c.req.param('a'));
    if (!b) return unknownRun(c, c.req.param('b'));
    return c.json(runDiff(a, b));
  });

  api.get('/cache', async (c) => {
    const info = await ui.backend.info();
    const view: CacheView = {
      backend: info.backend,
      entries: info.entries,
      bytes: info.bytes,
      nodes: Object.entries(info.nodes)
        .map(([name, usage]) => ({ name, ...usage }))
        .sort((a, b) => b.bytes - a.bytes || (a.name < b.name ? -1 : 1)),
    };
    if (info.location !== undefined) view.location = info.location;
    return c.json(view);
  });

  api.post('/cache/prune', async (c) => {
    // A page of another site can post a form here, but cannot set a header without CORS, which
    // this server never grants: the header proves the request came from this page.
    if (c.req.header(CHANGE_HEADER) !== 'prune') {
      return c.json(
        {
          error: { code: 'MISSING_HEADER', message: `a prune must carry the header ${CHANGE_HEADER}: prune` },
        },
        403,
      );
    }
    const body = (await c.req.json().catch(() => undefined)) as { node?: unknown } | undefined;
    const node = body?.node;
    if (typeof node !== 'string' || node.length === 0) {
      return c.json(
        {
          error: {
            code: 'BAD_REQUEST',
            message: `the body must be { "node": "<name>" }, got ${JSON.stringify(body ?? null)}`,
          },
        },
        400,
      );
    }
    let entries = 0;
    let bytes = 0;
    for await (const record of ui.backend.entries({ node })) {
      entries++;
      bytes += record.bytes;
    }
    await ui.backend.clear({ node });
    ui.live.publish({ type: 'cache', node });
    return c.json({ node, entries, bytes } satisfies PruneAnswer);
  });

  api.get('/events', (c) =>
    streamSSE(c, async (stream) => {
      const unsubscribe = ui.live.subscribe((event) => {
        void stream.writeSSE({ event: event.type, data: JSON.stringify(event) });
      });
      stream.onAbort(unsubscribe);
      const newest = (await ui.runs.newest())?.id ?? null;
      await stream.writeSSE({ event: 'ready', data: JSON.stringify({ type: 'ready', newest }) });
      while (!stream.aborted && !stream.closed) await stream.sleep(HEARTBEAT_MS);
      unsubscribe();
    }),
  );

  api.all('*', (c) =>
    c.json({ error: { code: 'NOT_FOUND', message: `no API route ${c.req.method} ${c.req.path}` } }, 404),
  );
  return api;
}

function unknownNode(c: Context, name: string): Response {
  return c.json({ error: { code: 'UNKNOWN_NODE', message: `the pipeline has no node \`${name}\`` } }, 404);
}

function unknownRun(c: Context, id: string): Response {
  return c.json(
    { error: { code: 'UNKNOWN_RUN', message: `no run \`${id}\` in the history (memoflow runs lists them)` } },
    404,
  );
}
