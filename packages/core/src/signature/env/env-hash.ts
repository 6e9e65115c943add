import { hash, hashParts } from '../../util/index.ts';
import { packageEnv } from './package-closure.ts';

/** The environment parts that do not change while a process runs: runtime, platform, arch, package versions. */
export interface StaticEnv {
  /** `runtime`, `platform`, `arch` and one `npm:<name>` entry per package → its value. */
  parts: Record<string, string>;
}

/**
 * The static environment of code that imports `packages` (name → importing file and package
 * root): each package's `name@version`, and a hash of its whole installed dependency closure
 * with the patches applied to it, so a transitive upgrade or a patched package changes the env
 * of the functions that reach it, and of no others.
 */
export function staticEnv(packages: ReadonlyMap<string, { fromFile: string; dir?: string }>): StaticEnv {
  const parts: Record<string, string> = {
    runtime: runtimeVersion(),
    platform: process.platform,
    arch: process.arch,
  };
  for (const name of [...packages.keys()].sort()) {
    const { fromFile, dir } = packages.get(name)!;
    const env = packageEnv(name, fromFile, dir);
    parts[`npm:${name}`] = `${name}@${env.version}`;
    if (env.closure.length > 0 || env.patches.length > 0) parts[`npm:${name}#closure`] = env.closureHash;
  }
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
