/** The page built by Vite into a temporary folder (never into the package's dist/), for a test's server. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

export interface BuiltPage {
  /** The folder to give the server as its assets (`MEMOFLOW_UI_ASSETS`). */
  dir: string;
  dispose(): void;
}

export async function buildPage(): Promise<BuiltPage> {
  const dir = mkdtempSync(join(tmpdir(), 'memoflow-ui-page-'));
  await build({
    configFile: fileURLToPath(new URL('../../vite.config.ts', import.meta.url)),
    root: fileURLToPath(new URL('../../web/', import.meta.url)),
    logLevel: 'warn',
    build: { outDir: dir, emptyOutDir: true },
  });
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}
