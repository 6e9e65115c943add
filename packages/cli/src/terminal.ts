/** Printing: colours only on a TTY and without NO_COLOR, tables of aligned columns, and progress bars only on a TTY. */
import pc from 'picocolors';

/** Whether stdout is a terminal a person watches. */
export const isTty = (): boolean => process.stdout.isTTY === true;

/** Whether what goes to stdout is coloured: on a terminal, unless NO_COLOR is set. */
export const useColor = (): boolean => isTty() && !process.env.NO_COLOR;

/** Colours for stdout: none when NO_COLOR is set or stdout is not a terminal. */
export const colors = pc.createColors(useColor());

/** Rows of cells as aligned columns; numbers (right-aligned) are the cells of `numeric` columns. */
export function table(header: string[], rows: string[][], numeric: ReadonlySet<number> = new Set()): string {
  const widths = header.map((cell, column) =>
    Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, column) =>
        numeric.has(column) ? cell.padStart(widths[column]!) : cell.padEnd(widths[column]!),
      )
      .join('  ')
      .trimEnd();
  return [colors.bold(line(header)), ...rows.map(line)].join('\n');
}

/**
 * A progress bar on stderr for long work, only when stderr is a terminal (a CI log gets none):
 * give `onProgress` to the work, and call `stop()` when it ends.
 */
export async function progressBar(label: string): Promise<{
  onProgress: (done: number, total: number) => void;
  stop(): void;
}> {
  if (!process.stderr.isTTY) return { onProgress: () => {}, stop: () => {} };
  // Loaded only for a terminal: every other run of the CLI would pay for it at start-up.
  const { SingleBar } = await import('cli-progress');
  const bar = new SingleBar({
    format: `${label} {bar} {value}/{total}`,
    stream: process.stderr,
    hideCursor: true,
    clearOnComplete: true,
  });
  let started = false;
  return {
    onProgress: (done, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.setTotal(total);
      bar.update(done);
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}
