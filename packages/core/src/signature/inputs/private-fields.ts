/**
 * Which `#private` instance fields a class declares. The input hasher cannot read them, so an
 * instance of such a class is refused unless its class implements the hash protocol.
 */
import { oxc } from '../code/parse.ts';

const declared = new WeakMap<Function, string | undefined>();
const functionToString = Function.prototype.toString;

/**
 * The first `#name` instance field declared by `ctor` or a class it extends, or undefined.
 * Found by parsing each class's source (its toString()), so `'#x'` in a string or comment does not count.
 */
export function privateFieldOf(ctor: Function): string | undefined {
  if (declared.has(ctor)) return declared.get(ctor);
  let field: string | undefined;
  for (
    let c: unknown = ctor;
    typeof c === 'function' && c !== Function.prototype;
    c = Object.getPrototypeOf(c)
  ) {
    field = ownPrivateField(functionToString.call(c));
    if (field !== undefined) break;
  }
  declared.set(ctor, field);
  return field;
}

function ownPrivateField(source: string): string | undefined {
  // Most classes have no `#` at all: no parse needed.
  if (!source.includes('#') || !source.startsWith('class')) return undefined;
  const { program, errors } = oxc().parseSync('class.js', `(${source})`);
  const statement = program.body[0];
  let node: any = statement?.type === 'ExpressionStatement' ? statement.expression : undefined;
  if (node?.type === 'ParenthesizedExpression') node = node.expression;
  if (errors.length > 0 || node?.type !== 'ClassExpression') {
    // Unparseable source: a `#name` anywhere is taken for a field, so nothing is silently left out.
    return /#[A-Za-z_$][\w$]*/.exec(source)?.[0];
  }
  for (const member of node.body.body) {
    const isField = member.type === 'PropertyDefinition' || member.type === 'AccessorProperty';
    if (isField && !member.static && member.key.type === 'PrivateIdentifier') return `#${member.key.name}`;
  }
  return undefined;
}
