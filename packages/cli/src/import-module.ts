/**
 * Imports a user's module: a pipeline, or memoflow.config.{ts,js}. JavaScript is imported as it
 * is. TypeScript needs tsx's hooks, registered before the first such import (Node remembers a
 * failed import of a URL, so registering after a failure cannot help) and for the whole process,
 * not in a namespace of their own: the module then shares the CLI's copy of @memoflow/core, and
 * its pipeline and nodes are the objects the CLI's Runner knows.
 */
import { createRequire } from 'node:module';
import { extname } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The extensions tsx compiles. */
const TYPESCRIPT = new Set(['.ts', '.mts', '.cts', '.tsx']);

let typescriptLoader: Promise<void> | undefined;

export async function importModule(path: string): Promise<Record<string, unknown>> {
  if (TYPESCRIPT.has(extname(path))) {
    typescriptLoader ??= registerTypeScript();
    await typescriptLoader;
  }
  return (await import(pathToFileURL(path).href)) as Record<string, unknown>;
}

async function registerTypeScript(): Promise<void> {
  // Only when no TypeScript loader is in place: there is one when this file is TypeScript itself
  // (the CLI from source, under tsx or vitest), or when TypeScript can be required (`node
  // --import tsx` registers tsx's CommonJS hooks too). A second would only add its start-up and
  // chain its hooks behind the first's.
  if (import.meta.url.endsWith('.ts') || createRequire(import.meta.url).extensions['.ts'] !== undefined)
    return;
  const { register } = await import('tsx/esm/api');
  register();
}
