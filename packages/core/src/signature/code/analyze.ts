import { CapturedVariableError } from '../../errors.ts';
import { hash, hashParts } from '../../util/index.ts';
import { type CachedAnalysis, readAnalysis, writeAnalysis } from './analysis-cache.ts';
import { loadModule } from './ast.ts';
import type { CallSite } from './call-site.ts';
import { hashCaptured } from './captured.ts';
import { useExactClassIdentity } from './class-identity.ts';
import { CodeHasher, type PackageUse } from './hasher.ts';
import { lineOf } from './hazards.ts';
import { declaredNameAt, functionAt, isPackageFile, parseRuntimeSource, projectLabel } from './locate.ts';
import { recordingResolutions } from './modules.ts';
import { normalize as normalizeText } from './normalize.ts';
import { type ParamInfo, paramInfo } from './params.ts';
import { closureValues, inspectFunction } from './runtime.ts';
import { freeReferences } from './scope.ts';

export type { ParamInfo } from './params.ts';

/** What memoflow learned from a function's code. */
export interface CodeAnalysis {
  codeHash: string;
  /** Hash of each piece of code in `codeHash`: `<self>`, same-module names, `lib/helpers#name`, `<captured:k>`, `<deps[0]>`. */
  codeParts: Record<string, string>;
  /** npm packages the hashed code imports, and where from (their versions and dependency closures are the env). */
  packages: Map<string, PackageUse>;
  params: ParamInfo[];
  /** Variables of an enclosing function the code reads that `captures` must give, because their values could not be read. */
  captured: string[];
  /** Whether the function reads `this` (or `super`). */
  usesThis: boolean;
  /** The name the function is declared or assigned under at its `func()` call, where the source shows one. */
  declaredName?: string;
  /**
   * How the code was found: `exact`: V8 gave the function's source position; `runtime`: only its
   * `toString()` (eval'd code, the REPL, no inspector); `native`: built-in code.
   */
  source: 'exact' | 'runtime' | 'native';
  /** Where the function's source is (`file:line`), for messages. */
  location?: string;
  /** `process.env` names the code reads: hashed like `env`. */
  envNames: string[];
  /** What the code depends on that no hash can see, each `file:line: message`. */
  warnings: string[];
  /** Imports `dependencyDepth` did not follow. */
  cut: string[];
}

export interface CodeOptions {
  /** How many module hops to follow from the function's module; Infinity (the default) follows to the end. */
  dependencyDepth?: number;
  version?: string | number;
  deps?: readonly Function[];
  /** Names whose values the caller hashes as inputs (`captures`): not read from the closure. */
  captures?: readonly string[];
}

/** A wrapped function and where `func()` was called for it (for its declared name). */
export interface CodeTarget {
  fn: Function;
  callSite: CallSite | undefined;
  form: 'call' | 'decorator';
}

/** Static analyses by source position and options: functions made at one place share one. */
const staticAnalyses = new Map<string, CachedAnalysis>();
const inProgress = new WeakSet<Function>();

/**
 * Hashes the code of `target.fn` exactly: V8 says where its source is; the source, what it
 * reaches in project source, and the values its closure captures are hashed.
 */
export function analyzeCode(target: CodeTarget, options: CodeOptions = {}): CodeAnalysis {
  const analysis = analyzeFunction(target.fn, options);
  const declaredName = target.callSite && declaredNameAt(target.callSite, target.form);
  return { ...analysis, declaredName: declaredName ?? analysis.declaredName };
}

function analyzeFunction(fn: Function, options: CodeOptions): CodeAnalysis {
  const runtime = inspectFunction(fn);
  let analysis: CodeAnalysis;
  if (runtime.kind === 'bound') {
    const inner = analyzeFunction(runtime.target, { ...options, deps: undefined, version: undefined });
    const bound = hashCaptured(
      fn,
      'bound this and arguments',
      [runtime.boundThis, runtime.boundArgs],
      analyzeNested,
    );
    analysis = {
      ...inner,
      codeParts: { ...prefixed('<bound>/', inner.codeParts), '<bound>': bound },
      params: inner.params.slice(runtime.boundArgs.length),
      usesThis: false,
    };
  } else if (runtime.kind === 'source') {
    analysis = analyzeSource(fn, runtime.site.file, runtime.site.offset, options);
  } else if (runtime.kind === 'native') {
    analysis = emptyAnalysis('native', { '<self>': hash(`native:${fn.name}`) });
  } else {
    analysis = analyzeRuntimeSource(fn, runtime.reason);
  }
  const missing = analysis.captured.filter((name) => !options.captures?.includes(name));
  if (missing.length > 0)
    throw capturedError(
      fn,
      missing,
      analysis.location ?? 'no source file',
      `which ${analysis.warnings[0] ?? 'its source does not show'}`,
    );
  return withOptions(analysis, options);
}

function analyzeSource(fn: Function, file: string, offset: number, options: CodeOptions): CodeAnalysis {
  const depth = options.dependencyDepth ?? Number.POSITIVE_INFINITY;
  const cacheKey = `${file}\0${offset}\0${depth}`;
  let analyzed = staticAnalyses.get(cacheKey) ?? readAnalysis(file, offset, depth);
  if (!analyzed) {
    const module = loadModule(file);
    const located = module && functionAt(module, offset, isClass(fn));
    if (!module || !located) return analyzeRuntimeSource(fn, `its source file ${file} could not be parsed`);
    const { node, path } = located;
    const { result, resolutions } = recordingResolutions(() => {
      const hasher = new CodeHasher(file, depth, !isPackageFile(file));
      const usesThis = hasher.addRoot('<self>', node, path, module);
      return { code: hasher.result(), usesThis };
    });
    analyzed = {
      ...result,
      resolutions,
      start: node.start,
      line: lineOf(module.source, node.start),
      params: (node.params ?? []).map(paramInfo),
      declaredName: node.id?.name,
    };
    writeAnalysis(file, offset, depth, analyzed);
  }
  staticAnalyses.set(cacheKey, analyzed);
  const { code } = analyzed;
  const location = `${file}:${analyzed.line}`;
  const wanted = code.captured.filter((name) => !options.captures?.includes(name));
  const changing = wanted.filter((name) => code.reassigned[name]);
  if (changing.length > 0) {
    const where = changing.map((name) => `\`${name}\` at ${code.reassigned[name]}`).join(', ');
    throw capturedError(
      fn,
      changing,
      location,
      `from an enclosing function, where it is assigned again (${where}), so the value a call sees may not be the one read first`,
      `Make ${changing.length > 1 ? 'them arguments' : 'it an argument'} of the function, or give ${changing.length > 1 ? 'their' : 'its'} current value at every call: \`func({ captures: { get ${changing[0]}() { return ${changing[0]}; } } }, …)\``,
    );
  }
  const values = wanted.length > 0 ? closureValues(fn, wanted) : new Map<string, unknown>();
  const missing = wanted.filter((name) => !values.has(name));
  if (missing.length > 0)
    throw capturedError(
      fn,
      missing,
      location,
      'from an enclosing function, but its value could not be read from the running closure',
    );
  const parts = { ...code.parts };
  for (const name of wanted)
    parts[`<captured:${name}>`] = hashCaptured(fn, name, values.get(name), analyzeNested);
  return {
    codeHash: '',
    codeParts: parts,
    packages: code.packages,
    params: analyzed.params,
    captured: [],
    usesThis: analyzed.usesThis,
    declaredName: analyzed.declaredName,
    source: 'exact',
    location,
    envNames: code.envNames,
    warnings: code.hazards.map((h) => `${h.where}: ${h.message}`),
    cut: code.cut,
  };
}

function isClass(fn: Function): boolean {
  return /^class[\s{]/.test(Function.prototype.toString.call(fn));
}

/** eval'd code or the REPL: the function's own text is all there is; names it reads from outside must come through `captures`. */
function analyzeRuntimeSource(fn: Function, reason: string): CodeAnalysis {
  const node = parseRuntimeSource(fn);
  if (!node) return emptyAnalysis('runtime', { '<self>': hash(`runtime:${fn.toString()}`) });
  const { names, usesThis } = freeReferences(node);
  const captured = [...names].filter((name) => !(name in globalThis)).sort();
  return {
    ...emptyAnalysis('runtime', { '<self>': hash(normalizeText(node)) }),
    params: node.params.map(paramInfo),
    captured,
    usesThis,
    warnings:
      captured.length > 0 ? [`memoflow cannot see: it has only the function's text, as ${reason}`] : [],
  };
}

useExactClassIdentity((ctor) => {
  try {
    const analysis = analyzeFunction(ctor, {});
    if (analysis.source !== 'exact' || !analysis.location) return undefined;
    return hash(`${analysis.codeHash}\0${projectLabel(analysis.location.replace(/:\d+$/, ''))}`);
  } catch {
    // A class whose closure holds something unhashable: its text is the identity.
    return undefined;
  }
});

/** The code hash of a function found in a closure or bound arguments: its own analysis, no options. */
function analyzeNested(fn: Function): string {
  if (inProgress.has(fn)) return hash(`recursive:${fn.name}`);
  inProgress.add(fn);
  try {
    return analyzeFunction(fn, {}).codeHash;
  } finally {
    inProgress.delete(fn);
  }
}

function withOptions(analysis: CodeAnalysis, options: CodeOptions): CodeAnalysis {
  const parts = { ...analysis.codeParts };
  for (const [i, dep] of (options.deps ?? []).entries()) parts[`<deps[${i}]>`] = analyzeNested(dep);
  if (options.version !== undefined)
    parts['<version>'] = hash(`${typeof options.version}:${options.version}`);
  const labels = Object.keys(parts).sort();
  const codeParts = Object.fromEntries(labels.map((label) => [label, parts[label]!]));
  const codeHash = hashParts(labels.map((label) => `${label}=${parts[label]}`));
  return { ...analysis, codeParts, codeHash };
}

function emptyAnalysis(source: CodeAnalysis['source'], parts: Record<string, string>): CodeAnalysis {
  return {
    codeHash: '',
    codeParts: parts,
    packages: new Map(),
    params: [],
    captured: [],
    usesThis: false,
    source,
    envNames: [],
    warnings: [],
    cut: [],
  };
}

function prefixed(prefix: string, parts: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(parts).map(([label, digest]) => [`${prefix}${label}`, digest]));
}

function capturedError(
  fn: Function,
  names: string[],
  location: string,
  why: string,
  fix = `Pass ${names.length > 1 ? 'them' : 'it'} to be hashed: \`func({ captures: { ${names.join(', ')} } }, …)\``,
): CapturedVariableError {
  const list = names.map((n) => `\`${n}\``).join(', ');
  const node = fn.name || 'anonymous';
  return new CapturedVariableError(
    node,
    names,
    `Cannot memoize \`${node}\` (${location}): it reads ${list} ${why}. ${fix}.`,
  );
}
