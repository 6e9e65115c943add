import { existsSync } from 'node:fs';
import { dirname, relative, sep } from 'node:path';

const roots = new Map<string, string | undefined>();

/** The folder of the nearest package.json above `file`, or undefined; cached per folder. */
export function packageRoot(file: string): string | undefined {
  const start = dirname(file);
  if (roots.has(start)) return roots.get(start);
  let root: string | undefined;
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(`${dir}${sep}package.json`)) {
      root = dir;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  roots.set(start, root);
  return root;
}

/**
 * `file` relative to `from`, `/`-separated and without extension: the same for a `.ts` source and
 * its compiled `.js`, on any machine and in any checkout folder.
 */
export function portablePath(from: string, file: string): string {
  return relative(from, file)
    .split(sep)
    .join('/')
    .replace(/\.[cm]?[jt]sx?$/, '');
}
