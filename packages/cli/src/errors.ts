/** What the CLI exits with, and the errors that choose it. */

export const EXIT = {
  ok: 0,
  /** The pipeline ran and a node failed. */
  failed: 1,
  /** The command line, the configuration or a module given is wrong: nothing ran. */
  usage: 2,
} as const;

/** A mistake in what the user asked for: printed as one line, exit code 2. */
export class UsageError extends Error {
  override readonly name: string = 'UsageError';
  readonly code: string = 'USAGE';
}

/**
 * A command needs an optional package that is not installed (`@memoflow/redis` for a Redis
 * cache, `@memoflow/bullmq` for a queue): the message names them and the command that installs
 * them. Exit code 2, as nothing ran.
 */
export class MissingPackageError extends UsageError {
  override readonly name = 'MissingPackageError';
  override readonly code = 'MISSING_PACKAGE';

  constructor(
    /** The packages to install, by name. */
    readonly packages: readonly string[],
    /** What needs them: `the Redis backend`, `memoflow worker`. */
    what: string,
    options?: ErrorOptions,
  ) {
    const list = packages.join(' and ');
    super(
      `${what} needs ${list}, which ${packages.length > 1 ? 'are' : 'is'} not installed: npm install ${packages.join(' ')}`,
      options,
    );
  }
}
