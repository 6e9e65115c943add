import type { AstNode } from './ast.ts';

/** One parameter of a memoized function, as its source declares it. */
export interface ParamInfo {
  /** The parameter's name; `{ a, b }` for a destructured object, `arg<i>` when it has none. */
  name: string;
  /** The property names a destructured object parameter reads. */
  properties?: string[];
  rest: boolean;
}

/** What a pipeline needs to know of a parameter: its name, the properties it destructures, whether it is a rest parameter. */
export function paramInfo(param: AstNode, index: number): ParamInfo {
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
