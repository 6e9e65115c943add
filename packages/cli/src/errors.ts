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
  override readonly name = 'UsageError';
}
