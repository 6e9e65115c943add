/** The shapes run/'s files share: what every node of a run shares, a node's signature, a mapped item. */
import type { CacheBackend } from '../backends/index.ts';
import type { FairLimiter } from './fair-limiter.ts';
import type { SignatureParts } from './miss-reasons.ts';
import type { Progress } from './progress.ts';
import type { Executor } from './remote/task.ts';

/** What every node of one run shares. */
export interface RunContext {
  /** The run's external inputs. */
  inputs: Record<string, unknown>;
  /** The runner's backend; undefined when the runner's cache is disabled. */
  backend: CacheBackend | undefined;
  /** Replaces every node's env hash, when set. */
  envHash: string | undefined;
  /** Environment variable names that count in every node's env hash. */
  env: readonly string[];
  dependencyDepth: number | undefined;
  perItemCaching: boolean;
  /**
   * Bounds how many computations run at once, sharing the slots fairly between nodes (here: an
   * executor's workers bound their own).
   */
  limit: FairLimiter;
  /** The run's progress line, told which nodes compute and how far mapped nodes are; none in a dry run or on a worker. */
  progress?: Progress;
  /** Where misses of nodes using `backend` are computed; undefined: here. */
  executor: Executor | undefined;
  /** Aborts when the run stops (failed or aborted): tasks not started yet are withdrawn. */
  cancel: AbortSignal;
}

/** A node's signature for this run, before it is known whether it hits. */
export interface NodeSignatureParts extends SignatureParts {
  envParts: Record<string, string>;
  inputParts: Record<string, string>;
  depsParts: Record<string, string>;
}

/** One item of a mapped input: the input's name and the item. */
export interface MapItem {
  name: string;
  value: unknown;
}
