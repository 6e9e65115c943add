/**
 * Imports a user's .ts or .js module. TypeScript is loaded through tsx's hooks, registered for
 * the whole process (not a namespace of their own), so the module shares the CLI's copy of
 * @memoflow/core: its pipeline and nodes are the objects the CLI's Runner knows.
 */
import { pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';

let registered = false;

export async function importModule(path: string): Promise<Record<string, unknown>> {
  const url = pathToFileURL(path).href;
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (error) {
    // Not under tsx already (the built CLI): register its hooks once, then load the module again.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_UNKNOWN_FILE_EXTENSION' || registered) throw error;
    register();
    registered = true;
    return (await import(url)) as Record<string, unknown>;
  }
}
