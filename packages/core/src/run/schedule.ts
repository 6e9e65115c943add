import { ConfigError, MissingInputError, NodeFailedError } from '../errors.ts';
import type { Pipeline, PipelineNode } from '../pipeline/index.ts';
import { RunReport } from '../report/index.ts';
import { computeItems, itemsOf, runPerItem } from './map.ts';
import { NodeRun } from './node-run.ts';
import { createProgress, type Progress } from './progress.ts';
import { computeRemotely, runsRemotely } from './remote/dispatch.ts';
import { shareComputation } from './shared.ts';
import type { RunContext } from './types.ts';
import { wiringOf } from './wiring.ts';

/** What one `runner.run()` call needs beyond the pipeline and its inputs. */
export interface RunSettings {
  context: RunContext;
  /** Aborted by the run when it stops: the context's `cancel` signal. */
  stop: AbortController;
  outputs: readonly string[] | undefined;
  signal: AbortSignal | undefined;
  verbose: boolean;
  progress: boolean | undefined;
}

/** The result of a run: the requested outputs and what happened. */
export interface RunResult<Outputs = Record<string, unknown>> {
  outputs: Outputs;
  report: RunReport;
}

/**
 * One run of a pipeline: schedules the nodes the requested outputs need, in dependency order,
 * as their inputs become available; looks each up by signature, computes only misses (bounded
 * by the context's limit), and reports every node.
 */
export class Run {
  private readonly plan: readonly PipelineNode[];
  private readonly runs: readonly NodeRun[];
  private readonly ready: NodeRun[] = [];
  private readyHead = 0;
  private draining = false;
  private running = 0;
  private stopped = false;
  private failure: NodeFailedError | undefined;
  private readonly startedAt = Date.now();
  private readonly progress: Progress;
  private settle!: { resolve: () => void; reject: (error: unknown) => void };

  constructor(
    private readonly pipeline: Pipeline,
    private readonly settings: RunSettings,
  ) {
    const { plan, runs } = planRuns(pipeline, settings.context, settings.outputs);
    this.plan = plan;
    this.runs = runs;
    const wanted = new Set(settings.outputs ?? pipeline.finalOutputs);
    for (const run of runs) run.wanted = wanted.has(run.name);
    this.progress = createProgress({ total: this.runs.length, enabled: settings.progress });
    settings.context.progress = this.progress;
  }

  /** Runs to completion; rejects with the first NodeFailedError (after running nodes finish) or the abort reason. */
  async execute(): Promise<RunResult> {
    const { signal } = this.settings;
    signal?.throwIfAborted();
    const done = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    const onAbort = () => this.abort(signal!.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      for (const run of this.runs) if (run.waiting === 0) this.ready.push(run);
      this.drain();
      await done;
      const report = this.report();
      return { outputs: this.outputs(), report };
    } catch (error) {
      if (error instanceof NodeFailedError) Object.assign(error, { report: this.report() });
      throw error;
    } finally {
      signal?.removeEventListener('abort', onAbort);
      this.progress.stop();
    }
  }

  /** Starts every ready node; in-memory hits complete synchronously, so a chain of hits never recurses. */
  private drain(): void {
    if (this.draining) return;
    this.draining = true;
    while (this.readyHead < this.ready.length) {
      const run = this.ready[this.readyHead++]!;
      // Not on the progress line: a node shows there only while it computes (NodeRun.inSlot).
      if (this.stopped) continue;
      let synchronous = false;
      try {
        synchronous = this.tryPeek(run);
      } catch (error) {
        this.fail(run, error);
        continue;
      }
      if (synchronous) this.finished(run);
      else {
        this.running++;
        this.runAsync(run).then(
          () => {
            this.running--;
            this.finished(run);
            this.drain();
          },
          (error) => {
            this.running--;
            this.fail(run, error);
            this.drain();
          },
        );
      }
    }
    this.draining = false;
    if (this.running === 0 && (this.stopped || this.readyHead === this.ready.length)) this.complete();
  }

  /** A cached node of an in-process backend hits without leaving this turn. */
  private tryPeek(run: NodeRun): boolean {
    if (!run.backend?.peek || run.node.map !== undefined) return false;
    return run.peek(run.key());
  }

  private async runAsync(run: NodeRun): Promise<void> {
    if (run.perItem) return runPerItem(run);
    if (!run.backend || !run.reads || runsRemotely(run)) return this.lookupOrCompute(run);
    // Concurrent runs of one node under one key in one cache compute it once. (An executor
    // collapses identical remote misses itself; a node that may not read wants its own result.)
    const key = run.key();
    const { result, joined } = await shareComputation(run.backend, key, async () => {
      await this.lookupOrCompute(run, key);
      const { computeMs, savedMs } = run.report;
      return { value: run.outputValue(), outputHash: run.knownOutputHash(), computeMs: computeMs ?? savedMs };
    });
    if (!joined) return;
    run.setOutput(result.value, result.outputHash);
    Object.assign(run.report, { status: 'hit', key, savedMs: result.computeMs });
  }

  private async lookupOrCompute(run: NodeRun, key?: string): Promise<void> {
    if (run.backend && (await run.lookup(key ?? run.key()))) return;
    const signature = run.backend ? run.signature() : undefined;
    if (signature && runsRemotely(run)) return computeRemotely(run, signature);
    if (run.node.map === undefined) return run.compute(signature);
    // A mapped node cached whole (perItemCaching off) or not at all.
    const started = performance.now();
    const values = await computeItems(run, itemsOf(run));
    Object.assign(run.report, {
      status: signature ? 'miss' : 'disabled',
      computeMs: performance.now() - started,
    });
    run.setOutput(values, undefined);
    if (signature) {
      run.report.key = signature.key;
      if (run.writes) await run.store(signature, values, run.report.computeMs!);
    }
  }

  private finished(run: NodeRun): void {
    this.progress.finished(run.name, run.report.status);
    for (const position of run.wiring.children) {
      const child = this.runs[position]!;
      if (--child.waiting === 0) this.ready.push(child);
    }
  }

  private fail(run: NodeRun, error: unknown): void {
    const failure = run.failure(error);
    run.report.status = 'failed';
    run.report.error = { name: (failure.cause as Error)?.name ?? 'Error', message: failure.message };
    this.progress.finished(run.name, 'failed');
    this.failure ??= failure;
    this.stopped = true;
    this.settings.stop.abort(failure);
  }

  private abort(reason: unknown): void {
    this.stopped = true;
    this.settings.stop.abort(reason);
    // Nodes already running finish in the background and are stored; nothing new starts.
    this.settle.reject(reason);
  }

  private complete(): void {
    if (this.failure) this.settle.reject(this.failure);
    else this.settle.resolve();
  }

  private outputs(): Record<string, unknown> {
    const wanted = new Set(this.settings.outputs ?? this.pipeline.finalOutputs);
    // Own properties, so an output named `__proto__` is returned like any other.
    return Object.fromEntries(
      this.runs.filter((run) => wanted.has(run.name)).map((run) => [run.name, run.outputValue()]),
    );
  }

  private report(): RunReport {
    const report = new RunReport({
      nodes: this.runs.map((run) => run.report),
      edges: this.pipeline.edges(this.plan),
      backend: this.settings.context.backend?.name ?? 'none',
      startedAt: this.startedAt,
      durationMs: Date.now() - this.startedAt,
    });
    if (this.settings.verbose) process.stderr.write(`${report.toLine()}\n`);
    return report;
  }
}

/**
 * The nodes `outputs` need, in topological order, each with its NodeRun (plan position = index).
 * Throws before anything runs when the inputs are not an object or lack a value a node needs.
 */
export function planRuns(
  pipeline: Pipeline,
  context: RunContext,
  outputs: readonly string[] | undefined,
): { plan: readonly PipelineNode[]; runs: NodeRun[] } {
  if (context.inputs === null || typeof context.inputs !== 'object' || Array.isArray(context.inputs)) {
    throw new ConfigError(
      `The inputs of runner.run() must be an object of named values, got ${typeof context.inputs}: pass e.g. { path: 'data.csv' }.`,
    );
  }
  const plan = pipeline.plan(outputs);
  const missing = pipeline.missingInputs(plan, new Set(Object.keys(context.inputs)));
  if (missing) throw missingInputs(missing);
  const wiring = wiringOf(plan);
  const runs: NodeRun[] = new Array(plan.length);
  for (let i = 0; i < plan.length; i++) runs[i] = new NodeRun(plan[i]!, context, wiring[i]!, runs);
  return { plan, runs };
}

function missingInputs(missing: Record<string, string[]>): MissingInputError {
  const names = Object.keys(missing);
  const list = names
    .map((name) => `\`${name}\` (needed by ${missing[name]!.map((n) => `\`${n}\``).join(', ')})`)
    .join(', ');
  const example = names.map((name) => `${name}: …`).join(', ');
  return new MissingInputError(
    missing,
    `Missing ${names.length > 1 ? 'inputs' : 'input'} ${list}. Pass ${names.length > 1 ? 'them' : 'it'} to runner.run(pipeline, { ${example} }), or add a node whose output is ${names.length > 1 ? 'each' : 'it'}.`,
  );
}
