/**
 * The env part of a call's key: the values of the env vars that count and the state of the
 * `files` globs, as text (what a key is memoized under) and as the env hash with its parts,
 * computed once per distinct text.
 */
import { envHash, envVarsText, type FilesState, filesState } from '../signature/index.ts';
import type { EnvHash, Prepared } from './types.ts';

/** The env of one memoized function's calls. */
export class CallEnvironment {
  /** The `files` state the last env text was made of (its parts go into the env hash on a miss). */
  private files: FilesState | undefined;

  constructor(
    /** The `files` option: globs whose states count in the env hash. */
    private readonly globs: readonly string[] | undefined,
  ) {}

  /** What the env hash of a call depends on, as text: the env vars' values, then the `files` states. */
  text(prepared: Prepared): string {
    const vars = prepared.envNames.length > 0 ? envVarsText(prepared.envNames) : '';
    return vars + this.filesText();
  }

  /**
   * The env hash (and its parts) for the current values of the declared env vars, and of
   * `extra` ones (a Runner's `cache.env`) after them.
   */
  withExtra(prepared: Prepared, extra: readonly string[]): EnvHash {
    const own = prepared.envNames;
    const names = extra.length === 0 ? own : [...own, ...extra.filter((name) => !own.includes(name))];
    return this.hashOf(prepared, (names.length > 0 ? envVarsText(names) : '') + this.filesText(), names);
  }

  /** The env hash for `envText`, made of the static parts, the last `files` state and `names`' values. */
  hashOf(prepared: Prepared, envText: string, names: readonly string[] = prepared.envNames): EnvHash {
    let env = prepared.envHashes.get(envText);
    if (!env) {
      env = envHash({ ...prepared.staticEnvParts, ...this.files?.parts }, names);
      prepared.envHashes.set(envText, env);
    }
    return env;
  }

  /** The `files` state of this call, kept for hashOf: the files are globbed and stat'ed once a call. */
  private filesText(): string {
    if (!this.globs) return '';
    this.files = filesState(this.globs);
    return this.files.text;
  }
}
