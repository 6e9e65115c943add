/**
 * The page's routes: the built front end (read into memory once: it is a few files) for every
 * page path whose node or run exists, and a 404 page naming what does not.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { type Context, Hono } from 'hono';
import type { UiContext } from './context.ts';
import { UiError } from './errors.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

interface Asset {
  body: Uint8Array;
  type: string;
}

/** The files of the built front end in `dir`, by URL path (`/index.html`, `/assets/…`). */
export function loadAssets(dir: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  const walk = (at: string) => {
    for (const entry of readdirSync(at, { withFileTypes: true })) {
      const path = join(at, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const type = CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream';
        assets.set(`/${relative(dir, path).split('\\').join('/')}`, { body: readFileSync(path), type });
      }
    }
  };
  try {
    walk(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (!assets.has('/index.html')) {
    throw new UiError(
      'UI_NOT_BUILT',
      `the page of @memoflow/ui is not built: there is no index.html in ${dir}. Build it with \`pnpm --filter @memoflow/ui build\`, or pass \`assets\` the folder of a build`,
    );
  }
  return assets;
}

export function pageRoutes(ui: UiContext, assets: Map<string, Asset>): Hono {
  const pages = new Hono();
  const index = assets.get('/index.html')!;
  const page = (c: Context) => {
    c.header('Cache-Control', 'no-cache');
    return c.body(index.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': index.type });
  };

  pages.get('/', page);
  pages.get('/runs', page);
  pages.get('/cache', page);
  pages.get('/node/:name', (c) =>
    ui.pipeline.producer(c.req.param('name'))
      ? page(c)
      : notFound(c, `The pipeline has no node <code>${escapeHtml(c.req.param('name'))}</code>.`),
  );
  pages.get('/runs/:id', async (c) =>
    (await ui.runs.record(c.req.param('id'))) ? page(c) : notFound(c, unknownRun(c.req.param('id'))),
  );
  pages.get('/runs/:a/diff/:b', async (c) => {
    for (const id of [c.req.param('a'), c.req.param('b')])
      if (!(await ui.runs.record(id))) return notFound(c, unknownRun(id));
    return page(c);
  });
  pages.get('/assets/*', (c) => {
    const asset = assets.get(c.req.path);
    if (!asset) return notFound(c, `No file <code>${escapeHtml(c.req.path)}</code>.`);
    // Vite names every asset by its content: a name never changes meaning.
    c.header('Cache-Control', 'public, max-age=31536000, immutable');
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, { 'Content-Type': asset.type });
  });
  pages.all('*', (c) => notFound(c, `No page <code>${escapeHtml(c.req.path)}</code>.`));
  return pages;
}

function unknownRun(id: string): string {
  return `No run <code>${escapeHtml(id)}</code> in the history: the runs page lists the runs it keeps.`;
}

/** The 404 page: plain HTML, so it shows whatever the front end's state. */
function notFound(c: Context, message: string): Response {
  return c.html(
    `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Not found · memoflow</title>
<style>body{font:15px system-ui,sans-serif;margin:3rem;color:#1f2328}code{background:#eef;padding:0 .3em}</style>
</head><body><h1>Not found</h1><p id="not-found">${message}</p>
<p><a href="/">The graph</a> · <a href="/runs">Runs</a> · <a href="/cache">Cache</a></p></body></html>`,
    404,
  );
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char]!,
  );
}
