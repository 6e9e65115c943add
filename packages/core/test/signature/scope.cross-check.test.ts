import { readFileSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { analyze, type Scope } from 'eslint-scope';
import fc from 'fast-check';
import { parseSync, visitorKeys } from 'oxc-parser';
import { glob } from 'tinyglobby';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { type AstNode, forEachChild, isFunctionNode, parseSource } from '../../src/signature/code/ast.ts';
import { freeReferences } from '../../src/signature/code/scope.ts';

/**
 * Our scope analysis against eslint-scope, the one ESLint uses, over real code: for every function
 * of a file, the names `freeReferences` reports must be exactly the names of the references that
 * eslint-scope passes out of that function's scope (`scope.through`, from `acquire(fn)`, which for
 * a named function expression is the scope that binds its own name). Both include globals and
 * writes; neither counts `this`; `arguments` is free only in an arrow function outside any other
 * function. Classes are compared the same way.
 *
 * TypeScript files are compared with their type-stripped JavaScript (`tsc`'s transpileModule, which
 * keeps every name; esbuild renames shadowing locals and prints `undefined` as `void 0`): we analyse
 * the `.ts` tree, eslint-scope the stripped one, and the nth function of one is the nth of the other
 * in source order. A file whose stripped code has another number of functions (enums and
 * namespaces become functions) is left out and counted.
 *
 * Left out because eslint-scope does not resolve them statically: functions that call `eval`
 * directly (eslint-scope then passes every name out). Files that need JSX are not parsed as `.js`.
 */

const root = fileURLToPath(new URL('../../../../', import.meta.url));

interface Disagreement {
  file: string;
  line: number;
  ours: string[];
  eslintScope: string[];
}

interface FileResult {
  functions: number;
  skipped?: string;
  disagreements: Disagreement[];
}

function functionsOf(
  program: AstNode,
  walk: (node: AstNode, visit: (child: AstNode) => void) => void,
): AstNode[] {
  const found: AstNode[] = [];
  const visit = (node: AstNode): void => {
    if (isFunctionNode(node) || node.type === 'ClassDeclaration' || node.type === 'ClassExpression')
      found.push(node);
    walk(node, visit);
  };
  visit(program);
  return found.sort((a, b) => a.start - b.start);
}

function eslintWalk(node: AstNode, visit: (child: AstNode) => void): void {
  for (const key of visitorKeys[node.type] ?? []) {
    const value = node[key];
    if (Array.isArray(value)) {
      for (const item of value) if (item) visit(item);
    } else if (value && typeof value.type === 'string') visit(value);
  }
}

function callsEval(node: AstNode): boolean {
  let found = false;
  const visit = (child: AstNode): void => {
    if (child.type === 'CallExpression' && child.callee.type === 'Identifier' && child.callee.name === 'eval')
      found = true;
    if (!found) forEachChild(child, visit);
  };
  visit(node);
  return found;
}

function parseJs(code: string): { program: AstNode; sourceType: 'module' | 'script' } | undefined {
  for (const sourceType of ['module', 'script'] as const) {
    const result = parseSync('stripped.js', code, {
      lang: 'js',
      sourceType,
      preserveParens: false,
      range: true,
    });
    if (result.errors.length === 0) return { program: result.program as unknown as AstNode, sourceType };
  }
  return undefined;
}

function lineOf(source: string, offset: number): number {
  return source.slice(0, offset).split('\n').length;
}

function crossCheck(file: string): FileResult {
  const source = readFileSync(file, 'utf8');
  let ours: AstNode;
  try {
    ours = parseSource(source, file);
  } catch {
    return { functions: 0, skipped: 'does not parse', disagreements: [] };
  }
  const typescript = /\.[cm]?tsx?$/.test(file);
  const stripped = typescript
    ? ts.transpileModule(source, {
        compilerOptions: {
          target: ts.ScriptTarget.ESNext,
          module: ts.ModuleKind.ESNext,
          verbatimModuleSyntax: false,
        },
      }).outputText
    : source;
  const theirs = parseJs(stripped);
  if (!theirs) return { functions: 0, skipped: 'does not parse as JavaScript', disagreements: [] };
  const manager = analyze(
    theirs.program as any,
    {
      ecmaVersion: 2025 as any,
      sourceType: theirs.sourceType,
      childVisitorKeys: visitorKeys,
      fallback: 'iteration',
    } as any,
  );
  const ourFunctions = functionsOf(ours, forEachChild);
  const theirFunctions = functionsOf(theirs.program, eslintWalk);
  if (ourFunctions.length !== theirFunctions.length)
    return { functions: 0, skipped: 'stripping changed the functions', disagreements: [] };
  const disagreements: Disagreement[] = [];
  let functions = 0;
  for (const [index, node] of ourFunctions.entries()) {
    if (callsEval(node)) continue;
    const scope = manager.acquire(theirFunctions[index] as any) as Scope | null;
    if (!scope) continue;
    functions++;
    const expected = [...new Set(scope.through.map((reference) => reference.identifier.name))].sort();
    const actual = [...freeReferences(node).names].sort();
    if (expected.join() !== actual.join())
      disagreements.push({ file, line: lineOf(source, node.start), ours: actual, eslintScope: expected });
  }
  return { functions, disagreements };
}

async function corpus(): Promise<{ packages: string[]; own: string[] }> {
  const packages = (
    await glob(['node_modules/.pnpm/*/node_modules/**/*.{js,mjs}'], {
      cwd: root,
      absolute: true,
      followSymbolicLinks: false,
    })
  )
    .filter((file) => statSync(file).size < 200_000)
    .sort();
  const own = (
    await glob(['packages/*/{src,test}/**/*.ts', 'bench/*.ts', 'test/**/*.ts', 'examples/**/*.ts'], {
      cwd: root,
      absolute: true,
      ignore: ['**/node_modules/**', '**/*.d.ts'],
    })
  ).sort();
  return { packages, own };
}

test('free references agree with eslint-scope on 300 files of node_modules and on our own sources', async () => {
  const { packages, own } = await corpus();
  expect(packages.length).toBeGreaterThan(300);
  expect(own.length).toBeGreaterThan(50);
  const results: FileResult[] = [];
  fc.assert(
    fc.property(fc.constantFrom(...packages), (file) => {
      results.push(crossCheck(file));
    }),
    { numRuns: 300, seed: 13 },
  );
  for (const file of own) results.push(crossCheck(file));

  const compared = results.reduce((sum, result) => sum + result.functions, 0);
  const skipped = results.filter((result) => result.skipped).length;
  expect(results.flatMap((result) => result.disagreements).slice(0, 20)).toEqual([]);
  expect(compared).toBeGreaterThan(5_000);
  expect(skipped).toBeLessThan(results.length / 10);
}, 60_000);
