import { describe, expect, test } from 'vitest';
import { type NodeReport, RunReport, type RunReportData } from '../src/report/report.ts';
import { formatCount, formatDuration } from '../src/report/text.ts';
import { formatBytes } from '../src/util/format-bytes.ts';

const node = (report: Partial<NodeReport> & Pick<NodeReport, 'node' | 'status'>): NodeReport => ({
  bytesRead: 0,
  bytesWritten: 0,
  ...report,
});

const sample = (): RunReportData => ({
  backend: 'disk',
  startedAt: Date.UTC(2025, 0, 2, 3, 4, 5),
  durationMs: 2310,
  edges: [
    ['rows', 'clean'],
    ['clean', 'scores'],
    ['scores', 'report'],
    ['scores', 'train'],
    ['train', 'plot'],
  ],
  nodes: [
    node({ node: 'rows', status: 'hit', savedMs: 12_400, bytesRead: 1536, key: 'a'.repeat(64) }),
    node({
      node: 'clean',
      status: 'miss',
      reason: 'inputs',
      changed: ['input `threshold`', 'helper `scale`'],
      computeMs: 1020,
      bytesWritten: 3_400_000,
    }),
    node({
      node: 'scores',
      status: 'miss',
      reason: 'inputs',
      computeMs: 310,
      savedMs: 1800,
      bytesRead: 99_800,
      bytesWritten: 200,
      items: { total: 1000, hits: 998, misses: 2 },
    }),
    node({ node: 'report', status: 'disabled' }),
    node({
      node: 'train',
      status: 'failed',
      reason: 'deps',
      changed: ['upstream `scores`'],
      computeMs: 200,
      error: { name: 'TypeError', message: 'x is | not\na function' },
    }),
    node({ node: 'plot', status: 'skipped' }),
  ],
});

describe('RunReport.toLine()', () => {
  test('renders every status in the seed style, nodes in order', () => {
    expect(new RunReport(sample()).toLine()).toBe(
      '[CACHE] rows: ✓ HIT | clean: ✗ MISS inputs (1.02s) | scores: 998 HIT, 2 MISS (0.31s) | ' +
        'report: – DISABLED | train: ✗ FAILED (0.20s) | plot: · SKIPPED',
    );
  });

  test('a map node whose items all hit shows counts without a time', () => {
    const report = new RunReport({
      ...sample(),
      nodes: [node({ node: 'scores', status: 'hit', items: { total: 1200, hits: 1200, misses: 0 } })],
    });
    expect(report.toLine()).toBe('[CACHE] scores: 1,200 HIT, 0 MISS');
  });

  test('durations read 12ms, 1.02s and 2m 03s; a miss without a reason or time stays short', () => {
    const report = new RunReport({
      ...sample(),
      nodes: [
        node({ node: 'a', status: 'miss', reason: 'new', computeMs: 12.4 }),
        node({ node: 'b', status: 'miss', reason: 'code', computeMs: 123_000 }),
        node({ node: 'c', status: 'miss' }),
        node({ node: 'd', status: 'disabled', computeMs: 3 }),
      ],
    });
    expect(report.toLine()).toBe(
      '[CACHE] a: ✗ MISS new (12ms) | b: ✗ MISS code (2m 03s) | c: ✗ MISS | d: – DISABLED (3ms)',
    );
  });
});

describe('formatting', () => {
  test('formatDuration() switches units without ever printing 100ms or 60.00s', () => {
    expect(formatDuration(0)).toBe('0ms');
    expect(formatDuration(0.3)).toBe('<1ms');
    expect(formatDuration(12)).toBe('12ms');
    expect(formatDuration(99.6)).toBe('0.10s');
    expect(formatDuration(310)).toBe('0.31s');
    expect(formatDuration(1020)).toBe('1.02s');
    expect(formatDuration(59_996)).toBe('1m 00s');
    expect(formatDuration(123_000)).toBe('2m 03s');
    expect(formatDuration(3_723_000)).toBe('1h 02m 03s');
  });

  test('formatBytes() uses binary units and never prints 1024 of a unit', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(150 * 1024)).toBe('150 KiB');
    expect(formatBytes(1024 * 1024 - 1)).toBe('1.0 MiB');
    expect(formatBytes(3_400_000)).toBe('3.2 MiB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.0 GiB');
  });

  test('formatCount() separates thousands the same in every locale', () => {
    expect(formatCount(998)).toBe('998');
    expect(formatCount(100_000)).toBe('100,000');
    expect(formatCount(1_234_567)).toBe('1,234,567');
  });
});

describe('RunReport.toText()', () => {
  const text = new RunReport(sample()).toText();
  const lines = text.split('\n');

  test('has a header and one aligned row per node with status, reason, changes, time, bytes, items', () => {
    const header = lines[0]!;
    for (const title of ['node', 'status', 'reason', 'changed', 'time', 'read', 'written', 'items']) {
      expect(header).toContain(title);
    }
    const row = (name: string) => lines.find((line) => line.startsWith(`${name} `))!;
    expect(row('rows')).toMatch(/^rows\s+✓ hit\s+saved 12\.40s\s+1\.5 KiB$/);
    expect(row('clean')).toMatch(/✗ miss\s+inputs\s+input `threshold`, helper `scale`\s+1\.02s\s+3\.2 MiB$/);
    expect(row('scores')).toMatch(/0\.31s, saved 1\.80s\s+97\.5 KiB\s+200 B\s+998 hit, 2 miss$/);
    expect(row('report')).toMatch(/^report\s+– disabled$/);
    expect(row('train')).toMatch(/✗ failed\s+deps\s+upstream `scores`\s+0\.20s$/);
    expect(row('plot')).toMatch(/^plot\s+· skipped$/);
    // Columns line up: every row puts its status where the header puts `status`.
    const statusAt = header.indexOf('status');
    for (const line of lines.slice(1, 7)) expect(line.slice(statusAt, statusAt + 1)).toMatch(/[✓✗–·]/);
  });

  test('lists the error of a failed node, continuation lines indented', () => {
    expect(text).toContain('✗ train failed: TypeError: x is | not\n    a function');
  });

  test('ends with a summary that omits the categories that did not occur', () => {
    expect(lines.at(-1)).toBe(
      '6 nodes: 1 hit, 2 miss, 1 failed, 1 skipped, 1 disabled — 2.31s, saved 14.20s',
    );
    const allHits = new RunReport({
      ...sample(),
      durationMs: 40,
      nodes: [node({ node: 'a', status: 'hit' }), node({ node: 'b', status: 'hit', savedMs: 500 })],
    });
    expect(allHits.toText().split('\n').at(-1)).toBe('2 nodes: 2 hit — 40ms, saved 0.50s');
  });

  test('leaves out columns no node has anything for, and contains no ANSI escapes', () => {
    const report = new RunReport({
      ...sample(),
      nodes: [node({ node: 'only', status: 'miss', computeMs: 5 })],
    });
    const [header, row] = report.toText().split('\n');
    expect(header).toBe('node  status  time');
    expect(row).toBe('only  ✗ miss   5ms');
    expect(text).not.toContain('\x1b');
  });

  test('an empty run is just the summary', () => {
    expect(new RunReport({ ...sample(), nodes: [], edges: [], durationMs: 1 }).toText()).toBe(
      '0 nodes — 1ms',
    );
  });
});

describe('RunReport.toMarkdown()', () => {
  const markdown = new RunReport(sample()).toMarkdown();

  test('has the heading, the summary sentence and a table row per node', () => {
    expect(markdown.startsWith('### memoflow run\n\n6 nodes: 1 hit, 2 miss, 1 failed')).toBe(true);
    expect(markdown).toContain('| node | status | reason | changed | time | saved | read | written |');
    expect(markdown).toContain('| rows | ✅ hit |  |  |  | 12.40s | 1.5 KiB |  |');
    expect(markdown).toContain(
      '| clean | 🔄 miss | inputs | input `threshold`, helper `scale` | 1.02s |  |  | 3.2 MiB |',
    );
    expect(markdown).toContain('| scores | 🔄 miss (998 hit, 2 miss) | inputs |');
    expect(markdown).toContain('| train | ❌ failed | deps |');
    expect(markdown).toContain('| plot | ⏭️ skipped |');
    expect(markdown).toContain('| report | ➖ disabled |');
  });

  test('escapes `|` and newlines inside cells so a row stays one row', () => {
    const report = new RunReport({
      ...sample(),
      nodes: [node({ node: 'a|b', status: 'miss', reason: 'env', changed: ['env `X`\nwas `a|b`'] })],
      edges: [],
    });
    const row = report
      .toMarkdown()
      .split('\n')
      .find((line) => line.startsWith('| a'))!;
    expect(row).toBe('| a\\|b | 🔄 miss | env | env `X`<br>was `a\\|b` |  |  |  |  |');
  });

  test('ends with the Mermaid graph in a mermaid fence', () => {
    expect(markdown).toContain(`\`\`\`mermaid\n${new RunReport(sample()).toMermaid()}\n\`\`\``);
  });

  test('shows a failed node error in a fence longer than any backtick run in it', () => {
    expect(markdown).toContain('**train**\n\n```text\nTypeError: x is | not\na function\n```');
    const report = new RunReport({
      ...sample(),
      nodes: [node({ node: 'n', status: 'failed', error: { name: 'Error', message: 'bad ```x```' } })],
    });
    expect(report.toMarkdown()).toContain('````text\nError: bad ```x```\n````');
  });
});

describe('RunReport.toMermaid()', () => {
  const mermaid = new RunReport(sample()).toMermaid();

  test('draws every node with its status and every edge, by safe ids', () => {
    const lines = mermaid.split('\n');
    expect(lines[0]).toBe('flowchart LR');
    expect(lines).toContain('  n0["rows ✓ hit"]');
    expect(lines).toContain('  n1["clean ↻ miss"]');
    expect(lines).toContain('  n4["train ✗ failed"]');
    for (const edge of ['n0 --> n1', 'n1 --> n2', 'n2 --> n3', 'n2 --> n4', 'n4 --> n5']) {
      expect(lines).toContain(`  ${edge}`);
    }
  });

  test('defines a class for every status and assigns the nodes to them', () => {
    for (const status of ['hit', 'miss', 'failed', 'skipped', 'disabled']) {
      expect(mermaid).toMatch(new RegExp(`^  classDef ${status} fill:#[0-9a-f]{6},stroke:#[0-9a-f]{6}`, 'm'));
    }
    expect(mermaid).toContain('  classDef hit fill:#d4edda,stroke:#28a745');
    expect(mermaid).toContain('  class n0 hit\n');
    expect(mermaid).toContain('  class n1,n2 miss\n');
    expect(mermaid).toContain('  class n4 failed\n');
    expect(mermaid).toContain('  class n5 skipped\n');
    expect(mermaid).toMatch(/ {2}class n3 disabled$/);
  });

  test('quotes names that would break Mermaid syntax', () => {
    const report = new RunReport({
      ...sample(),
      nodes: [node({ node: 'a"]-->x<b>#1', status: 'hit' }), node({ node: 'end', status: 'miss' })],
      edges: [['a"]-->x<b>#1', 'end']],
    });
    const lines = report.toMermaid().split('\n');
    expect(lines).toContain('  n0["a#34;]--#62;x#60;b#62;#35;1 ✓ hit"]');
    expect(lines).toContain('  n1["end ↻ miss"]');
    expect(lines).toContain('  n0 --> n1');
  });
});

describe('RunReport.toJSON()', () => {
  test('is the plain data, and JSON.stringify(report) equals JSON.stringify(report.toJSON())', () => {
    const data = sample();
    const report = new RunReport(data);
    expect(JSON.stringify(report)).toBe(JSON.stringify(report.toJSON()));
    expect(JSON.parse(JSON.stringify(report))).toEqual(data);
    expect(Object.keys(report.toJSON())).toEqual(['nodes', 'edges', 'backend', 'startedAt', 'durationMs']);
  });

  test('a report rebuilt from its JSON renders the same', () => {
    const report = new RunReport(sample());
    const rebuilt = new RunReport(JSON.parse(JSON.stringify(report)));
    expect(rebuilt.toText()).toBe(report.toText());
    expect(rebuilt.toMarkdown()).toBe(report.toMarkdown());
  });

  test('copies the data it is given, so later pushes to the source arrays do not leak in', () => {
    const data = sample();
    const report = new RunReport(data);
    data.nodes.push(node({ node: 'late', status: 'hit' }));
    data.edges.push(['plot', 'late']);
    expect(report.nodes).toHaveLength(6);
    expect(report.edges).toHaveLength(5);
  });
});

describe('what no hash can see', () => {
  test('a node whose code reads the clock is listed under "Not hashed" with its file and line', async () => {
    const { func, MemoryCache, Pipeline, Runner } = await import('../src/index.ts');
    const stamped = func({ output: 'stamped' }, async (n: number) => n + Date.now() * 0);
    const runner = new Runner({ cache: { backend: new MemoryCache() } });
    const { report } = await runner.run(new Pipeline([stamped]), { n: 1 });
    const [unseen] = report.nodes[0]!.unseen ?? [];
    expect(unseen).toMatch(/report\.test\.ts:\d+: it calls `Date\.now\(\)`: .*pass the time as an argument/);
    expect(report.toMarkdown()).toContain(`#### Not hashed\n\n- **stamped**: `);
  });
});
