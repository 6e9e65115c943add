import type { Session } from 'node:inspector';

/** A value as the inspector protocol describes it (`Runtime.RemoteObject`). */
export interface RemoteObject {
  type: string;
  subtype?: string;
  value?: unknown;
  unserializableValue?: string;
  objectId?: string;
  description?: string;
}

/** One property of `Runtime.getProperties`. */
export interface RemoteProperty {
  name: string;
  value?: RemoteObject;
}

/** What `Debugger.scriptParsed` says of a script. */
export interface ScriptInfo {
  /** `file:///…` for files, `node:…` for Node's own modules, empty for eval'd code. */
  url: string;
  /** The `sourceMappingURL` comment's value: a `data:` URL, or a URL relative to `url`; empty when none. */
  sourceMapURL: string;
  /** SHA-256 (hex) of the script's source text encoded as UTF-8. */
  hash: string;
}

/** A same-thread inspector session whose every call answers synchronously. */
export interface Inspector {
  post<T = any>(method: string, params?: object): T;
  /** A remote handle on a live value, valid until `release()`. */
  handleOf(value: unknown): string;
  /** The live values behind remote objects: the very objects, not copies. */
  liveValues(objects: readonly RemoteObject[]): unknown[];
  /**
   * Runs the function `declaration` in the inspected realm with the remote objects `objects` as
   * arguments and an object of ours as `this`; returns what it stored in `this.received`.
   */
  callWithBridge(declaration: string, objects: readonly RemoteObject[]): unknown;
  /** The script V8 calls `scriptId`; undefined when V8 does not report it. */
  script(scriptId: string): ScriptInfo | undefined;
  /**
   * The URL of the live script V8 calls `scriptId`, from V8's coverage list, which costs a few
   * milliseconds where `script()` enables the debugger (tens); undefined when it is not listed.
   */
  scriptUrl(scriptId: string): string | undefined;
  /** The source text of a script as V8 runs it. */
  scriptSource(scriptId: string): string;
  /** Frees every remote handle made since the last release. */
  release(): void;
}

const GROUP = 'memoflow';
const BRIDGE_GROUP = 'memoflow-bridge';
const BRIDGE_KEY = Symbol.for('memoflow.inspector-bridge');

let connection: Inspector | string | undefined;

/** The process's inspector, connected on first use; a string says why there is none. */
export function inspector(): Inspector | string {
  connection ??= connect();
  return connection;
}

function connect(): Inspector | string {
  if (!process.features.inspector) {
    return 'this Node.js was built without the inspector (`process.features.inspector` is false)';
  }
  let session: Session;
  try {
    const { Session } = process.getBuiltinModule('node:inspector');
    session = new Session();
    session.connect();
  } catch (error) {
    return `the inspector session could not connect: ${(error as Error).message}`;
  }
  try {
    return open(session);
  } catch (error) {
    session.disconnect();
    return `the inspector session does not work: ${(error as Error).message}`;
  }
}

function open(session: Session): Inspector {
  const post = <T>(method: string, params?: object): T => {
    let answered = false;
    let failure: Error | null = null;
    let answer: unknown;
    session.post(method, params ?? {}, (error: Error | null, result?: unknown) => {
      answered = true;
      failure = error;
      answer = result;
    });
    if (!answered) throw new Error(`the inspector did not answer \`${method}\` synchronously`);
    if (failure) throw failure;
    return answer as T;
  };

  // The inspector can only hand out objects it can reach, so one object of ours is made reachable
  // once; values travel both ways through it instead of through globals.
  const bridge: { slot: unknown; received: unknown } = { slot: undefined, received: undefined };
  const global = globalThis as Record<symbol, unknown>;
  global[BRIDGE_KEY] = bridge;
  let bridgeId: string;
  try {
    const { result } = post<{ result: RemoteObject }>('Runtime.evaluate', {
      expression: `globalThis[Symbol.for(${JSON.stringify(BRIDGE_KEY.description)})]`,
      objectGroup: BRIDGE_GROUP,
      silent: true,
    });
    bridgeId = result.objectId!;
  } finally {
    delete global[BRIDGE_KEY];
  }

  const scripts = new Map<string, ScriptInfo>();
  const urls = new Map<string, string>();
  session.on('Debugger.scriptParsed', ({ params }) => {
    scripts.set(params.scriptId, {
      url: params.url,
      sourceMapURL: params.sourceMapURL ?? '',
      hash: params.hash,
    });
  });
  // Debugger.enable replays every live script, so a disabled debugger loses nothing; while enabled
  // it would report every script compiled later, each of our own calls included, and slows
  // module loading (see docs/architecture.md).
  const withDebugger = <T>(use: () => T): T => {
    post('Debugger.enable', {});
    try {
      return use();
    } finally {
      post('Debugger.disable', {});
    }
  };

  return {
    post,
    handleOf(value) {
      bridge.slot = value;
      try {
        const { result } = post<{ result: RemoteObject }>('Runtime.callFunctionOn', {
          objectId: bridgeId,
          functionDeclaration: 'function () { return this.slot; }',
          objectGroup: GROUP,
          silent: true,
        });
        return result.objectId!;
      } finally {
        bridge.slot = undefined;
      }
    },
    callWithBridge(declaration, objects) {
      const { exceptionDetails } = post<{ exceptionDetails?: { exception?: RemoteObject } }>(
        'Runtime.callFunctionOn',
        {
          objectId: bridgeId,
          functionDeclaration: declaration,
          arguments: objects.map(callArgument),
          objectGroup: GROUP,
          silent: true,
        },
      );
      if (exceptionDetails) throw new Error(exceptionDetails.exception?.description ?? 'the probe threw');
      const received = bridge.received;
      bridge.received = undefined;
      return received;
    },
    liveValues(objects) {
      return this.callWithBridge('function (...values) { this.received = values; }', objects) as unknown[];
    },
    script(scriptId) {
      if (!scripts.has(scriptId)) withDebugger(() => undefined);
      return scripts.get(scriptId);
    },
    scriptUrl(scriptId) {
      if (!urls.has(scriptId)) {
        const { result } = post<{ result: Array<{ scriptId: string; url: string }> }>(
          'Profiler.getBestEffortCoverage',
        );
        for (const listed of result) urls.set(listed.scriptId, listed.url);
      }
      return urls.get(scriptId);
    },
    scriptSource(scriptId) {
      return withDebugger(
        () => post<{ scriptSource: string }>('Debugger.getScriptSource', { scriptId }).scriptSource,
      );
    },
    release() {
      post('Runtime.releaseObjectGroup', { objectGroup: GROUP });
    },
  };
}

function callArgument(object: RemoteObject): object {
  if (object.objectId) return { objectId: object.objectId };
  if (object.unserializableValue) return { unserializableValue: object.unserializableValue };
  return object.type === 'undefined' ? {} : { value: object.value };
}
