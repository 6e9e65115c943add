/**
 * The optional peer packages, loaded only by the commands that need them: @memoflow/redis for a
 * Redis cache, @memoflow/bullmq for a queue's workers (each brings a Redis client), @memoflow/ui
 * for `memoflow ui` (a web server and its page). Most commands need none of them.
 */
import { MissingPackageError } from './errors.ts';

const LOADERS = {
  '@memoflow/redis': () => import('@memoflow/redis'),
  '@memoflow/bullmq': () => import('@memoflow/bullmq'),
  '@memoflow/ui': () => import('@memoflow/ui'),
};

export type OptionalPackage = keyof typeof LOADERS;

type Exports<Name> = Name extends OptionalPackage ? Awaited<ReturnType<(typeof LOADERS)[Name]>> : never;

/**
 * The exports of the packages `names`, loaded together. When some of them are not installed,
 * a MissingPackageError names every one and says that `what` needs them; any other failure to
 * load one (a package of theirs missing, an error in their code) is thrown as it is.
 *
 * @example
 * const [{ RedisCache }] = await loadOptional('the Redis backend', ['@memoflow/redis']);
 */
export async function loadOptional<const Names extends readonly OptionalPackage[]>(
  what: string,
  names: Names,
): Promise<{ -readonly [I in keyof Names]: Exports<Names[I]> }> {
  const settled = await Promise.allSettled(names.map((name) => LOADERS[name]()));
  const missing = names.filter((name, i) => {
    const result = settled[i]!;
    return result.status === 'rejected' && isNotInstalled(result.reason, name);
  });
  if (missing.length > 0) {
    const cause = settled.find((result) => result.status === 'rejected')?.reason;
    throw new MissingPackageError(missing, what, { cause });
  }
  for (const result of settled) if (result.status === 'rejected') throw result.reason;
  return settled.map((result) => (result as PromiseFulfilledResult<unknown>).value) as {
    -readonly [I in keyof Names]: Exports<Names[I]>;
  };
}

/**
 * Whether `error` is Node's answer when the package `name` itself cannot be found: not one it
 * imports (`Cannot find package 'redis' imported from …/@memoflow/redis/…`), nor a file of it.
 */
function isNotInstalled(error: unknown, name: string): boolean {
  return (
    (error as NodeJS.ErrnoException | undefined)?.code === 'ERR_MODULE_NOT_FOUND' &&
    (error as Error).message.startsWith(`Cannot find package '${name}' imported from `)
  );
}
