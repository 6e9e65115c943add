/**
 * memoflow ETL example: a pipeline over generated sales data, cached on disk.
 *
 *     seed, rowCount ─▶ csv ─▶ parsed ─▶ clean ─▶ features[] ─▶ totals ─▶ summary
 *
 * `features` maps over `clean` (`map: 'clean'`), so each row's features are cached on their own,
 * keyed by the row's content. Run it once (everything computes), again (everything is a hit),
 * then with more rows, `npx -y pnpm@10 --filter etl-example start 2050`: the first 2,000 rows
 * are the same, so only the new rows' features are computed.
 */
import { DiskCache, func, Pipeline, Runner } from '@memoflow/core';

const REGIONS = ['North', 'South', 'East', 'West'] as const;
const PRODUCTS = { widget: 4.5, gadget: 12, gizmo: 27.5, doohickey: 80 } as const;
/** Currency → US dollars, as the pretend rates service answers. */
const USD_RATES = { USD: 1, EUR: 1.08, GBP: 1.27 } as const;
const CSV_HEADER = 'order_id,date,region,product,quantity,unit_price,currency,discount';

type Region = (typeof REGIONS)[number];
type Product = keyof typeof PRODUCTS;
type Currency = keyof typeof USD_RATES;

interface Sale {
  orderId: string;
  date: string;
  region: Region;
  product: Product;
  quantity: number;
  unitPrice: number;
  currency: Currency;
  discount: number;
}

interface SaleFeatures {
  region: Region;
  product: Product;
  month: string;
  units: number;
  revenueUsd: number;
  size: 'small' | 'medium' | 'large';
}

interface Total {
  orders: number;
  units: number;
  revenueUsd: number;
}

interface Totals {
  byRegion: Record<string, Total>;
  byProduct: Record<string, Total>;
  bySize: Record<string, Total>;
}

/** A seeded PRNG (mulberry32): the same seed gives the same rows, and row i never depends on the row count. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = Math.imul(state ^ (state >>> 15), state | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick<T>(next: () => number, values: readonly T[]): T {
  return values[Math.floor(next() * values.length)]!;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Sales rows as a messy export would have them: odd casing and spacing, percent discounts, ~3% broken rows. */
const csv = func({ output: 'csv' }, (seed: number, rowCount: number) => {
  const next = random(seed);
  const lines = [CSV_HEADER];
  for (let i = 1; i <= rowCount; i++) {
    const day = new Date(Date.UTC(2024, 0, 1 + Math.floor(next() * 366)));
    const region = pick(next, REGIONS);
    const product = pick(next, Object.keys(PRODUCTS) as Product[]);
    const quantity = 1 + Math.floor(next() ** 3 * 40);
    const currency = pick(next, Object.keys(USD_RATES) as Currency[]);
    const discount = pick(next, ['0', '0.05', '10%', '0.15', '']);
    const row = [
      `SO-${String(i).padStart(6, '0')}`,
      day.toISOString().slice(0, 10),
      pick(next, [region, region.toUpperCase(), ` ${region.toLowerCase()} `]),
      pick(next, [product, product.toUpperCase()]),
      String(quantity),
      (PRODUCTS[product] * (0.9 + next() * 0.2)).toFixed(2),
      currency,
      discount,
    ];
    const defect = next();
    if (defect < 0.01) row[2] = '';
    else if (defect < 0.02) row[4] = '-1';
    else if (defect < 0.03) row[5] = 'n/a';
    lines.push(row.join(','));
  }
  return `${lines.join('\n')}\n`;
});

/** A plain CSV (no quoted fields): one object per line, keyed by the header. */
const parsed = func({ output: 'parsed' }, (csv: string) => {
  const [header = '', ...lines] = csv.trimEnd().split('\n');
  const columns = header.split(',');
  return lines.map((line) => {
    const cells = line.split(',');
    return Object.fromEntries(columns.map((column, i) => [column, cells[i]?.trim() ?? '']));
  });
});

/** Drops rows that cannot be right, and normalises the rest into typed sales. */
const clean = func({ output: 'clean' }, (parsed: Record<string, string>[]) => {
  const sales: Sale[] = [];
  for (const row of parsed) {
    const region = REGIONS.find((name) => name.toLowerCase() === row.region?.toLowerCase());
    const product = row.product?.toLowerCase() as Product;
    const quantity = Number(row.quantity);
    const unitPrice = Number(row.unit_price);
    const discount = row.discount?.endsWith('%')
      ? Number(row.discount.slice(0, -1)) / 100
      : Number(row.discount);
    if (!region || !(product in PRODUCTS) || !(row.currency! in USD_RATES)) continue;
    if (!(Number.isInteger(quantity) && quantity > 0 && unitPrice > 0 && discount >= 0 && discount < 1))
      continue;
    sales.push({
      orderId: row.order_id!,
      date: row.date!,
      region,
      product,
      quantity,
      unitPrice,
      currency: row.currency as Currency,
      discount,
    });
  }
  return sales;
});

/** Per row, cached per row. Pretend each one asks a rates service for the day's exchange rate. */
const features = func({ output: 'features', map: 'clean' }, async (clean: Sale): Promise<SaleFeatures> => {
  await sleep(2);
  const revenueUsd = clean.quantity * clean.unitPrice * (1 - clean.discount) * USD_RATES[clean.currency];
  return {
    region: clean.region,
    product: clean.product,
    month: clean.date.slice(0, 7),
    units: clean.quantity,
    revenueUsd: Math.round(revenueUsd * 100) / 100,
    size: revenueUsd < 100 ? 'small' : revenueUsd < 1000 ? 'medium' : 'large',
  };
});

function addTo(totals: Record<string, Total>, name: string, sale: SaleFeatures): void {
  const total = totals[name] ?? { orders: 0, units: 0, revenueUsd: 0 };
  totals[name] = {
    orders: total.orders + 1,
    units: total.units + sale.units,
    revenueUsd: total.revenueUsd + sale.revenueUsd,
  };
}

const totals = func({ output: 'totals' }, (features: SaleFeatures[]): Totals => {
  const byRegion: Record<string, Total> = {};
  const byProduct: Record<string, Total> = {};
  const bySize: Record<string, Total> = {};
  for (const sale of features) {
    addTo(byRegion, sale.region, sale);
    addTo(byProduct, sale.product, sale);
    addTo(bySize, sale.size, sale);
  }
  return { byRegion, byProduct, bySize };
});

const USD = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const COUNT = new Intl.NumberFormat('en-US');

function table(title: string, totals: Record<string, Total>): string[] {
  const rows = Object.entries(totals).sort(([, a], [, b]) => b.revenueUsd - a.revenueUsd);
  return [
    `${title.padEnd(10)} ${'orders'.padStart(7)} ${'units'.padStart(7)} ${'revenue'.padStart(14)}`,
    ...rows.map(
      ([name, total]) =>
        `${name.padEnd(10)} ${COUNT.format(total.orders).padStart(7)} ${COUNT.format(total.units).padStart(7)} ${USD.format(total.revenueUsd).padStart(14)}`,
    ),
  ];
}

const summary = func({ output: 'summary' }, (parsed: unknown[], clean: Sale[], totals: Totals) => {
  const revenue = Object.values(totals.byRegion).reduce((sum, total) => sum + total.revenueUsd, 0);
  return [
    `${COUNT.format(parsed.length)} rows read, ${COUNT.format(clean.length)} kept, ${COUNT.format(parsed.length - clean.length)} dropped as invalid.`,
    `Revenue ${USD.format(revenue)}.`,
    '',
    ...table('region', totals.byRegion),
    '',
    ...table('product', totals.byProduct),
    '',
    ...table('order size', totals.bySize),
  ].join('\n');
});

const rowCount = Number(process.argv[2] ?? 2000);
if (!(Number.isInteger(rowCount) && rowCount > 0)) {
  console.error(
    `etl-example: the row count is ${JSON.stringify(process.argv[2])}; give a whole number, e.g. 2050.`,
  );
  process.exit(1);
}

const pipeline = new Pipeline([csv, parsed, clean, features, totals, summary]);
const runner = new Runner({ concurrency: 32, cache: { backend: new DiskCache() } });
const { outputs, report } = await runner.run(pipeline, { seed: 42, rowCount });

console.log(outputs.summary);
console.log(`\n${report.toText()}`);
console.log(`\nThe run as a Mermaid graph (paste it into https://mermaid.live):\n\n${report.toMermaid()}`);
console.log(
  `Run it again with more rows, \`npx -y pnpm@10 --filter etl-example start ${rowCount + 50}\`: the first ${COUNT.format(rowCount)} rows are unchanged, so only the new rows' features are computed.`,
);
