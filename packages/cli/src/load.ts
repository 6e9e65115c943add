/**
 * Loading a pipeline module: a .ts or .js file whose default export, or `pipeline` export, is a
 * Pipeline; or, given `exportName`, the Pipeline exported under that name.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { Pipeline } from '@memoflow/core';
import { UsageError } from './errors.ts';
import { importModule } from './import-module.ts';

export async function loadPipeline(module: string, exportName?: string): Promise<Pipeline> {
  return (await loadPipelineExport(module, exportName)).pipeline;
}

/** The Pipeline as `loadPipeline` finds it, and the name of the export it is (`default`, `pipeline`, …). */
export async function loadPipelineExport(
  module: string,
  exportName?: string,
): Promise<{ pipeline: Pipeline; exportName: string }> {
  const path = resolve(module);
  if (!existsSync(path)) throw new UsageError(`no module at ${module}: give the path of a .ts or .js file`);
  let exports: Record<string, unknown>;
  try {
    exports = await importModule(path);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`cannot load ${module}: ${message}`, { cause: error });
  }
  if (exportName !== undefined) {
    const named = exports[exportName];
    if (named instanceof Pipeline) return { pipeline: named, exportName };
    const pipelines = Object.keys(exports).filter((name) => exports[name] instanceof Pipeline);
    throw new UsageError(
      `${module} has no pipeline exported as \`${exportName}\`: its pipelines are ${pipelines.map((name) => `\`${name}\``).join(', ') || 'none'}`,
    );
  }
  const found = (['default', 'pipeline'] as const).find((name) => exports[name] instanceof Pipeline);
  if (found === undefined) {
    const names = Object.keys(exports).join(', ') || 'nothing';
    throw new UsageError(
      `${module} exports no pipeline (it exports ${names}): export one as \`export default new Pipeline([...])\` or \`export const pipeline = …\``,
    );
  }
  return { pipeline: exports[found] as Pipeline, exportName: found };
}
