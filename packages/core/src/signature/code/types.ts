/** The shapes the code hash's modules share: the parsed AST, and a function's static analysis. */
/** An ESTree node as oxc-parser produces it (TypeScript AST shape); `start`/`end` are UTF-16 offsets. */
export interface AstNode {
  type: string;
  start: number;
  end: number;
  [key: string]: any;
}

export interface ParsedModule {
  /** Absolute path of the file. */
  file: string;
  source: string;
  program: AstNode;
}

/** A dependency the source shows but no hash can see: said to the user once per function, with its line. */
export interface Hazard {
  /** `file:line` of the code that has it. */
  where: string;
  /** What it depends on and how to make memoflow see it. */
  message: string;
}

/** A package the hashed code imports, and where from: its version and dependency closure are the env. */
export interface PackageUse {
  fromFile: string;
  dir?: string;
}

/** The static part of a function's code hash: everything its source and the project's sources show. */
export interface StaticCode {
  /** Label → hash of each piece of code: `<self>`, same-module names, `lib/x#name`, `lib/x#*` for whole modules. */
  parts: Record<string, string>;
  packages: Map<string, PackageUse>;
  /** Names bound in an enclosing function whose values only the running closure holds. */
  captured: string[];
  /** Captured names assigned again in the scope that declares them, with where. */
  reassigned: Record<string, string>;
  /** `process.env` names the code reads. */
  envNames: string[];
  hazards: Hazard[];
  /** What `dependencyDepth` left out: the labels of imports not followed. */
  cut: string[];
  /** Every source file read, with its content hash: a cached analysis holds while they are unchanged. */
  files: Record<string, string>;
}

/** One specifier resolution an analysis relied on: re-resolved to check the analysis still holds. */
export type Resolution = [specifier: string, fromFile: string, kind: 'import' | 'require', result: string];
