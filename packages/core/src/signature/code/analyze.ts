import { builtinModules } from 'node:module';
import { dirname, relative, sep } from 'node:path';
import { hash, hashParts } from '../../_hash.ts';
import { type AstNode, loadModule, type ParsedModule, unwrap } from './ast.ts';
import { type CallSite, isRelative, packageName, resolveRelative } from './call-site.ts';
import {
  declarationOf,
  findCall,
  functionAtCall,
  type LocatedFunction,
  lookup,
  matchByShape,
  optionAt,
  parseRuntimeSource,
  pathTo,
  resolveFunction,
  type WrapForm,
} from './locate.ts';
import { normalize } from './normalize.ts';
import { type Binding, freeReferences } from './scope.ts';

/** One parameter of a memoized function, as its source declares it. */
export interface ParamInfo {
  /** The parameter's name; `{ a, b }` for a destructured object, `arg<i>` when it has none. */
  name: string;
  /** The property names a destructured object parameter reads. */
  properties?: string[];
  rest: boolean;
}

/** What memoflow learned from a function's source. */
export interface CodeAnalysis {
  codeHash: string;
  /** Hash of each piece of code in `codeHash`: `<self>`, same-module names, `./helpers.ts#name`, `<deps[0]>`. */
  codeParts: Record<string, string>;
  /** npm packages the hashed code imports → a file that imports it (where its version is looked up). */
  packages: Map<string, string>;
  params: ParamInfo[];
  /** Variables bound in an enclosing function or block whose values the source does not show. */
  captured: string[];
  /** Whether the function reads `this` (or `super`). */
  usesThis: boolean;
  /** The name the function is declared or assigned under, where the source shows one. */
  declaredName?: string;
  /**
   * How the function's source was found: `call-site`: the func() call names it (directly, or a
   * `const`/function declaration or import it names); `shape`: the one function of the call site's
   * module with the same normalized AST; `runtime`: `toString()` alone, when no source file was found.
   */
  source: 'call-site' | 'shape' | 'runtime';
  /** Where the function's source is, for messages. */
  location?: string;
}

export interface CodeOptions {
  /** How many relative-import hops to follow from the function's module. */
  dependencyDepth: number;
  version?: string | number;
  deps?: readonly Function[];
}

/** A wrapped function and where it was wrapped. */
export interface CodeTarget {
  fn: Function;
  callSite: CallSite | undefined;
  form: WrapForm;
}

const BUILTINS = new Set(builtinModules);

const analyses = new Map<string, CodeAnalysis>();

/**
 * Hashes the code of `target`: its normalized AST and everything it references, as the design
 * brief defines. Functions wrapped at the same call site (nodes made in a loop) share one
 * analysis, since it depends only on the call site and the options.
 */
export function analyzeCode(target: CodeTarget, options: CodeOptions): CodeAnalysis {
  const site = target.callSite;
  if (!site || options.deps?.length) return analyze(target, options);
  const cacheKey = `${site.file}:${site.line}:${site.column}:${target.form}:${options.dependencyDepth}:${typeof options.version}:${options.version}`;
  let analysis = analyses.get(cacheKey);
  if (!analysis) {
    analysis = analyze(target, options);
    // Only a call site that names its function statically wraps the same function every time.
    if (analysis.source === 'call-site') analyses.set(cacheKey, analysis);
  }
  return analysis;
}

function analyze(target: CodeTarget, options: CodeOptions): CodeAnalysis {
  const call = target.callSite && findCall(target.callSite);
  let located = call && functionAtCall(call.module, call.path, target.form);
  const fromCallSite = located !== undefined;
  const runtimeNode = parseRuntimeSource(target.fn);
  if (!located && call && runtimeNode) located = matchByShape(call.module, runtimeNode);

  const hasher = new CodeHasher(located?.module.file, options.dependencyDepth);
  let usesThis: boolean;
  if (located) {
    usesThis = hasher.addRoot('<self>', located);
  } else if (runtimeNode) {
    usesThis = hasher.addRuntimeRoot('<self>', runtimeNode);
  } else {
    // Native or bound functions print as `function f() { [native code] }`: their name is all there is.
    hasher.parts.set('<self>', hash(`native:${target.fn.name}`));
    usesThis = false;
  }

  const depNodes = call ? optionAt(call.path, 'deps') : undefined;
  for (const [i, dep] of (options.deps ?? []).entries()) {
    const element = depNodes?.type === 'ArrayExpression' ? depNodes.elements[i] : undefined;
    const depLocated = element && resolveFunction(call!.module, [...call!.path, depNodes!, unwrap(element)]);
    if (depLocated) hasher.addRoot(`<deps[${i}]>`, depLocated);
    else {
      const depNode = parseRuntimeSource(dep);
      if (depNode) hasher.addRuntimeRoot(`<deps[${i}]>`, depNode, false);
      else hasher.parts.set(`<deps[${i}]>`, hash(`native:${dep.name}`));
    }
  }
  if (options.version !== undefined)
    hasher.parts.set('<version>', hash(`${typeof options.version}:${options.version}`));

  const node = located?.node ?? runtimeNode;
  const codeParts = Object.fromEntries([...hasher.parts].sort(([a], [b]) => (a < b ? -1 : 1)));
  return {
    codeHash: hashParts(Object.entries(codeParts).map(([label, digest]) => `${label}=${digest}`)),
    codeParts,
    packages: hasher.packages,
    params: node ? node.params.map(paramInfo) : [],
    captured: [...hasher.captured].sort(),
    usesThis,
    declaredName: (call && declaredName(call.path, target.form)) ?? located?.node.id?.name,
    source: fromCallSite ? 'call-site' : located ? 'shape' : 'runtime',
    location: target.callSite && `${target.callSite.file}:${target.callSite.line}`,
  };
}

class CodeHasher {
  readonly parts = new Map<string, string>();
  readonly packages = new Map<string, string>();
  readonly captured = new Set<string>();
  private readonly visited = new Set<AstNode>();

  constructor(
    private readonly rootFile: string | undefined,
    private readonly maxDepth: number,
  ) {}

  /** Hashes a located function and what it references; returns whether it reads `this`. */
  addRoot(label: string, located: LocatedFunction): boolean {
    this.visited.add(located.node);
    this.parts.set(label, hash(normalize(located.node)));
    return this.addReferences(located.node, located.path, located.module, 0);
  }

  /** Hashes a function known only by its runtime source: free names that are not globals cannot be seen. */
  addRuntimeRoot(label: string, node: AstNode, strict = true): boolean {
    this.parts.set(label, hash(normalize(node)));
    const { names, usesThis } = freeReferences(node);
    if (strict) for (const name of names) if (!(name in globalThis)) this.captured.add(name);
    return usesThis;
  }

  private addReferences(node: AstNode, path: AstNode[], module: ParsedModule, depth: number): boolean {
    const { names, usesThis } = freeReferences(node);
    for (const name of [...names].sort()) {
      const found = lookup(name, path);
      if (!found) continue; // A global: Math, process, fetch, …
      if (found.scopeIndex === 0) this.addModuleBinding(found.binding, module, depth);
      else if (showsItsValue(found.binding))
        this.addDeclaration(`${this.label(module)}${name}~local`, found.binding.node, module, depth);
      else this.captured.add(name);
    }
    return usesThis;
  }

  private addDeclaration(label: string, declaration: AstNode, module: ParsedModule, depth: number): void {
    if (this.visited.has(declaration)) return;
    this.visited.add(declaration);
    const kind =
      declaration.type === 'VariableDeclarator' ? `${this.declarationKind(declaration, module)} ` : '';
    this.parts.set(label, hash(kind + normalize(declaration)));
    const path = pathTo(module.program, declaration);
    if (path) this.addReferences(declaration, path, module, depth);
  }

  private declarationKind(declarator: AstNode, module: ParsedModule): string {
    return pathTo(module.program, declarator)?.at(-2)?.kind ?? 'var';
  }

  private addModuleBinding(binding: Binding, module: ParsedModule, depth: number): void {
    if (binding.kind !== 'import') {
      this.addDeclaration(`${this.label(module)}${binding.name}`, binding.node, module, depth);
      return;
    }
    const source = binding.source!;
    if (!isRelative(source)) {
      if (!source.startsWith('node:') && !BUILTINS.has(source))
        this.packages.set(packageName(source), module.file);
      return;
    }
    const importLabel = `${this.label(module)}${source}#${binding.imported}`;
    if (depth >= this.maxDepth) {
      // Past dependencyDepth only the import itself counts: edits beyond it are not seen.
      this.parts.set(importLabel, hash(`import:${source}#${binding.imported}`));
      return;
    }
    if (binding.imported === '*') {
      const file = resolveRelative(source, module.file);
      const target = file ? loadModule(file) : undefined;
      this.parts.set(importLabel, hash(target ? normalize(target.program) : `unresolved:${source}`));
      return;
    }
    const declared = declarationOf(binding, module);
    if (!declared) {
      this.parts.set(importLabel, hash(`unresolved:${source}#${binding.imported}`));
      return;
    }
    this.addModuleBinding(declared.binding, declared.module, depth + 1);
  }

  /** Portable label prefix for a module: its path relative to the root function's module, with `/`. */
  private label(module: ParsedModule): string {
    if (!this.rootFile || module.file === this.rootFile) return '';
    return `${relative(dirname(this.rootFile), module.file).split(sep).join('/')}#`;
  }
}

/** A binding in an enclosing function or block whose value its source shows: a function, a class, a literal constant. */
function showsItsValue(binding: Binding): boolean {
  const node = binding.node;
  if (binding.kind === 'function' || binding.kind === 'class') return true;
  if (binding.kind === 'self') return node.type === 'ClassExpression' || node.type === 'FunctionExpression';
  if (
    binding.kind !== 'const' ||
    node.type !== 'VariableDeclarator' ||
    node.id.type !== 'Identifier' ||
    !node.init
  )
    return false;
  const init = unwrap(node.init);
  return (
    init.type === 'Literal' ||
    init.type === 'ArrowFunctionExpression' ||
    init.type === 'FunctionExpression' ||
    init.type === 'ClassExpression' ||
    (init.type === 'TemplateLiteral' && init.expressions.length === 0) ||
    (init.type === 'UnaryExpression' && unwrap(init.argument).type === 'Literal')
  );
}

function paramInfo(param: AstNode, index: number): ParamInfo {
  let node = param.type === 'TSParameterProperty' ? param.parameter : param;
  const rest = node.type === 'RestElement';
  if (rest) node = node.argument;
  if (node.type === 'AssignmentPattern') node = node.left;
  if (node.type === 'Identifier') return { name: node.name, rest };
  if (node.type === 'ObjectPattern') {
    const properties = node.properties
      .filter((p: AstNode) => p.type === 'Property' && !p.computed)
      .map((p: AstNode) => p.key.name ?? String(p.key.value));
    return { name: `{ ${properties.join(', ')} }`, properties, rest };
  }
  return { name: `arg${index}`, rest };
}

/** `const square = func(…)` → square; `@func(…) train() {}` → train; `{ load: func(…) }` → load. */
function declaredName(callPath: AstNode[], form: WrapForm): string | undefined {
  if (form === 'decorator') {
    const member = callPath.at(-3);
    return member?.key?.name ?? member?.key?.value;
  }
  for (let i = callPath.length - 2; i >= 0; i--) {
    const parent = callPath[i]!;
    if (parent.type === 'VariableDeclarator') return parent.id.name;
    if (parent.type === 'Property' || parent.type === 'PropertyDefinition')
      return parent.key.name ?? parent.key.value;
    if (parent.type === 'AssignmentExpression') return unwrap(parent.left).property?.name ?? parent.left.name;
    // `const scaler = (k) => func(…)`: the function a factory returns is named after the factory.
    if (parent.type === 'ArrowFunctionExpression' && parent.body === callPath[i + 1]) continue;
    if (
      !/Expression$|^TS/.test(parent.type) ||
      parent.type === 'ArrowFunctionExpression' ||
      parent.type === 'FunctionExpression'
    )
      return undefined;
  }
  return undefined;
}
