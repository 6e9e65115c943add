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
    if (named instanceof Pipeline) return named;
    const pipelines = Object.keys(exports).filter((name) => exports[name] instanceof Pipeline);
    throw new UsageError(
      `${module} has no pipeline exported as \`${exportName}\`: its pipelines are ${pipelines.map((name) => `\`${name}\``).join(', ') || 'none'}`,
    );
  }
  const found = [exports.default, exports.pipeline].find((value) => value instanceof Pipeline);
  if (!found) {
    const names = Object.keys(exports).join(', ') || 'nothing';
    throw new UsageError(
      `${module} exports no pipeline (it exports ${names}): export one as \`export default new Pipeline([...])\` or \`export const pipeline = …\``,
    );
  }
  return found as Pipeline;
}
