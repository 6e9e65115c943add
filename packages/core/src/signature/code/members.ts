import { type AstNode, children, staticKey, unwrap } from './ast.ts';

/** How a function uses `this` and `super`: the members it names, or `whole` when it uses them otherwise. */
export interface ThisUse {
  /** `this.x`, `this.#x`, `this['x']`. */
  members: Set<string>;
  /** `super.x`, and `constructor` for `super(…)`. */
  superMembers: Set<string>;
  /** `this` passed on, returned, or indexed by a computed key: every member counts. */
  whole: boolean;
}

/** The members of its own class a function (a method, accessor or field initializer) reaches through `this`/`super`. */
export function thisUse(fn: AstNode): ThisUse {
  const use: ThisUse = { members: new Set(), superMembers: new Set(), whole: false };
  const visit = (node: AstNode, parent: AstNode | undefined): void => {
    const n = unwrap(node);
    // A nested function or class has a `this` of its own; an arrow shares its parent's.
    if (n !== fn && (n.type === 'FunctionExpression' || n.type === 'FunctionDeclaration')) return;
    if (n.type === 'ClassDeclaration' || n.type === 'ClassExpression') {
      if (n.superClass) visit(n.superClass, n);
      return;
    }
    if (n.type === 'MemberExpression') {
      const object = unwrap(n.object);
      if (object.type === 'ThisExpression' || object.type === 'Super') {
        const name = staticKey(n);
        const into = object.type === 'Super' ? use.superMembers : use.members;
        if (name === undefined) use.whole = true;
        else into.add(name);
        if (n.computed) visit(n.property, n);
        return;
      }
    }
    if (n.type === 'Super' && parent?.type === 'CallExpression') use.superMembers.add('constructor');
    else if (n.type === 'ThisExpression' || n.type === 'Super') use.whole = true;
    for (const child of children(n)) visit(child, n);
  };
  visit(fn, undefined);
  return use;
}

/** The class members named `name` (methods, accessors, fields; static or not), in source order. */
export function membersNamed(classNode: AstNode, name: string): AstNode[] {
  return (classNode.body.body as AstNode[]).filter((member) => memberName(member) === name);
}

/** `m() {}` → m; `#m() {}` → #m; `['m']() {}` → m; `constructor` for the constructor; undefined for static blocks and computed keys. */
export function memberName(member: AstNode): string | undefined {
  if (!member.key) return undefined;
  const key = unwrap(member.key);
  if (key.type === 'PrivateIdentifier') return `#${key.name}`;
  if (!member.computed && key.type === 'Identifier') return key.name;
  if (key.type === 'Literal') return String(key.value);
  return undefined;
}

/** The class a member belongs to, given the path from the program to a function inside it: [class, member] or undefined. */
export function enclosingClass(
  path: readonly AstNode[],
): { classNode: AstNode; member: AstNode; index: number } | undefined {
  for (let i = path.length - 1; i >= 2; i--) {
    const node = path[i]!;
    if (node.type === 'ClassBody') {
      const member = path[i + 1];
      const classNode = path[i - 1]!;
      if (!member) return undefined;
      return { classNode, member, index: i - 1 };
    }
    // `this` inside a nested non-arrow function is that function's own.
    if (i < path.length - 1 && (node.type === 'FunctionExpression' || node.type === 'FunctionDeclaration')) {
      const parent = path[i - 1];
      const isMethodValue =
        parent?.type === 'MethodDefinition' ||
        parent?.type === 'Property' ||
        parent?.type === 'TSAbstractMethodDefinition';
      if (!isMethodValue) return undefined;
    }
  }
  return undefined;
}
