import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { hash, onFirstUse } from '../../util/index.ts';

const tinyglobby = onFirstUse<typeof import('tinyglobby')>('tinyglobby');

/** The files a `files` option matches now: a text that changes when any of them changes, and each one's content hash. */
export interface FilesState {
  /** `path\0size\0mtime` of every match, in order: equal texts mean unchanged files. */
  text: string;
  /** `file:<pattern-relative path>` → content hash. */
  parts: Record<string, string>;
}

const contentHashes = new Map<string, { stamp: string; digest: string }>();

/**
 * Matches `patterns` (globs, relative to the working directory, as `fs` reads relative paths)
 * and hashes each matching file's content. A file's content is read again only when its size or
 * modification time changed, so a call whose files did not change pays a glob and a stat per file.
 */
export function filesState(patterns: readonly string[], cwd = process.cwd()): FilesState {
  const matches = tinyglobby()
    .globSync([...patterns], { cwd, onlyFiles: true, dot: true })
    .sort();
  let text = '';
  const parts: Record<string, string> = {};
  for (const match of matches) {
    const path = resolve(cwd, match);
    const stats = statSync(path);
    const stamp = `${stats.size}\0${stats.mtimeMs}`;
    let known = contentHashes.get(path);
    if (known?.stamp !== stamp) {
      known = { stamp, digest: hash(readFileSync(path)) };
      contentHashes.set(path, known);
    }
    text += `${match}\0${stamp}\0`;
    parts[`file:${match}`] = known.digest;
  }
  if (matches.length === 0) text = `none:${patterns.join('\0')}`;
  return { text, parts };
}
