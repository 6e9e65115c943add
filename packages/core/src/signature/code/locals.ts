import { unwrap } from './ast.ts';
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
