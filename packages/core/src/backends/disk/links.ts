/**
 * DiskCache never follows a symbolic link inside its directory. A cache directory restored from
 * a CI cache or an archive, or copied, can carry links: `v4/tmp` linked elsewhere would have
 * prune() delete files there, `v4/blobs/<xx>` or `v4/index` would put values and the journal
 * there. The directory itself (`dir`) may be a link: that is the user's choice of place.
 */
import fs from 'node:fs';
import { join, relative } from 'node:path';
import { BackendError } from '../../errors.ts';

/**
 * Throws a BackendError naming the first symbolic link among the cache's own directories
 * (`v4`, `v4/index`, `v4/blobs`, `v4/tmp`), the blob shards and the index's files. Cheap: a few
 * lstat calls and two directory listings, once per process (a link planted while a process
 * runs is not looked for).
 */
export function refuseLinks(dir: string): void {
  const root = join(dir, 'v4');
  const link = [root, join(root, 'index'), join(root, 'blobs'), join(root, 'tmp')].find(isLink);
  const inside = link ?? linkIn(join(root, 'blobs')) ?? linkIn(join(root, 'index'));
  if (inside === undefined) return;
  let target = '';
  try {
    target = ` → ${fs.readlinkSync(inside)}`;
  } catch {}
  throw new BackendError(
    'disk',
    `The cache directory ${dir} holds a symbolic link, ${relative(dir, inside)}${target}: memoflow never follows a link inside its cache directory (a restored or copied cache can carry one, and following it would write or delete files elsewhere). Remove the link (\`rm ${inside}\`), or the whole cache directory; to keep the cache on another disk, point \`dir\` (or MEMOFLOW_CACHE_DIR) there, or make ${dir} itself the link.`,
  );
}

function isLink(path: string): boolean {
  try {
    return fs.lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

/** The first symbolic link directly in `dir`, if any. */
function linkIn(dir: string): string | undefined {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return undefined;
  }
  const link = entries.find((entry) => entry.isSymbolicLink());
  return link && join(dir, link.name);
}
