import { types } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { CapturedVariableError } from '../../errors.ts';
import { type Inspector, inspector, type RemoteObject, type RemoteProperty } from './inspector.ts';
import { type FunctionSite, siteOf, siteOfLoadedFile } from './source-map.ts';

export type { FunctionSite } from './source-map.ts';

/** What V8 knows of a live function. */
export type RuntimeFunction =
  | { kind: 'source'; site: FunctionSite }
  | { kind: 'bound'; target: Function; boundThis: unknown; boundArgs: unknown[] }
  | { kind: 'native' }
  | { kind: 'unknown'; reason: string };

/**
 * The value `closureValues` gives a variable in its temporal dead zone: a `let`, `const` or `class`
 * whose declaration has not run yet, or an import from a module still being evaluated in a cycle.
 */
export const TEMPORAL_DEAD_ZONE: unique symbol = Symbol('memoflow.temporalDeadZone');

interface FunctionProperties {
  location?: { scriptId: string; lineNumber: number; columnNumber: number };
  scopes?: RemoteObject;
  target?: RemoteObject;
  boundThis?: RemoteObject;
  boundArgs?: RemoteObject;
}

const known = new WeakMap<Function, RuntimeFunction>();

/**
 * What V8 knows of `fn`: where its code is (after source maps), what a bound function binds, or
 * that it is native. Cached per function. A class gives its constructor's site. Never throws: what
 * cannot be known is `{ kind: 'unknown', reason }`, the reason a sentence to show users.
 */
export function inspectFunction(fn: Function): RuntimeFunction {
  let runtime = known.get(fn);
  if (!runtime) {
    runtime = describe(fn);
    known.set(fn, runtime);
  }
  return runtime;
}

function describe(fn: Function): RuntimeFunction {
  if (types.isProxy(fn)) {
    return { kind: 'unknown', reason: "it is a Proxy, whose behaviour is its handler's" };
  }
  const session = inspector();
  if (typeof session === 'string') return { kind: 'unknown', reason: session };
  try {
    const properties = functionProperties(session, fn);
    if (properties.target) {
      const [target, boundThis, boundArgs] = session.liveValues([
        properties.target,
        properties.boundThis ?? { type: 'undefined' },
        properties.boundArgs ?? { type: 'undefined' },
      ]);
      return {
        kind: 'bound',
        target: target as Function,
        boundThis,
        boundArgs: Array.from((boundArgs as unknown[] | undefined) ?? []),
      };
    }
    const location = properties.location;
    if (!location) return { kind: 'native' };
    const code = Function.prototype.toString.call(fn);
    const url = session.scriptUrl(location.scriptId);
    const loaded = url && siteOfLoadedFile(url, location.lineNumber, location.columnNumber, code);
    if (loaded) return { kind: 'source', site: loaded };
    const script = session.script(location.scriptId);
    if (!script) {
      const reason = `V8 does not report the script its code is in (${location.scriptId})`;
      return { kind: 'unknown', reason };
    }
    const running = () => session.scriptSource(location.scriptId);
    const site = siteOf(script, location.lineNumber, location.columnNumber, code.length, running);
    return typeof site === 'string' ? { kind: 'unknown', reason: site } : { kind: 'source', site };
  } catch (error) {
    return { kind: 'unknown', reason: `inspecting it failed: ${(error as Error).message}` };
  } finally {
    releaseQuietly(session);
  }
}

/**
 * The current values of the variables `fn`'s closure holds, looked up by name innermost scope
 * first (closures, blocks, `catch`, `with`, module and script-level bindings), never in the global
 * scope. A name not found is absent from the map; a variable in its temporal dead zone maps to
 * {@link TEMPORAL_DEAD_ZONE}. Objects and functions are the live values, not copies.
 *
 * @throws {CapturedVariableError} when the inspector is unavailable, naming the reason and the fix.
 */
export function closureValues(fn: Function, names: readonly string[]): Map<string, unknown> {
  if (names.length === 0) return new Map();
  const session = inspector();
  if (typeof session === 'string') throw unreadable(fn, names, session);
  try {
    revealTemporalDeadZone(session);
    return readClosure(session, fn, names);
  } catch (error) {
    throw unreadable(fn, names, (error as Error).message);
  } finally {
    releaseQuietly(session);
  }
}

// Runs in the inspected realm on [[Scopes]], innermost first; each entry's `object` is V8's copy of
// that scope's bindings, whose getter throws a ReferenceError for a binding in its dead zone.
const readScopes = `function (names, scopes) {
  const wanted = new Set(names);
  const found = [];
  for (let index = 0; index < scopes.length && wanted.size > 0; index++) {
    const { description, object } = scopes[index];
    if (object === globalThis || description.startsWith('Global')) continue;
    if (description.startsWith('With')) {
      this.received = { within: [...wanted] };
      return;
    }
    for (const name of wanted) {
      if (!Object.prototype.hasOwnProperty.call(object, name)) continue;
      wanted.delete(name);
      try {
        found.push([name, object[name], false]);
      } catch (error) {
        if (!(error instanceof ReferenceError)) throw error;
        found.push([name, undefined, true]);
      }
    }
  }
  this.received = { found };
}`;

function readClosure(session: Inspector, fn: Function, names: readonly string[]): Map<string, unknown> {
  const { scopes } = functionProperties(session, fn);
  if (!scopes?.objectId) return new Map();
  const read = session.callWithBridge(readScopes, [{ type: 'object', value: names }, scopes]) as {
    found?: [string, unknown, boolean][];
    within?: string[];
  };
  if (read.within) {
    // A \`with\` object's names come from its prototype chain and its \`Symbol.unscopables\` too.
    throw new Error(`it is inside a \`with\` statement, whose object may hold ${read.within.join(', ')}`);
  }
  return new Map(read.found!.map(([name, value, dead]) => [name, dead ? TEMPORAL_DEAD_ZONE : value]));
}

let temporalDeadZoneVisible: boolean | undefined;

/**
 * V8 reads a binding in its temporal dead zone as `undefined` unless its debug flag
 * `--experimental-value-unavailable` is set, which changes nothing but what debuggers are told.
 * Checked on a binding of our own first, so a V8 that reports it by default is left alone.
 */
function revealTemporalDeadZone(session: Inspector): void {
  if (temporalDeadZoneVisible !== undefined) return;
  const probe = temporalDeadZoneProbe();
  const visible = () => readClosure(session, probe, ['hole']).get('hole') === TEMPORAL_DEAD_ZONE;
  temporalDeadZoneVisible = visible();
  if (!temporalDeadZoneVisible) {
    setFlagsFromString('--experimental-value-unavailable');
    temporalDeadZoneVisible = visible();
  }
}

function temporalDeadZoneProbe(): Function {
  const read = () => hole;
  if (read) return read;
  const hole = 0;
  return read;
}

function functionProperties(session: Inspector, fn: Function): FunctionProperties {
  const { internalProperties = [] } = session.post<{ internalProperties?: RemoteProperty[] }>(
    'Runtime.getProperties',
    { objectId: session.handleOf(fn), ownProperties: true },
  );
  const properties: FunctionProperties = {};
  for (const { name, value } of internalProperties) {
    if (name === '[[FunctionLocation]]') properties.location = value?.value as FunctionProperties['location'];
    else if (name === '[[Scopes]]') properties.scopes = value;
    else if (name === '[[TargetFunction]]') properties.target = value;
    else if (name === '[[BoundThis]]') properties.boundThis = value;
    else if (name === '[[BoundArgs]]') properties.boundArgs = value;
  }
  return properties;
}

function releaseQuietly(session: Inspector): void {
  try {
    session.release();
  } catch {
    // Releasing can only fail when the session is gone, and then nothing is held.
  }
}

function unreadable(fn: Function, names: readonly string[], reason: string): CapturedVariableError {
  const name = fn.name || 'anonymous';
  const list = names.map((variable) => `\`${variable}\``).join(', ');
  return new CapturedVariableError(
    name,
    names,
    `Cannot read the values of ${list}, which \`${name}\` captures: ${reason}. Pass them through \`captures: { ${names.join(', ')} }\`.`,
  );
}
