import { type AstNode, children, isFunctionNode, isTypeOnly, unwrap } from './ast.ts';

/** A name declared in a scope, and the node that declares it. */
export interface Binding {
  name: string;
  kind: 'var' | 'let' | 'const' | 'function' | 'class' | 'param' | 'import' | 'catch' | 'enum' | 'self';
  /** The declaring node: a VariableDeclarator, FunctionDeclaration, ClassDeclaration, import specifier, … */
  node: AstNode;
  /** For imports: the module specifier, and the imported name (`default`, `*` or an export name). */
  source?: string;
  imported?: string;
}

/** The names a function (or declaration) reads without declaring them, and whether it reads `this`. */
export interface FreeReferences {
  names: Set<string>;
  usesThis: boolean;
}

const SCOPE_TYPES = new Set([
  'Program',
  'FunctionDeclaration',
  'FunctionExpression',
  'ArrowFunctionExpression',
  'BlockStatement',
  'StaticBlock',
  'SwitchStatement',
  'ForStatement',
  'ForInStatement',
  'ForOfStatement',
  'CatchClause',
  'ClassDeclaration',
  'ClassExpression',
]);

export const createsScope = (node: AstNode): boolean => SCOPE_TYPES.has(node.type);

const bindingCache = new WeakMap<AstNode, Map<string, Binding>>();

/** The names a scope node declares directly (var declarations hoisted to their function or program). */
export function bindingsOf(scope: AstNode): Map<string, Binding> {
  let bindings = bindingCache.get(scope);
  if (!bindings) {
    bindings = new Map();
    collectBindings(scope, bindings);
    bindingCache.set(scope, bindings);
  }
  return bindings;
}

function collectBindings(scope: AstNode, into: Map<string, Binding>): void {
  const add = (name: string, kind: Binding['kind'], node: AstNode, extra?: Partial<Binding>) =>
    into.set(name, { name, kind, node, ...extra });
  switch (scope.type) {
    case 'Program':
      hoistVars(scope.body, add);
      declareLexical(scope.body, add, true);
      break;
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      if (scope.type === 'FunctionExpression' && scope.id) add(scope.id.name, 'self', scope);
      for (const param of scope.params) {
        for (const name of patternNames(param)) add(name, 'param', param);
      }
      if (scope.body.type === 'BlockStatement') hoistVars(scope.body.body, add);
      break;
    case 'BlockStatement':
    case 'StaticBlock':
      declareLexical(scope.body, add, false);
      break;
    case 'SwitchStatement':
      for (const switchCase of scope.cases) declareLexical(switchCase.consequent, add, false);
      break;
    case 'ForStatement':
      if (scope.init?.type === 'VariableDeclaration') declareLexical([scope.init], add, false);
      break;
    case 'ForInStatement':
    case 'ForOfStatement':
      if (scope.left.type === 'VariableDeclaration') declareLexical([scope.left], add, false);
      break;
    case 'CatchClause':
      if (scope.param) for (const name of patternNames(scope.param)) add(name, 'catch', scope);
      break;
    case 'ClassDeclaration':
    case 'ClassExpression':
      if (scope.id) add(scope.id.name, 'self', scope);
      break;
  }
}

type Add = (name: string, kind: Binding['kind'], node: AstNode, extra?: Partial<Binding>) => void;

/** `var` declarations anywhere in a body (not inside nested functions), and top-level function declarations. */
function hoistVars(statements: AstNode[], add: Add): void {
  const visit = (node: AstNode): void => {
    if (isFunctionNode(node) || node.type === 'ClassDeclaration' || node.type === 'ClassExpression') return;
    if (node.type === 'VariableDeclaration' && node.kind === 'var') {
      for (const declarator of node.declarations) {
        for (const name of patternNames(declarator.id)) add(name, 'var', declarator);
      }
    }
    for (const child of children(node)) visit(child);
  };
  for (const statement of statements) visit(statement);
}

function declareLexical(statements: AstNode[], add: Add, isProgram: boolean): void {
  for (let statement of statements) {
    if (isTypeOnly(statement)) continue;
    if (
      isProgram &&
      (statement.type === 'ExportNamedDeclaration' || statement.type === 'ExportDefaultDeclaration')
    ) {
      if (!statement.declaration || isTypeOnly(statement.declaration)) continue;
      statement = statement.declaration;
    }
    switch (statement.type) {
      case 'VariableDeclaration':
        if (statement.kind === 'var') break;
        for (const declarator of statement.declarations) {
          for (const name of patternNames(declarator.id))
            add(name, statement.kind === 'const' ? 'const' : 'let', declarator);
        }
        break;
      case 'FunctionDeclaration':
        if (statement.id) add(statement.id.name, 'function', statement);
        break;
      case 'ClassDeclaration':
        if (statement.id) add(statement.id.name, 'class', statement);
        break;
      case 'TSEnumDeclaration':
      case 'TSModuleDeclaration':
        if (statement.id?.type === 'Identifier') add(statement.id.name, 'enum', statement);
        break;
      case 'ImportDeclaration':
        if (!isProgram) break;
        for (const specifier of statement.specifiers) {
          if (isTypeOnly(specifier)) continue;
          const imported =
            specifier.type === 'ImportDefaultSpecifier'
              ? 'default'
              : specifier.type === 'ImportNamespaceSpecifier'
                ? '*'
                : (specifier.imported.name ?? specifier.imported.value);
          add(specifier.local.name, 'import', statement, { source: statement.source.value, imported });
        }
        break;
    }
  }
}

/** The names a binding pattern declares: `{ a, b: [c, ...d] = x }` → a, c, d. */
function patternNames(pattern: AstNode | null): string[] {
  if (!pattern) return [];
  switch (pattern.type) {
    case 'Identifier':
      return [pattern.name];
    case 'ObjectPattern':
      return pattern.properties.flatMap((p: AstNode) =>
        patternNames(p.type === 'RestElement' ? p.argument : p.value),
      );
    case 'ArrayPattern':
      return pattern.elements.flatMap((e: AstNode | null) => patternNames(e));
    case 'RestElement':
      return patternNames(pattern.argument);
    case 'AssignmentPattern':
      return patternNames(pattern.left);
    case 'TSParameterProperty':
      return patternNames(pattern.parameter);
    default:
      return [];
  }
}

/**
 * Every name `root` reads that is not declared inside it, and whether it reads `this` (outside
 * nested non-arrow functions, which have their own).
 */
export function freeReferences(root: AstNode): FreeReferences {
  const names = new Set<string>();
  let usesThis = false;
  const scopes: Map<string, Binding>[] = [];

  const reference = (name: string) => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(name)) return;
    names.add(name);
  };

  const visitPattern = (pattern: AstNode | null, declares: boolean, thisDepth: number): void => {
    if (!pattern) return;
    pattern = unwrap(pattern);
    switch (pattern.type) {
      case 'Identifier':
        if (!declares) reference(pattern.name);
        return;
      case 'ObjectPattern':
        for (const property of pattern.properties) {
          if (property.type === 'RestElement') visitPattern(property.argument, declares, thisDepth);
          else {
            if (property.computed) visit(property.key, thisDepth);
            visitPattern(property.value, declares, thisDepth);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of pattern.elements) visitPattern(element, declares, thisDepth);
        return;
      case 'RestElement':
        visitPattern(pattern.argument, declares, thisDepth);
        return;
      case 'AssignmentPattern':
        visitPattern(pattern.left, declares, thisDepth);
        visit(pattern.right, thisDepth);
        return;
      case 'TSParameterProperty':
        visitPattern(pattern.parameter, declares, thisDepth);
        return;
      default:
        visit(pattern, thisDepth);
    }
  };

  const visitChildren = (node: AstNode, thisDepth: number) => {
    for (const child of children(node)) visit(child, thisDepth);
  };

  // thisDepth counts the non-arrow functions entered below root: `this` belongs to root only at 0.
  const visit = (node: AstNode, thisDepth: number): void => {
    if (isTypeOnly(node)) return;
    node = unwrap(node);
    const scoped = createsScope(node);
    if (scoped) scopes.push(bindingsOf(node));
    try {
      visitNode(node, thisDepth);
    } finally {
      if (scoped) scopes.pop();
    }
  };

  const visitNode = (node: AstNode, thisDepth: number): void => {
    switch (node.type) {
      case 'Identifier':
        reference(node.name);
        return;
      case 'ThisExpression':
      case 'Super':
        if (thisDepth === 0) usesThis = true;
        return;
      case 'MemberExpression':
        visit(node.object, thisDepth);
        if (node.computed) visit(node.property, thisDepth);
        return;
      case 'Property':
        if (node.computed) visit(node.key, thisDepth);
        visit(node.value, thisDepth);
        return;
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'AccessorProperty':
        for (const decorator of node.decorators ?? []) visit(decorator, thisDepth);
        if (node.computed) visit(node.key, thisDepth);
        // A field initializer runs with the instance as `this`, like a method body.
        if (node.value) visit(node.value, node.type === 'MethodDefinition' ? thisDepth : thisDepth + 1);
        return;
      case 'LabeledStatement':
        visit(node.body, thisDepth);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
        return;
      case 'ExportNamedDeclaration':
        if (node.declaration) visit(node.declaration, thisDepth);
        else if (!node.source) for (const specifier of node.specifiers) visit(specifier.local, thisDepth);
        return;
      case 'VariableDeclarator':
        visitPattern(node.id, true, thisDepth);
        if (node.init) visit(node.init, thisDepth);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression': {
        const inner = node.type === 'ArrowFunctionExpression' || node === root ? thisDepth : thisDepth + 1;
        for (const param of node.params) visitPattern(param, true, inner);
        visit(node.body, inner);
        return;
      }
      case 'ClassDeclaration':
      case 'ClassExpression':
        for (const decorator of node.decorators ?? []) visit(decorator, thisDepth);
        if (node.superClass) visit(node.superClass, thisDepth);
        visitChildren(node.body, node === root ? thisDepth : thisDepth + 1);
        return;
      case 'CatchClause':
        visitPattern(node.param, true, thisDepth);
        visit(node.body, thisDepth);
        return;
      case 'AssignmentExpression':
        visitPattern(node.left, false, thisDepth);
        visit(node.right, thisDepth);
        return;
      case 'ForInStatement':
      case 'ForOfStatement':
        if (node.left.type === 'VariableDeclaration') visit(node.left, thisDepth);
        else visitPattern(node.left, false, thisDepth);
        visit(node.right, thisDepth);
        visit(node.body, thisDepth);
        return;
      case 'TSEnumDeclaration':
        for (const member of node.members ?? node.body?.members ?? [])
          if (member.initializer) visit(member.initializer, thisDepth);
        return;
      case 'TSModuleDeclaration':
        if (node.body) visit(node.body, thisDepth);
        return;
      case 'JSXIdentifier':
        // `<Chart />` reads the variable Chart; lower-case names are intrinsic elements.
        if (/^[A-Z]/.test(node.name)) reference(node.name);
        return;
      case 'JSXAttribute':
        if (node.value) visit(node.value, thisDepth);
        return;
      case 'JSXMemberExpression':
        visit(node.object, thisDepth);
        return;
      default:
        visitChildren(node, thisDepth);
    }
  };

  visit(root, 0);
  return { names, usesThis };
}
