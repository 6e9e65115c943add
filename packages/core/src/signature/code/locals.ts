import { type AstNode, children, unwrap } from './ast.ts';
import type { Binding } from './scope.ts';

/** A binding in an enclosing function or block whose value its source shows: a function, a class, a literal constant. */
export function showsItsValue(binding: Binding): boolean {
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

/**
 * Where `name`, declared by `scope`, is assigned again inside it: the offset of the first such
 * assignment, or undefined. A `for (let i = …; …; i++)` update does not count: each iteration
 * has its own `i`, and a closure made in the body keeps its iteration's value. A nested
 * declaration of the same name makes the answer larger, never smaller.
 */
export function reassignmentOf(scope: AstNode, name: string): number | undefined {
  let found: number | undefined;
  const visit = (node: AstNode): void => {
    if (found !== undefined) return;
    if (node.type === 'AssignmentExpression' || node.type === 'UpdateExpression') {
      const target = unwrap(node.type === 'AssignmentExpression' ? node.left : node.argument);
      if (assigns(target, name)) {
        found = node.start;
        return;
      }
    }
    for (const child of children(node)) {
      if (scope.type === 'ForStatement' && node === scope && child === scope.update) continue;
      visit(child);
    }
  };
  visit(scope);
  return found;
}

function assigns(target: AstNode, name: string): boolean {
  if (target.type === 'Identifier') return target.name === name;
  if (target.type === 'ObjectPattern')
    return target.properties.some((p: AstNode) =>
      assigns(unwrap(p.type === 'RestElement' ? p.argument : p.value), name),
    );
  if (target.type === 'ArrayPattern')
    return target.elements.some((e: AstNode | null) => e !== null && assigns(unwrap(e), name));
  if (target.type === 'AssignmentPattern') return assigns(unwrap(target.left), name);
  if (target.type === 'RestElement') return assigns(unwrap(target.argument), name);
  return false;
}
