/**
 * A generated TypeScript module of about 25 lines per helper: `helper<i>` calls `helper<i-1>`, so
 * the last one reaches all of them. It carries what makes parsers slow on real code: interfaces,
 * generics, `as` and `!`, optional fields, and many `i < n` comparisons that a TypeScript parser
 * may first try as type arguments.
 */
export function largeModuleSource(helpers = 200): string {
  const parts = ['const OFFSET = 10;', ''];
  for (let index = 0; index < helpers; index++) {
    const previous = index === 0 ? 'OFFSET' : `helper${index - 1}(rows, factor + 1)`;
    parts.push(`interface Row${index} {
  id: number;
  label: string;
  weight?: number;
}
type Pair${index} = [Row${index}, number];

/** Helper ${index}: weighs the rows, then adds what the helper before it computes. */
export function helper${index}(rows: readonly Row${index}[], factor: number): number {
  let total = 0;
  for (let i = 0; i < 3; i++) {
    for (const row of rows) {
      const weight = (row.weight ?? 1) as number;
      if (row.id % 2 === 0 && i < 2) total += weight * factor;
      else total -= row.label.length;
    }
  }
  const pairs: Pair${index}[] = rows.map((row, position) => [row, position * factor]);
  const best = pairs.reduce((most, [row, score]) => (score > most ? score + row.id : most), 0);
  const text = \`\${rows.length}:\${best}\`;
  const parsed = Number.parseInt(text.split(':')[1]!, 10);
  const scaled = new Map<string, number>([['best', best]]).get('best')!;
  return ${previous} + total + parsed + scaled;
}
`);
  }
  return parts.join('\n');
}
