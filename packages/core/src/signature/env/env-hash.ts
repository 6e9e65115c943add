import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { hash, hashParts } from '../../_hash.ts';

/** The environment parts that do not change while a process runs: runtime, platform, arch, package versions. */
export interface StaticEnv {
  /** `runtime`, `platform`, `arch` and one `npm:<name>` entry per package → its value. */
  parts: Record<string, string>;
}

const versionCache = new Map<string, string>();

/**
 * The installed version of `name` as seen from `fromFile`: the first `node_modules/<name>/package.json`
 * walking up from the file's directory, the way Node resolves it. `unresolved` when none is found.
 */
export function packageVersion(name: string, fromFile: string): string {
  const cacheKey = `${dirname(fromFile)}\0${name}`;
  let version = versionCache.get(cacheKey);
  if (!version) {
    version = findVersion(name, dirname(fromFile));
    versionCache.set(cacheKey, version);
  }
  return version;
}

function findVersion(name: string, startDir: string): string {
  for (let dir = startDir; ; dir = dirname(dir)) {
    try {
      const manifest = JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8'));
      return String(manifest.version ?? 'unversioned');
    } catch {
      // Not installed at this level; look one directory up.
    }
    if (dirname(dir) === dir) return 'unresolved';
  }
}

/** The static environment of code that imports `packages` (name → importing file). */
export function staticEnv(packages: ReadonlyMap<string, string>): StaticEnv {
  const parts: Record<string, string> = {
    runtime: runtimeVersion(),
    platform: process.platform,
    arch: process.arch,
  };
  const names = [...packages.keys()].sort();
  const versions = names.map((name) => packageVersion(name, packages.get(name)!));
  names.forEach((name, i) => {
    parts[`npm:${name}`] = `${name}@${versions[i]}`;
  });
  return { parts };
}

/** `node@20`, `bun@1`, …: the runtime and its major version, whose value formats and semantics results may depend on. */
function runtimeVersion(): string {
  const versions = process.versions as Record<string, string | undefined>;
  if (versions.bun) return `bun@${versions.bun.split('.')[0]}`;
  if (versions.deno) return `deno@${versions.deno.split('.')[0]}`;
  return `node@${process.versions.node.split('.')[0]}`;
}

/** The values of the declared env vars as one string (unset differs from empty); part of the per-call key. */
export function envVarsText(names: readonly string[]): string {
  let text = '';
  for (const name of names) {
    const value = process.env[name];
    text += value === undefined ? `${name}\0unset\0` : `${name}\0${value.length}:${value}\0`;
  }
  return text;
}

/** The env hash: the static parts plus each declared env var's value (hashed, so no secret is stored in meta). */
export function envHash(
  staticParts: Record<string, string>,
  names: readonly string[],
): { envHash: string; envParts: Record<string, string> } {
  const envParts = { ...staticParts };
  for (const name of names) {
    const value = process.env[name];
    envParts[`env:${name}`] = value === undefined ? 'unset' : hash(`${name}=${value}`);
  }
  const sorted = Object.keys(envParts).sort();
  return { envHash: hashParts(sorted.map((key) => `${key}=${envParts[key]}`)), envParts };
}
