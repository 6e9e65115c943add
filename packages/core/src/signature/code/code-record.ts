/**
 * What the code hasher records as it walks: each piece of code hashed under a portable label, the
 * packages, captured and reassigned names, env vars and hazards it meets, the imports
 * `dependencyDepth` cut, and every file it reads; and the StaticCode all that becomes.
 */
import { dirname } from 'node:path';
import { hash } from '../../util/index.ts';
import { dedupe } from './hazards.ts';
import { portablePath } from './project-paths.ts';
import type { Hazard, PackageUse, ParsedModule, StaticCode } from './types.ts';

/** The record of one code walk; CodeHasher fills it. */
export class CodeRecord {
  readonly parts = new Map<string, string>();
  readonly packages = new Map<string, PackageUse>();
  readonly captured = new Set<string>();
  /** Captured names assigned again in their scope → where: their value at a call may not be the one read first. */
  readonly reassigned: Record<string, string> = {};
  readonly envNames = new Set<string>();
  readonly hazards: Hazard[] = [];
  readonly cut: string[] = [];
  readonly files: Record<string, string> = {};

  constructor(
    /** The root function's module: labels are relative to it. */
    private readonly rootFile: string,
  ) {}

  result(): StaticCode {
    const sorted = [...this.parts].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      parts: Object.fromEntries(sorted),
      packages: this.packages,
      captured: [...this.captured].sort(),
      reassigned: this.reassigned,
      envNames: [...this.envNames].sort(),
      hazards: dedupe(this.hazards),
      cut: [...new Set(this.cut)].sort(),
      files: this.files,
    };
  }

  protected noteFile(module: ParsedModule): void {
    if (!(module.file in this.files)) this.files[module.file] = hash(module.source);
  }

  /** Portable label prefix for a module: its path relative to the root function's module, `/`-separated, without extension. */
  protected label(module: ParsedModule): string {
    if (module.file === this.rootFile) return '';
    return `${this.labelOfFile(module.file)}#`;
  }

  protected labelOfFile(file: string): string {
    return portablePath(dirname(this.rootFile), file);
  }
}
