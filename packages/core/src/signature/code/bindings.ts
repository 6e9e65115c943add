import { type AstNode, forEachChild, isTypeOnly } from './ast.ts';

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

/** True for nodes that open a scope of their own. */
export function createsScope(node: AstNode): boolean {
  switch (node.type) {
    case 'Program':
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
    case 'BlockStatement':
    case 'StaticBlock':
    case 'SwitchStatement':
    case 'ForStatement':
    case 'ForInStatement':
    case 'ForOfStatement':
    case 'CatchClause':
    case 'ClassDeclaration':
    case 'ClassExpression':
      return true;
    default:
      return false;
  }
}

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

type Add = (name: string, kind: Binding['kind'], node: AstNode, extra?: Partial<Binding>) => void;

function collectBindings(scope: AstNode, into: Map<string, Binding>): void {
  const add: Add = (name, kind, node, extra) => into.set(name, { name, kind, node, ...extra });
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
        if (isTypeOnly(param)) continue;
        for (const name of patternNames(param)) add(name, 'param', param);
      }
      if (scope.body.type === 'BlockStatement') hoistVars(scope.body.body, add);
      break;
    case 'StaticBlock':
      // A static block is a function body of its own: its `var`s stay inside it.
      hoistVars(scope.body, add);
      declareLexical(scope.body, add, false);
      break;
    case 'BlockStatement':
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

/** `var` declarations anywhere in a body, not inside nested functions, classes or static blocks. */
function hoistVars(statements: AstNode[], add: Add): void {
  const visit = (node: AstNode): void => {
    switch (node.type) {
      case 'FunctionDeclaration':
      case 'FunctionExpression':
      case 'ArrowFunctionExpression':
      case 'ClassDeclaration':
      case 'ClassExpression':
      case 'StaticBlock':
        return;
      case 'VariableDeclaration':
        if (node.kind === 'var' && !node.declare) {
          for (const declarator of node.declarations) {
            for (const name of patternNames(declarator.id)) add(name, 'var', declarator);
          }
        }
    }
    forEachChild(node, visit);
  };
  for (const statement of statements) if (!isTypeOnly(statement)) visit(statement);
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
      case 'TSImportEqualsDeclaration': {
        // `import x = require('m')` is a module import; `import x = Ns.y` an alias the source shows.
        const reference = statement.moduleReference;
        if (reference.type === 'TSExternalModuleReference')
          add(statement.id.name, 'import', statement, { source: reference.expression.value, imported: '*' });
        else add(statement.id.name, 'const', statement);
        break;
      }
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
export function patternNames(pattern: AstNode | null): string[] {
  const names: string[] = [];
  const collect = (node: AstNode | null): void => {
    if (!node) return;
    switch (node.type) {
      case 'Identifier':
        names.push(node.name);
        return;
      case 'ObjectPattern':
        for (const property of node.properties)
          collect(property.type === 'RestElement' ? property.argument : property.value);
        return;
      case 'ArrayPattern':
        for (const element of node.elements) collect(element);
        return;
      case 'RestElement':
        collect(node.argument);
        return;
      case 'AssignmentPattern':
        collect(node.left);
        return;
      case 'TSParameterProperty':
        collect(node.parameter);
        return;
    }
  };
  collect(pattern);
  return names;
}
