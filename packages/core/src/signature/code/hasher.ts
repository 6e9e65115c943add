import { readFileSync } from 'node:fs';
import { hash } from '../../util/index.ts';
import { type AstNode, type ParsedModule, unwrap } from './ast.ts';
import { CodeRecord } from './code-record.ts';
import { builtinHazard, excerpt, firstUse, LOADS, lineOf, mayRead, mutationsOf, readsOf } from './hazards.ts';
import { reassignmentOf, showsItsValue } from './locals.ts';
import { lookup, pathTo } from './locate.ts';
import { enclosingClass, memberName, membersNamed, thisUse } from './members.ts';
import {
  declarationsNamed,
  exportOf,
  type ImportTarget,
  importEqualsTarget,
  importsOf,
  importTarget,
  loadsOf,
  moduleAt,
  namespaceUse,
} from './modules.ts';
import { normalize as normalizeOf } from './normalize.ts';
import { type Binding, freeReferences } from './scope.ts';

export type { PackageUse, StaticCode } from './types.ts';

/**
 * Walks a function's code and everything it reaches in project source — same-module declarations,
 * imports resolved as the program resolved them, class members reached through `this`/`super` —
 * and hashes each piece under a portable label (in the CodeRecord it extends).
 */
export class CodeHasher extends CodeRecord {
  private readonly visited = new Set<AstNode>();
  private readonly wholeModules = new Set<string>();

  constructor(
    rootFile: string,
    private readonly maxDepth: number,
    /** Package code is hashed by version: only what its closures capture is read. */
    private readonly followModules = true,
  ) {
    super(rootFile);
  }

  /** Hashes a located function and what it reaches; returns whether it reads `this`. */
  addRoot(label: string, node: AstNode, path: AstNode[], module: ParsedModule): boolean {
    this.noteFile(module);
    this.visited.add(node);
    this.parts.set(label, hash(normalizeOf(node)));
    const usesThis = this.addReferences(node, path, module, 0);
    this.addClassContext(node, path, module, 0);
    // A class used whole also counts what module statements add to it (`Shape.prototype.area = …`).
    if (node.type === 'ClassDeclaration' && node.id && /^(Program|Export)/.test(path.at(-2)?.type ?? ''))
      this.addMutations({ name: node.id.name, kind: 'class', node }, module, 0);
    return usesThis;
  }

  private addReferences(node: AstNode, path: AstNode[], module: ParsedModule, depth: number): boolean {
    const { names, usesThis } = freeReferences(node);
    const globals = new Set<string>();
    for (const name of [...names].sort()) {
      const found = lookup(name, path);
      if (!found) globals.add(name);
      else if (found.scopeIndex === 0) this.addModuleBinding(found.binding, module, depth, node);
      else if (showsItsValue(found.binding)) {
        const declaration = found.binding.node;
        this.addDeclaration(`${this.label(module)}${name}~local`, declaration, module, depth);
      } else if (this.followModules || found.binding.kind !== 'import') {
        this.captured.add(name);
        const at = reassignmentOf(path[found.scopeIndex]!, name);
        if (at !== undefined) this.reassigned[name] ??= `${module.file}:${lineOf(module.source, at)}`;
      }
    }
    const isGlobal = (name: string) => globals.has(name);
    // Most declarations mention none of what these walks look for: their text says so for the price of a scan.
    const text = module.source.slice(node.start, node.end);
    if (mayRead(text, globals)) {
      const reads = readsOf(node, module, isGlobal);
      for (const name of reads.envNames) this.envNames.add(name);
      this.hazards.push(...reads.hazards);
    }
    if (this.followModules && LOADS.test(text))
      for (const load of loadsOf(node, isGlobal))
        this.addTarget(
          `${this.label(module)}${load.specifier}`,
          moduleAt(load.specifier, module, load.kind),
          module,
          depth,
          undefined,
        );
    return usesThis;
  }

  private addDeclaration(label: string, declaration: AstNode, module: ParsedModule, depth: number): void {
    if (this.visited.has(declaration)) return;
    this.visited.add(declaration);
    const path = pathTo(module.program, declaration);
    const kind = declaration.type === 'VariableDeclarator' ? `${path?.at(-2)?.kind ?? 'var'} ` : '';
    this.parts.set(label, hash(kind + normalizeOf(declaration)));
    if (!path) return;
    if (declaration.type === 'TSImportEqualsDeclaration')
      this.addImportEquals(label, declaration, path, module, depth);
    else this.addReferences(declaration, path, module, depth);
    this.addClassContext(declaration, path, module, depth);
  }

  /** A method or field's members reached through `this`, and the base class it extends (whole). */
  private addClassContext(node: AstNode, path: AstNode[], module: ParsedModule, depth: number): void {
    const owner = enclosingClass(path);
    if (!owner) return;
    const { classNode } = owner;
    const className = classNode.id?.name ?? '<class>';
    const classPath = path.slice(0, owner.index + 1);
    if (classNode.superClass && !this.visited.has(classNode.superClass)) {
      this.visited.add(classNode.superClass);
      this.addReferences(classNode.superClass, [...classPath, classNode.superClass], module, depth);
    }
    const use = thisUse(unwrap(node.value ?? node));
    if (use.whole) {
      this.addDeclaration(`${this.label(module)}${className}`, classNode, module, depth);
      return;
    }
    for (const name of use.members) {
      for (const member of membersNamed(classNode, name)) {
        const label = `${this.label(module)}${className}.${memberName(member) ?? name}${member.static ? '~static' : ''}`;
        this.addDeclaration(label, member, module, depth);
      }
    }
  }

  private addModuleBinding(
    binding: Binding,
    module: ParsedModule,
    depth: number,
    referrer: AstNode | undefined,
  ): void {
    if (binding.kind === 'import') {
      const label = `${this.label(module)}${binding.source}#${binding.imported}`;
      const target = importTarget(binding, module);
      if (target.kind === 'builtin') this.addBuiltin(target.name, binding, module, referrer);
      else if (!this.followModules) {
        if (target.kind === 'package')
          this.packages.set(target.name, { fromFile: module.file, dir: target.dir });
      } else {
        const namespace = binding.imported === '*' ? { referrer, name: binding.name } : undefined;
        this.addTarget(label, target, module, depth, namespace);
      }
      return;
    }
    if (!this.followModules) return;
    const declarations = declarationsNamed(module, binding.name, binding.node);
    declarations.forEach((declaration, i) => {
      const label = `${this.label(module)}${binding.name}${i === 0 ? '' : `~${i + 1}`}`;
      this.addDeclaration(label, declaration, module, depth);
    });
    this.addMutations(binding, module, depth);
  }

  /** Top-level statements that change a module binding are part of its value; changes made elsewhere are hazards. */
  private addMutations(binding: Binding, module: ParsedModule, depth: number): void {
    const isLet = binding.kind === 'let' || binding.kind === 'var';
    const { statements, elsewhere } = mutationsOf(module, binding.name, isLet);
    statements.forEach((statement, i) => {
      this.addDeclaration(`${this.label(module)}${binding.name}~changed${i + 1}`, statement, module, depth);
      this.hazards.push({
        where: `${module.file}:${lineOf(module.source, statement.start)}`,
        message: `\`${binding.name}\` is changed by this module-level statement (\`${excerpt(module, statement)}\`); memoflow hashes the statement, but not what other modules do to \`${binding.name}\` before the call: keep what the function reads in its arguments or its own module`,
      });
    });
    for (const at of elsewhere) {
      this.hazards.push({
        where: `${module.file}:${lineOf(module.source, at.start)}`,
        message: `\`${binding.name}\` is changed at run time here, so the value the function reads is not the one its source shows; pass it as an argument instead`,
      });
    }
  }

  private addTarget(
    label: string,
    target: ImportTarget,
    module: ParsedModule,
    depth: number,
    namespace: { referrer: AstNode | undefined; name: string } | undefined,
  ): void {
    switch (target.kind) {
      case 'builtin': {
        const message = builtinHazard(target.name, ['*']);
        if (message) this.hazards.push({ where: module.file, message });
        return;
      }
      case 'package':
        this.packages.set(target.name, { fromFile: module.file, dir: target.dir });
        return;
      case 'unresolved':
        this.parts.set(label, hash(`unresolved:${target.specifier}`));
        this.hazards.push({
          where: module.file,
          message: `its import \`${target.specifier}\` could not be resolved (${target.reason}), so that code is not hashed`,
        });
        return;
    }
    if (depth >= this.maxDepth) {
      this.cut.push(label);
      this.parts.set(label, hash(`cut:${label}`));
      return;
    }
    if (target.kind === 'json') {
      const text = readFileSync(target.file, 'utf8');
      this.files[target.file] = hash(text);
      this.parts.set(`${this.labelOfFile(target.file)}#json`, hash(JSON.stringify(JSON.parse(text))));
      return;
    }
    this.noteFile(target.module);
    if (target.kind === 'binding') {
      this.addModuleBinding(target.binding, target.module, depth + 1, undefined);
      return;
    }
    const use = namespace?.referrer ? namespaceUse(namespace.referrer, namespace.name) : 'whole';
    if (use === 'whole') {
      this.addWholeModule(target.module, depth + 1);
      return;
    }
    for (const member of [...use].sort()) {
      const memberTarget = exportTargetOrWhole(target.module, member);
      this.addTarget(`${this.label(target.module)}${member}`, memberTarget, target.module, depth, undefined);
    }
  }

  /** A built-in module's export the code uses: nothing to hash, but reading files or running programs is a hazard. */
  private addBuiltin(
    name: string,
    binding: Binding,
    module: ParsedModule,
    referrer: AstNode | undefined,
  ): void {
    const whole = binding.imported === '*' || binding.imported === 'default';
    const use = whole && referrer ? namespaceUse(referrer, binding.name) : whole ? 'whole' : undefined;
    const names = use === undefined ? [binding.imported!] : use === 'whole' ? ['*'] : [...use];
    const message = builtinHazard(name, names);
    if (!message) return;
    const at = referrer ? firstUse(referrer, binding.name) : binding.node.start;
    this.hazards.push({ where: `${module.file}:${lineOf(module.source, at)}`, message });
  }

  /** A module used whole: its normalized text, and every module it loads. */
  private addWholeModule(module: ParsedModule, depth: number): void {
    if (this.wholeModules.has(module.file)) return;
    this.wholeModules.add(module.file);
    this.noteFile(module);
    this.parts.set(`${this.label(module)}*`, hash(normalizeOf(module.program)));
    const loads = [...importsOf(module.program), ...loadsOf(module.program, () => true)];
    for (const load of loads) {
      const target = moduleAt(load.specifier, module, load.kind);
      if (target.kind === 'module') {
        if (depth >= this.maxDepth) this.cut.push(`${this.label(module)}${load.specifier}`);
        else this.addWholeModule(target.module, depth + 1);
      } else this.addTarget(`${this.label(module)}${load.specifier}`, target, module, depth, undefined);
    }
  }

  private addImportEquals(
    label: string,
    declaration: AstNode,
    path: AstNode[],
    module: ParsedModule,
    depth: number,
  ): void {
    const target = importEqualsTarget(declaration);
    if (!target) return;
    if ('specifier' in target)
      this.addTarget(label, moduleAt(target.specifier, module, 'require'), module, depth, undefined);
    else this.addReferences(target.entity, [...path, target.entity], module, depth);
  }
}

function exportTargetOrWhole(module: ParsedModule, member: string): ImportTarget {
  return exportOf(module, member) ?? { kind: 'module', module };
}
