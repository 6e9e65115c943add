/** The shapes of the two-run corpus: a case, its edit, what it expects, and what a call printed. */

/**
 * What the last run must show for one call:
 * - `miss`: the edit changes what runs, so it computes again under another key (a hit would be stale);
 * - `hit`: the edit cannot change the result, so it is read back under the same key;
 * - `computed`: (single run) it computed without an error;
 * - `miss-or-error`: a miss, or a memoflow error (with a `code`) refusing the function;
 * - `error:<CODE>:<fragment>`: a memoflow error with that code whose message holds the fragment;
 * - `warns:<fragment>` or `warns:<fragment>@<line text>`: a warning that holds the fragment (in any case)
 *   and names a line of the case's files holding the line text, by default the fragment (`file.ts:7`);
 * - `cut:<fragment>`: `.signature().cut` lists what a `dependencyDepth` cut left out, holding the fragment.
 */
export type Expectation =
  | 'miss'
  | 'hit'
  | 'computed'
  | 'miss-or-error'
  | `error:${string}`
  | `warns:${string}`
  | `cut:${string}`;

/** A change between the two runs. */
export interface Edit {
  /** New text (or an edit of the old text) per file; `null` removes the file. */
  files?: Record<string, string | null | ((text: string) => string)>;
  /** Environment variables of the second run, on top of the first run's. */
  env?: Record<string, string>;
  /** The second run's entry. @default the case's entry */
  entry?: string;
  /** The second run is plain `node`, without tsx or the `source` condition. @default false */
  plainNode?: boolean;
  /** The second run happens in a copy of the project in another folder. @default false */
  moveProject?: boolean;
  /** Runs after the files are written (a rebuild, a reinstall). */
  after?: (project: CaseProject) => Promise<void>;
}

/** One situation, run in fresh processes on real files. */
export interface SignatureCase {
  name: string;
  /** The project's files, paths relative to its root. `package.json` defaults to `{ "type": "module" }`. */
  files: Record<string, string>;
  /** @default 'main.ts' */
  entry?: string;
  /** Environment variables of the first run. */
  env?: Record<string, string>;
  /** Runs after the files are written and before the first run (installs, builds). */
  setup?: (project: CaseProject) => Promise<void>;
  /** Without an edit the case is a single run. */
  edit?: Edit;
  /** Per call name (as given to `report`), what the last run must show. */
  expect: Record<string, Expectation>;
  /** Groups of calls whose keys must all differ in the last run, each call computing. */
  distinct?: string[][];
  /** In `distinct`, a call refused with this error code (`*`: any memoflow code) counts as kept apart. */
  refusalAllowed?: string;
  /** Text that must appear nowhere in the last run's output. */
  forbid?: string[];
  /** What goes wrong on today's engine: the case is expected to fail until that is fixed. */
  knownStale?: string;
}

/** A case's project directory while it runs. */
export interface CaseProject {
  dir: string;
  write(path: string, text: string): void;
  read(path: string): string;
  /** Runs a command in the project directory (installs, builds); rejects on a non-zero exit. */
  exec(command: string, args: string[]): Promise<string>;
  /** Runs this repository's `tsc` in the project; type errors do not stop its emit. */
  tsc(args: string[]): Promise<void>;
  /** Points `node_modules/<name>` at a directory. */
  link(name: string, target: string): void;
}

/** What one call printed: its key, whether the function body ran, warnings, cut, or the error. */
export interface CallRecord {
  call: string;
  computed: boolean;
  key?: string;
  value?: unknown;
  warnings?: unknown;
  cut?: unknown;
  error?: { name?: string; code?: string; message: string };
}
