import {
  type AstNode,
  children,
  isFunctionNode,
  literalString,
  type ParsedModule,
  staticKey,
  unwrap,
} from './ast.ts';
import { isStandardGlobal } from './globals.ts';
import type { Hazard } from './types.ts';

export type { Hazard } from './types.ts';

/** What hashed code reads from the process environment and from outside the source. */
export interface Reads {
  /** `process.env.NAME` and `process.env['NAME']`: hashed automatically. */
  envNames: Set<string>;
  hazards: Hazard[];
}

const TIME =
  'its result depends on the clock; pass the time as an argument (or use `ttl`) so a call says which time it means';
const RANDOM = 'its result is random, so a stored result is one draw among many; pass a seed as an argument';
const GLOBAL =
  'global state is not part of the signature; pass the value as an argument, or list it in `captures`';

/** Calls whose result differs from call to call whatever the inputs: `Date.now()`, `Math.random()`, … */
const VOLATILE_CALLS: Record<string, Record<string, string>> = {
  Date: { now: TIME },
  performance: { now: TIME },
  Math: { random: RANDOM },
  crypto: { randomUUID: RANDOM, getRandomValues: RANDOM },
};

const FILES =
  'it reads the file system; list the files it reads in `files: [...]` (globs) so their content is hashed';
const PROGRAM =
  'it runs another program, whose code is not hashed; list its script in `files: [...]`, or bump `version` when it changes';

/**
 * Built-in modules whose use means the function depends on files or code the hash cannot see:
 * module → (the export used → what to say), `*` for every export. Writing files is an effect,
 * not a dependency, so only reads count.
 */
const OUTSIDE_MODULES: Record<string, (name: string) => string | undefined> = {
  fs: (name) =>
    /^(read|createReadStream|exists|stat|lstat|access|opendir|realpath|watch|glob|cp|promises$|\*$)/.test(
      name,
    )
      ? FILES
      : undefined,
  'fs/promises': (name) =>
    /^(read|stat|lstat|access|opendir|realpath|watch|glob|open|cp|\*$)/.test(name) ? FILES : undefined,
  child_process: () => PROGRAM,
  worker_threads: (name) =>
    name === 'Worker' || name === '*' ? PROGRAM.replace('another program', 'a worker script') : undefined,
  vm: () => 'it runs code from a string, which is not hashed; bump `version` when that code changes',
};

/** What to say of code that uses `names` (export names, or `*` for the whole module) of built-in `module`. */
export function builtinHazard(module: string, names: Iterable<string>): string | undefined {
  const outside = OUTSIDE_MODULES[module.replace(/^node:/, '')];
  if (!outside) return undefined;
  for (const name of names) {
    const message = outside(name);
    if (message) return `it uses \`${module}\`${name === '*' ? '' : ` (\`${name}\`)`}: ${message}`;
  }
  return undefined;
}

/** The offset of the first use of variable `name` in `node`, for a message's line. */
export function firstUse(node: AstNode, name: string): number {
  let found = node.start;
  const visit = (current: AstNode): boolean => {
    if (current.type === 'Identifier' && current.name === name) {
      found = current.start;
      return true;
    }
    for (const child of children(current)) if (visit(child)) return true;
    return false;
  };
  visit(node);
  return found;
}

/** The 1-based line of `offset` in `source`. */
export function lineOf(source: string, offset: number): number {
  let line = 1;
  for (let i = source.indexOf('\n'); i !== -1 && i < offset; i = source.indexOf('\n', i + 1)) line++;
  return line;
}

/** Text that may hold an `import(…)` or `require(…)` with a literal specifier. */
export const LOADS = /\bimport\s*\(|\brequire\b/;

/** Text that may hold what `readsOf` looks for: the names of its checks, or a global outside the standard ones. */
const READS =
  /\b(process|Date|Math|performance|crypto|eval|Function|require|import|globalThis|global|window|self)\b/;

/** Whether code with this text and these free global names can read anything `readsOf` reports. */
export function mayRead(text: string, globals: ReadonlySet<string>): boolean {
  for (const name of globals) if (!isStandardGlobal(name)) return true;
  return READS.test(text);
}

/**
 * What `node` (a hashed declaration of `module`) reads that its code does not show: env vars (hashed),
 * clocks, randomness, globals, `eval`, and module specifiers computed at run time (hazards).
 * `isGlobal(name)` says whether a name is free in the whole module (not a binding of it).
 */
export function readsOf(node: AstNode, module: ParsedModule, isGlobal: (name: string) => boolean): Reads {
  const reads: Reads = { envNames: new Set(), hazards: [] };
  const hazard = (at: AstNode, message: string) =>
    reads.hazards.push({ where: `${module.file}:${lineOf(module.source, at.start)}`, message });

  const visit = (current: AstNode): void => {
    const n = unwrap(current);
    switch (n.type) {
      case 'MemberExpression': {
        const object = unwrap(n.object);
        if (isProcessEnv(object, isGlobal)) {
          const name = staticKey(n);
          if (name !== undefined) reads.envNames.add(name);
          else
            hazard(
              n,
              'it reads `process.env[…]` with a name computed at run time; list the variables in `env: [...]` so their values are hashed',
            );
        } else if (object.type === 'Identifier' && isGlobal(object.name) && isGlobalObject(object.name)) {
          const name = staticKey(n);
          if (name === undefined || !isStandardGlobal(name))
            hazard(n, `it reads \`${object.name}.${name ?? '[…]'}\`: ${GLOBAL}`);
        }
        break;
      }
      case 'CallExpression': {
        const callee = unwrap(n.callee);
        if (callee.type === 'MemberExpression') {
          const object = unwrap(callee.object);
          const method = staticKey(callee);
          const table = object.type === 'Identifier' && isGlobal(object.name) && VOLATILE_CALLS[object.name];
          if (table && method && table[method])
            hazard(n, `it calls \`${object.name}.${method}()\`: ${table[method]}`);
        } else if (callee.type === 'Identifier' && isGlobal(callee.name)) {
          if (callee.name === 'eval' || callee.name === 'Function')
            hazard(
              n,
              `it calls \`${callee.name}()\` on a string, whose code is not hashed; bump \`version\` when that code changes`,
            );
          else if (callee.name === 'require' && literalString(n.arguments[0]) === undefined)
            hazard(
              n,
              'it `require()`s a module named at run time, which is not hashed; use a literal specifier',
            );
        }
        break;
      }
      case 'NewExpression': {
        const callee = unwrap(n.callee);
        if (callee.type === 'Identifier' && isGlobal(callee.name)) {
          if (callee.name === 'Date' && n.arguments.length === 0)
            hazard(n, `it calls \`new Date()\`: ${TIME}`);
          if (callee.name === 'Function')
            hazard(
              n,
              'it builds a function from a string, whose code is not hashed; bump `version` when that code changes',
            );
        }
        break;
      }
      case 'ImportExpression':
        if (literalString(n.source) === undefined)
          hazard(
            n,
            'it `import()`s a module named at run time, which is not hashed; use a literal specifier',
          );
        break;
      case 'Identifier':
        if (isGlobal(n.name) && !isStandardGlobal(n.name))
          hazard(n, `it reads the global \`${n.name}\`: ${GLOBAL}`);
        return;
    }
    for (const child of children(n)) {
      // `obj.prop` names a property, not a variable.
      if (n.type === 'MemberExpression' && child === n.property && !n.computed) continue;
      if (
        (n.type === 'Property' || n.type === 'MethodDefinition' || n.type === 'PropertyDefinition') &&
        child === n.key &&
        !n.computed
      )
        continue;
      visit(child);
    }
  };
  visit(node);
  return reads;
}

/**
 * The statements of `module` that change the module binding `name` after its declaration: at the
 * top level (`registry.set(…)`, `X.prototype.m = …`, `Object.assign(CONFIG, …)`) or, for a `let`,
 * a reassignment anywhere. Top-level statements are hashed with the binding; the rest are hazards.
 */
export function mutationsOf(
  module: ParsedModule,
  name: string,
  isLet: boolean,
): { statements: AstNode[]; elsewhere: AstNode[] } {
  const statements: AstNode[] = [];
  const elsewhere: AstNode[] = [];
  const visit = (node: AstNode, topStatement: AstNode | undefined, inFunction: boolean): void => {
    const n = unwrap(node);
    if (mutates(n, name, isLet)) {
      if (!inFunction && topStatement) statements.push(topStatement);
      else if (isLet || !inFunction) elsewhere.push(n);
    }
    const nested = inFunction || isFunctionNode(n);
    for (const child of children(n)) visit(child, topStatement, nested);
  };
  for (const statement of module.program.body as AstNode[]) {
    if (statement.type === 'ExpressionStatement') visit(statement, statement, false);
    else if (isLet) visit(statement, undefined, true);
  }
  return { statements: [...new Set(statements)], elsewhere };
}

const MUTATING_METHODS = new Set([
  'set',
  'add',
  'delete',
  'clear',
  'push',
  'pop',
  'shift',
  'unshift',
  'splice',
  'sort',
  'reverse',
  'fill',
  'copyWithin',
]);

function mutates(node: AstNode, name: string, isLet: boolean): boolean {
  if (node.type === 'AssignmentExpression' || node.type === 'UpdateExpression') {
    const target = unwrap(node.type === 'AssignmentExpression' ? node.left : node.argument);
    if (target.type === 'Identifier') return isLet && target.name === name;
    return baseName(target) === name;
  }
  if (node.type === 'CallExpression') {
    const callee = unwrap(node.callee);
    if (callee.type !== 'MemberExpression') return false;
    const object = unwrap(callee.object);
    const method = staticKey(callee);
    if (method && MUTATING_METHODS.has(method) && baseName(object) === name) return true;
    // Object.assign(CONFIG, …), Object.defineProperty(X.prototype, …), Reflect.set(X, …)
    if (object.type === 'Identifier' && (object.name === 'Object' || object.name === 'Reflect')) {
      const first = node.arguments[0];
      return first !== undefined && baseName(unwrap(first)) === name;
    }
  }
  return false;
}

/** `a.b[c].d` → `a`. */
function baseName(node: AstNode): string | undefined {
  let current = node;
  while (current.type === 'MemberExpression') current = unwrap(current.object);
  return current.type === 'Identifier' ? current.name : undefined;
}

function isProcessEnv(node: AstNode, isGlobal: (name: string) => boolean): boolean {
  if (node.type !== 'MemberExpression' || staticKey(node) !== 'env') return false;
  const object = unwrap(node.object);
  return object.type === 'Identifier' && object.name === 'process' && isGlobal('process');
}

function isGlobalObject(name: string): boolean {
  return name === 'globalThis' || name === 'global' || name === 'window' || name === 'self';
}

/** The first line of a statement's source, shortened: enough to recognise it in a message. */
export function excerpt(module: ParsedModule, node: AstNode): string {
  const line = module.source.slice(node.start, node.end).split('\n')[0]!.trim();
  return line.length > 60 ? `${line.slice(0, 57)}…` : line;
}

/** Each hazard once: the same line and message reached through two paths is said once. */
export function dedupe(hazards: Hazard[]): Hazard[] {
  const seen = new Set<string>();
  return hazards.filter((h) => {
    const key = `${h.where}\0${h.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
