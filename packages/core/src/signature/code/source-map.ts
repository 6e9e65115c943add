import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import { isAbsolute } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { TraceMap } from '@jridgewell/trace-mapping';
import { onFirstUse } from '../../util/index.ts';
import type { ScriptInfo } from './inspector.ts';

/** Where a function's code is, in the file a user edits: after source maps, the original file. */
export interface FunctionSite {
  /** Absolute path of the source file (the original `.ts` when a source map leads to one that exists, else the running file). */
  file: string;
  /** 0-based UTF-16 offset into that file's text of the position V8 reports for the function (mapped). */
  offset: number;
  /** 1-based line and column of the same position, for messages. */
  line: number;
  column: number;
}

interface SourceText {
  /** The file's whole text, a byte-order mark included. */
  text: string;
  /** Its text as Node loads it: without a byte-order mark. */
  loaded: string;
  /** Where each line starts in `loaded`, by the line terminators of ECMAScript (V8 and source maps count so). */
  lineStarts: number[];
  /** The length of the byte-order mark: where `loaded` starts in `text`. */
  mark: number;
  stamp: string;
}

const texts = new Map<string, SourceText>();
const maps = new Map<string, TraceMap | string>();
// By the payload Node holds for a loaded script: a module loaded again brings a new one.
const nodeMaps = new WeakMap<object, TraceMap>();
const traceMapping = onFirstUse<typeof import('@jridgewell/trace-mapping')>('@jridgewell/trace-mapping');

/**
 * The site in the user's file of a function V8 reports at a 0-based position in a running script,
 * its code `length` characters long, or a sentence saying why there is none. A site is only given
 * when the file on disk is the code that runs; `runningSource` reads the script's text from V8 when
 * its hash cannot tell.
 */
export function siteOf(
  script: ScriptInfo,
  line: number,
  column: number,
  length: number,
  runningSource: () => string,
): FunctionSite | string {
  const running = pathOfUrl(script.url);
  if (running === undefined) return noFile(script.url);
  if (script.sourceMapURL) {
    const map = sourceMap(script);
    if (typeof map === 'string') return map;
    const mapped = mapPosition(map, line, column, length);
    if (mapped && existsSync(mapped.file)) {
      return staleOriginal(map, mapped, running) ?? site(mapped.file, mapped.line, mapped.column);
    }
    if (mapped === undefined) {
      return `its source map (${describeMap(script)}) has no mapping for line ${line + 1}, column ${column + 1} of ${running}`;
    }
  }
  const source = textOf(running);
  if (!source) return `its file ${running} cannot be read`;
  // V8 11.3 reports SHA-256 of the UTF-8 source as the hash; should another V8 hash otherwise,
  // the text itself settles it.
  if (sha256(source.loaded) !== script.hash && source.loaded !== runningSource()) {
    return `its file ${running} is not the code that runs: it changed after it was loaded, or a loader transformed it without a source map`;
  }
  return site(running, line, column);
}

/**
 * The same site as {@link siteOf}, found without V8's script list (whose first use costs tens of
 * milliseconds) when what was loaded can be proven from the file itself; undefined when it cannot,
 * and then `siteOf` decides. Proven means either
 * - Node holds the script's source map (a loader such as tsx gave one and enabled source maps),
 *   and the original file passes the same freshness check as in `siteOf`; or
 * - the file has no source map, its inode has not changed since before this process started
 *   (`ctime`, which no tool can set back), and the function's own code `code` is in it where V8
 *   says it is: so no loader rewrote it.
 */
export function siteOfLoadedFile(
  url: string,
  line: number,
  column: number,
  code: string,
): FunctionSite | undefined {
  const file = pathOfUrl(url);
  if (file === undefined) return undefined;
  let payload: unknown;
  try {
    payload = (findSourceMap(url) ?? findSourceMap(file))?.payload;
  } catch {
    return undefined;
  }
  if (payload) {
    let map = nodeMaps.get(payload as object);
    if (map === undefined) {
      map = new (traceMapping().TraceMap)(payload as never, url);
      nodeMaps.set(payload as object, map);
    }
    const mapped = mapPosition(map, line, column, code.length);
    // The same rule as siteOf's for a mapped script: the map's original text when it carries it
    // (tsx's maps do not), else modification times.
    if (!mapped || !existsSync(mapped.file) || staleOriginal(map, mapped, file) !== undefined)
      return undefined;
    const found = site(mapped.file, mapped.line, mapped.column);
    return typeof found === 'string' ? undefined : found;
  }
  const source = textOf(file);
  if (!source || source.loaded.includes('sourceMappingURL=')) return undefined;
  if (statSync(file).ctimeMs >= performance.timeOrigin) return undefined;
  const found = site(file, line, column);
  if (typeof found === 'string') return undefined;
  // V8 places a function at its name or parameters; its code starts there or a little before.
  const position = found.offset - source.mark;
  const start = source.loaded.lastIndexOf(code, position);
  return start !== -1 && start + code.length > position ? found : undefined;
}

function site(file: string, line: number, column: number): FunctionSite | string {
  const source = textOf(file);
  const lineStart = source?.lineStarts[line];
  if (lineStart === undefined) return `line ${line + 1} is past the end of ${file}`;
  return { file, offset: source!.mark + lineStart + column, line: line + 1, column: column + 1 };
}

interface MappedPosition {
  file: string;
  sourceIndex: number;
  line: number;
  column: number;
}

/**
 * The original position of the start of a function whose code is `length` characters long.
 * Transformers map tokens, and V8 reports the `(` of a method's or a `function`'s parameters, or
 * the `async` of an async arrow, which are seldom tokens of their own. Then either the mapped
 * token before it is the function's name, copied as is, so the `(` follows it in the original too;
 * or the first mapped token after it, if still within the function's code, is its own first
 * parameter or its body's `{`. Null when the position maps to no file, undefined when it has no
 * mapping.
 */
function mapPosition(
  map: TraceMap,
  line: number,
  column: number,
  length: number,
): MappedPosition | null | undefined {
  const segments = traceMapping().decodedMappings(map)[line] ?? [];
  let next = segments.findIndex((segment) => segment[0] > column);
  if (next === -1) next = segments.length;
  const before = segments[next - 1];
  const after = segments[next];
  let segment: readonly number[] | undefined;
  if (before && before.length >= 4) {
    const distance = column - before[0];
    const file = pathOfUrl(map.resolvedSources[before[1]!] ?? '');
    if (distance === 0 || (file !== undefined && followsName(file, before[2]!, before[3]!, distance))) {
      segment = [column, before[1]!, before[2]!, before[3]! + distance];
    }
  }
  if (!segment && after && after.length >= 4 && after[0] - column < length) segment = after;
  if (!segment) return undefined;
  const file = pathOfUrl(map.resolvedSources[segment[1]!] ?? '');
  if (file === undefined) return null;
  return { file, sourceIndex: segment[1]!, line: segment[2]!, column: segment[3]! };
}

function followsName(file: string, line: number, column: number, distance: number): boolean {
  const source = textOf(file);
  const start = source?.lineStarts[line];
  if (start === undefined) return false;
  const text = source!.loaded.slice(start + column, start + column + distance + 1);
  return text.length === distance + 1 && /^[#\p{ID_Continue}$\u200c\u200d]+\($/u.test(text);
}

function pathOfUrl(url: string): string | undefined {
  if (url.startsWith('file:')) return fileURLToPath(url.replace(/[?#].*$/, ''));
  return isAbsolute(url) ? url : undefined;
}

function noFile(url: string): string {
  if (url === '') return 'it was compiled from a string (eval, new Function or vm) and has no source file';
  if (url.startsWith('node:')) return `it is part of Node.js itself (${url})`;
  return `its code was loaded from ${url}, not from a file`;
}

function sourceMap(script: ScriptInfo): TraceMap | string {
  const key = script.sourceMapURL.startsWith('data:')
    ? script.sourceMapURL
    : `${script.url}\n${script.sourceMapURL}`;
  let map = maps.get(key);
  if (map === undefined) {
    map = loadMap(script);
    maps.set(key, map);
  }
  return map;
}

function loadMap(script: ScriptInfo): TraceMap | string {
  const { url, sourceMapURL } = script;
  try {
    if (sourceMapURL.startsWith('data:')) {
      const comma = sourceMapURL.indexOf(',');
      const payload = sourceMapURL.slice(comma + 1);
      const json = /;base64$/.test(sourceMapURL.slice(0, comma))
        ? Buffer.from(payload, 'base64').toString('utf8')
        : decodeURIComponent(payload);
      return new (traceMapping().TraceMap)(json, url);
    }
    const mapUrl = new URL(sourceMapURL, url.startsWith('file:') ? url : pathToFileURL(url)).href;
    const mapPath = pathOfUrl(mapUrl);
    if (mapPath === undefined) return `its source map ${mapUrl} is not a file`;
    return new (traceMapping().TraceMap)(readFileSync(mapPath, 'utf8'), mapUrl);
  } catch (error) {
    return `its source map (${describeMap(script)}) cannot be read: ${(error as Error).message}`;
  }
}

function describeMap(script: ScriptInfo): string {
  return script.sourceMapURL.startsWith('data:') ? 'inline' : script.sourceMapURL;
}

/** Why the original file may not be the source of the code that runs; undefined when it is. */
function staleOriginal(
  map: TraceMap,
  { file: original, sourceIndex }: MappedPosition,
  running: string,
): string | undefined {
  const content = map.sourcesContent?.[sourceIndex];
  const text = textOf(original)?.loaded;
  if (text === undefined) return `its source file ${original} cannot be read`;
  if (content != null) {
    return content === text ? undefined : `its source file ${original} changed after it was loaded`;
  }
  // Without the original text in the map, modification times are all there is to tell an edit
  // made after the code was produced; erring on the side of "changed" costs a recomputation at most.
  const edited = statSync(original).mtimeMs;
  if (original !== running) {
    return edited > statSync(running).mtimeMs
      ? `its source file ${original} is newer than the compiled ${running}; rebuild`
      : undefined;
  }
  return edited > performance.timeOrigin
    ? `its source file ${original} changed after this process started`
    : undefined;
}

function textOf(file: string): SourceText | undefined {
  let stamp: string;
  try {
    const stats = statSync(file);
    stamp = `${stats.mtimeMs}:${stats.size}`;
  } catch {
    return undefined;
  }
  const cached = texts.get(file);
  if (cached?.stamp === stamp) return cached;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const loaded = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const lineStarts = [0];
  for (const match of loaded.matchAll(/\r\n?|[\n\u2028\u2029]/g))
    lineStarts.push(match.index + match[0].length);
  const source = { text, loaded, lineStarts, mark: text.length - loaded.length, stamp };
  texts.set(file, source);
  return source;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
