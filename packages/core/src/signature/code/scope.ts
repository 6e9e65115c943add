import { type AstNode, forEachChild, isTypeOnly, unwrap } from './ast.ts';
import { type Binding, bindingsOf, createsScope } from './bindings.ts';

export { type Binding, bindingsOf, createsScope } from './bindings.ts';

/** The names a function (or declaration) reads without declaring them, and whether it reads `this`. */
export interface FreeReferences {
  names: Set<string>;
  usesThis: boolean;
}

/**
 * Every name `root` reads or writes that is not declared inside it (globals included), and
 * whether it reads `this` or `super` outside nested non-arrow functions, which have their own.
 * `arguments` counts only where no non-arrow function inside `root` (or `root` itself) binds it.
 * Type positions are not read: a name used only as a type is not a reference.
 */
export function freeReferences(root: AstNode): FreeReferences {
  const names = new Set<string>();
  let usesThis = false;
  const scopes: Map<string, Binding>[] = [];
  // How many non-arrow functions (and class bodies) below root enclose the current node: `this`
  // belongs to root only at 0. `argumentsBound`: a non-arrow function at or below root binds `arguments`.
  let thisDepth = 0;
  let argumentsBound = false;

  const reference = (name: string): void => {
    for (let i = scopes.length - 1; i >= 0; i--) if (scopes[i]!.has(name)) return;
    if (name === 'arguments' && argumentsBound) return;
    names.add(name);
  };

  const visitPattern = (node: AstNode | null, declares: boolean): void => {
    if (!node) return;
    const pattern = unwrap(node);
    switch (pattern.type) {
      case 'Identifier':
        if (!declares) reference(pattern.name);
        for (const decorator of pattern.decorators ?? []) visit(decorator);
        return;
      case 'ObjectPattern':
        for (const property of pattern.properties) {
          if (property.type === 'RestElement') visitPattern(property.argument, declares);
          else {
            if (property.computed) visit(property.key);
            visitPattern(property.value, declares);
          }
        }
        return;
      case 'ArrayPattern':
        for (const element of pattern.elements) visitPattern(element, declares);
        return;
      case 'RestElement':
        visitPattern(pattern.argument, declares);
        return;
      case 'AssignmentPattern':
        visitPattern(pattern.left, declares);
        visit(pattern.right);
        return;
      case 'TSParameterProperty':
        for (const decorator of pattern.decorators ?? []) visit(decorator);
        visitPattern(pattern.parameter, declares);
        return;
      default:
        visit(pattern);
    }
  };

  const visit = (node: AstNode): void => {
    if (isTypeOnly(node)) return;
    const current = unwrap(node);
    if (createsScope(current)) {
      scopes.push(bindingsOf(current));
      visitNode(current);
      scopes.pop();
    } else visitNode(current);
  };

  /** Visits `body` as code that runs with its own `this` (and, for a function, its own `arguments`). */
  const visitOwnThis = (body: () => void, bindsArguments: boolean): void => {
    const outerArguments = argumentsBound;
    thisDepth++;
    if (bindsArguments) argumentsBound = true;
    body();
    thisDepth--;
    argumentsBound = outerArguments;
  };

  const visitFunction = (node: AstNode): void => {
    for (const param of node.params) if (!isTypeOnly(param)) visitPattern(param, true);
    visit(node.body);
  };

  const visitNode = (node: AstNode): void => {
    switch (node.type) {
      case 'Identifier':
        reference(node.name);
        return;
      case 'ThisExpression':
      case 'Super':
        if (thisDepth === 0) usesThis = true;
        return;
      case 'MemberExpression':
        visit(node.object);
        if (node.computed) visit(node.property);
        return;
      case 'Property':
        if (node.computed) visit(node.key);
        visit(node.value);
        return;
      case 'MethodDefinition':
      case 'PropertyDefinition':
      case 'AccessorProperty':
        for (const decorator of node.decorators) visit(decorator);
        if (node.computed) visit(node.key);
        if (!node.value) return;
        // A field initializer runs with the instance as `this`, like a method body.
        if (node.type === 'MethodDefinition') visit(node.value);
        else visitOwnThis(() => visit(node.value), false);
        return;
      case 'LabeledStatement':
        visit(node.body);
        return;
      case 'BreakStatement':
      case 'ContinueStatement':
      case 'MetaProperty':
      case 'ImportDeclaration':
      case 'ExportAllDeclaration':
      case 'PrivateIdentifier':
        return;
      case 'ExportNamedDeclaration':
        if (node.declaration) visit(node.declaration);
        else if (!node.source)
          for (const specifier of node.specifiers) if (!isTypeOnly(specifier)) visit(specifier.local);
        return;
      case 'VariableDeclarator':
        visitPattern(node.id, true);
        if (node.init) visit(node.init);
        return;
      case 'ArrowFunctionExpression':
        visitFunction(node);
        return;
      case 'FunctionDeclaration':
      case 'FunctionExpression':
        if (node === root) {
          argumentsBound = true;
          visitFunction(node);
        } else visitOwnThis(() => visitFunction(node), true);
        return;
      case 'ClassDeclaration':
      case 'ClassExpression':
        for (const decorator of node.decorators) visit(decorator);
        if (node.superClass) visit(node.superClass);
        if (node === root) forEachChild(node.body, visit);
        else visitOwnThis(() => forEachChild(node.body, visit), false);
        return;
      case 'StaticBlock':
        visitOwnThis(() => forEachChild(node, visit), false);
        return;
      case 'CatchClause':
        visitPattern(node.param, true);
        visit(node.body);
        return;
      case 'AssignmentExpression':
        visitPattern(node.left, false);
        visit(node.right);
        return;
      case 'ForInStatement':
      case 'ForOfStatement':
        if (node.left.type === 'VariableDeclaration') visit(node.left);
        else visitPattern(node.left, false);
        visit(node.right);
        visit(node.body);
        return;
      case 'TSImportEqualsDeclaration': {
        let reference = node.moduleReference;
        while (reference.type === 'TSQualifiedName') reference = reference.left;
        if (reference.type === 'Identifier') visit(reference);
        return;
      }
      case 'TSEnumDeclaration':
        for (const member of node.body.members) if (member.initializer) visit(member.initializer);
        return;
      case 'TSModuleDeclaration':
        if (node.body) visit(node.body);
        return;
      case 'JSXIdentifier':
        // `<Chart />` reads the variable Chart; lower-case names are intrinsic elements.
        if (/^[A-Z]/.test(node.name)) reference(node.name);
        return;
      case 'JSXMemberExpression': {
        // `<ui.Chart />` reads the variable ui, whatever its case.
        let object = node.object;
        while (object.type === 'JSXMemberExpression') object = object.object;
        if (object.type === 'JSXIdentifier') reference(object.name);
        else visit(object);
        return;
      }
      case 'JSXAttribute':
        if (node.value) visit(node.value);
        return;
      case 'JSXNamespacedName':
        return;
      default:
        forEachChild(node, visit);
    }
  };

  visit(root);
  return { names, usesThis };
}
