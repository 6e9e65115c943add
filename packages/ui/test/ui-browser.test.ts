/**
 * `memoflow ui` as a user meets it: a real pipeline run twice by the real CLI into a DiskCache,
 * the real server started by the CLI, and the page driven in Debian's Chromium: the graph with
 * every node's state, a node's detail and value, the runs and their diff, live updates, the
 * cache page's prune, and the 404 pages. Screenshots go to test-results/ui/.
 */
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { type CliProject, cliProject } from '../../cli/test/support/cli.ts';
import { coreEntry } from '../../core/test/support/processes.ts';
import { describeWithBrowser, launchBrowser, SCREENSHOTS } from './support/browser.ts';
import { type BuiltPage, buildPage } from './support/page-build.ts';
import { startUiProcess, type UiProcess } from './support/ui-process.ts';

/** Five nodes: one mapped over an input's items, one whose value (2 MiB) is too large to preview. */
const PIPELINE = `import { func, Pipeline } from ${JSON.stringify(coreEntry)};

const numbers = func({ output: 'numbers' }, (count: number) => Array.from({ length: count }, (_, i) => i + 1));
const squares = func({ output: 'squares', map: 'numbers' }, (numbers: number) => numbers * numbers);
const total = func({ output: 'total' }, (squares: number[]) => squares.reduce((sum, n) => sum + n, 0));
const label = func({ output: 'label' }, (total: number, prefix: string) => \`\${prefix}:\${total}\`);
const big = func({ output: 'big' }, (count: number) => 'x'.repeat(2 * 1024 * 1024 + count));
const bigLength = func({ output: 'bigLength' }, (big: string) => big.length);

export default new Pipeline([numbers, squares, total, label, big, bigLength]);
`;

const NODES = ['numbers', 'squares', 'total', 'label', 'big', 'bigLength'];
const run = (prefix: string) => ['run', 'pipeline.ts', '--input', 'count=3', '--input', `prefix=${prefix}`];

describeWithBrowser('memoflow ui in Chromium', () => {
  let project: CliProject;
  let page: BuiltPage;
  let ui: UiProcess;
  let browser: Browser;
  let tab: Page;

  beforeAll(async () => {
    project = cliProject({ 'pipeline.ts': PIPELINE });
    page = await buildPage();
    // The first run computes every node; the second changes `prefix`: only `label` computes.
    expect((await project.cli(run('first'))).code).toBe(0);
    expect((await project.cli(run('second'))).code).toBe(0);
    ui = await startUiProcess(project.dir, ['pipeline.ts', '--port', '0'], { MEMOFLOW_UI_ASSETS: page.dir });
    browser = await launchBrowser();
    tab = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    const code = await ui?.stop();
    page?.dispose();
    project?.dispose();
    expect(code).toBe(0);
  });

  const shot = (name: string) => tab.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: false });

  test('the server listens on 127.0.0.1 only, on the port it picked', () => {
    expect(ui.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
  });

  test('the graph draws every node with its state in the last run, and the inputs', async () => {
    await tab.goto(ui.url);
    await tab.waitForSelector('body[data-graph="drawn"]');
    const states = await tab.$$eval('[data-node]', (boxes) =>
      Object.fromEntries(boxes.map((box) => [box.getAttribute('data-node'), box.getAttribute('data-state')])),
    );
    expect(states).toEqual({
      numbers: 'hit',
      squares: 'hit',
      total: 'hit',
      label: 'miss',
      big: 'hit',
      bigLength: 'hit',
    });
    const inputs = await tab.$$eval('[data-input]', (boxes) =>
      boxes.map((box) => box.getAttribute('data-input')),
    );
    expect(inputs.sort()).toEqual(['count', 'prefix']);
    expect(await tab.locator('[data-node="squares"] text.name').textContent()).toBe('squares[]');
    expect(await tab.locator('[data-node="label"] text.meta').textContent()).toMatch(
      /^miss · \d+ ms · \d+ B$/,
    );
    expect(await tab.evaluate(() => performance.getEntriesByName('memoflow:graph-drawn').length)).toBe(1);
    await shot('graph');
  });

  test("clicking a node opens its detail: why it missed, its signature's parts, its history and its value", async () => {
    await tab.click('[data-node="label"]');
    const panel = tab.locator('#node-panel');
    await panel.waitFor();
    expect(tab.url()).toBe(`${ui.url}node/label`);
    expect(await tab.locator('[data-node="label"]').getAttribute('class')).toContain('selected');
    expect(await panel.locator('h2').textContent()).toBe('label');
    expect(await panel.locator('#node-status').textContent()).toContain('why: inputs');
    const parts = await panel.locator('#signature table.parts tbody tr').allTextContents();
    expect(parts.some((row) => row.startsWith('inputsprefix'))).toBe(true);
    expect(parts.some((row) => row.startsWith('upstreamtotal'))).toBe(true);
    expect(parts.some((row) => row.startsWith('code<self>'))).toBe(true);
    expect(await panel.locator('table.history tbody tr').count()).toBe(2);
    await expect.poll(() => panel.locator('#value-preview pre').textContent()).toBe("'second:14'");
    await shot('node-detail');
  });

  test('a value over the preview limit is not read: the panel says it is too large', async () => {
    await tab.click('[data-node="big"]');
    await tab.locator('#node-panel[data-panel-node="big"]').waitFor();
    await expect
      .poll(() => tab.locator('#value-preview .message').textContent())
      .toMatch(/^too large to preview \(2\.0 MiB; the limit is 1\.0 MiB\)$/);
    await shot('node-too-large');
  });

  test("a mapped node's preview shows its items", async () => {
    await tab.click('[data-node="squares"]');
    await tab.locator('#node-panel[data-panel-node="squares"]').waitFor();
    await expect
      .poll(() => tab.locator('#value-preview .about').textContent())
      .toContain('showing 3 of 3 items');
    const text = await tab.locator('#value-preview pre').textContent();
    for (const square of ['1', '4', '9']) expect(text).toMatch(new RegExp(`…: ${square}$`, 'm'));
  });

  test('the runs page lists both runs; picking them opens their diff: which nodes changed state, and why', async () => {
    await tab.click('nav a[data-nav="runs"]');
    await tab.locator('#runs-table').waitFor();
    expect(await tab.locator('#runs-table tbody tr').count()).toBe(2);
    await shot('runs');
    for (const box of await tab.locator('#runs-table input[type="checkbox"]').all()) await box.check();
    await tab.click('#diff-picked');
    await tab.locator('#diff-table').waitFor();
    expect(tab.url()).toMatch(/\/runs\/[^/]+\/diff\/[^/]+$/);
    const rows = await tab.locator('#diff-table tbody tr').allTextContents();
    // From the first run (every node computed) to the second (every node but label read).
    for (const node of ['numbers', 'squares', 'total', 'big', 'bigLength'])
      expect(rows.some((row) => row.startsWith(`${node}misshit`))).toBe(true);
    await shot('runs-diff');
  });

  test('a new run shows on the runs page without a reload', async () => {
    await tab.goto(`${ui.url}runs`);
    await tab.locator('#runs-table').waitFor();
    // A flag on the page's global object: a reload would drop it.
    await tab.evaluate(() => {
      (globalThis as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    expect((await project.cli(run('third'))).code).toBe(0);
    await expect.poll(() => tab.locator('#runs-table tbody tr').count(), { timeout: 10_000 }).toBe(3);
    expect(await tab.evaluate(() => (globalThis as unknown as { notReloaded?: boolean }).notReloaded)).toBe(
      true,
    );
  });

  test("the cache page prunes a node's entries after a confirmation", async () => {
    await tab.click('nav a[data-nav="cache"]');
    const row = tab.locator('#cache-table tbody tr', { hasText: 'bigLength' });
    await row.waitFor();
    await tab.click('[data-prune="bigLength"]');
    await shot('cache-confirm');
    await tab.click('[data-confirm="bigLength"]');
    await expect
      .poll(() => tab.locator('#prune-note').textContent())
      .toMatch(/^Removed 1 entry \(\d+ B\) of bigLength\.$/);
    await expect.poll(() => tab.locator('#cache-table tbody tr', { hasText: 'bigLength' }).count()).toBe(0);
    const listed = await project.cli(['cache', 'ls', '--node', 'bigLength', '--json']);
    expect(JSON.parse(listed.stdout)).toEqual([]);
  });

  test('a prune without the page’s header is refused', async () => {
    const response = await fetch(`${ui.url}api/cache/prune`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ node: 'numbers' }),
    });
    expect(response.status).toBe(403);
    expect((await project.cli(['cache', 'ls', '--node', 'numbers', '--json'])).stdout).toContain('"numbers"');
  });

  test('an unknown node or run id is a 404 page, and a 404 in the API', async () => {
    const node = await tab.goto(`${ui.url}node/no-such-node`);
    expect(node?.status()).toBe(404);
    expect(await tab.locator('#not-found').textContent()).toBe('The pipeline has no node no-such-node.');
    await shot('not-found');
    const runPage = await tab.goto(`${ui.url}runs/20000101T000000000Z-none`);
    expect(runPage?.status()).toBe(404);
    expect(await tab.locator('#not-found').textContent()).toContain('No run 20000101T000000000Z-none');
    const api = await fetch(`${ui.url}api/nodes/no-such-node`);
    expect(api.status).toBe(404);
    expect(await api.json()).toEqual({
      error: { code: 'UNKNOWN_NODE', message: 'the pipeline has no node `no-such-node`' },
    });
    expect((await fetch(`${ui.url}api/runs/none`)).status).toBe(404);
  });

  test('a request naming another host is refused (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const asked = request(
        `${ui.url}api/graph`,
        { headers: { host: 'attacker.example:80' } },
        (response) => {
          response.resume();
          resolve(response.statusCode);
        },
      );
      asked.on('error', reject);
      asked.end();
    });
    expect(status).toBe(421);
  });

  test('every node of the pipeline is in the graph API', async () => {
    const graph = (await (await fetch(`${ui.url}api/graph`)).json()) as {
      boxes: { name: string; kind: string }[];
    };
    expect(graph.boxes.filter((box) => box.kind === 'node').map((box) => box.name)).toEqual(NODES);
  });
});
