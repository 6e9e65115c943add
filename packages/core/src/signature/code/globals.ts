/**
 * Names every realm and Node itself define: reading them is not reading user state. A fixed list,
 * not a fresh realm's global object: creating one costs about 20 ms, and the list changes only
 * with the language.
 */
const STANDARD_GLOBALS = new Set(
  (
    'globalThis Infinity NaN undefined eval isFinite isNaN parseFloat parseInt decodeURI decodeURIComponent ' +
    'encodeURI encodeURIComponent escape unescape Object Function Array Number Boolean String Symbol BigInt ' +
    'Math JSON Reflect Proxy Promise Date RegExp Error AggregateError EvalError RangeError ReferenceError ' +
    'SyntaxError TypeError URIError Map Set WeakMap WeakSet WeakRef FinalizationRegistry ArrayBuffer ' +
    'SharedArrayBuffer DataView Atomics Int8Array Uint8Array Uint8ClampedArray Int16Array Uint16Array ' +
    'Int32Array Uint32Array Float32Array Float64Array BigInt64Array BigUint64Array Intl WebAssembly Iterator ' +
    'process Buffer global console setTimeout clearTimeout setInterval clearInterval setImmediate ' +
    'clearImmediate queueMicrotask structuredClone atob btoa fetch Request Response Headers FormData URL ' +
    'URLSearchParams TextEncoder TextDecoder AbortController AbortSignal Blob File performance crypto ' +
    'navigator EventTarget Event MessageChannel MessagePort BroadcastChannel DOMException require module ' +
    'exports __filename __dirname arguments'
  ).split(' '),
);

export function isStandardGlobal(name: string): boolean {
  return STANDARD_GLOBALS.has(name);
}
