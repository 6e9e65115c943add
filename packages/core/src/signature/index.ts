/**
 * signature/: what a key is made of. `code/` hashes a function's code and everything it reaches,
 * `env/` the runtime, packages and env vars, `inputs/` the arguments; `key.ts` composes them.
 */
export { analyzeCode, type CodeAnalysis, type CodeTarget } from './code/analyze.ts';
export { captureCallSite } from './code/call-site.ts';
export { envHash, envVarsText, staticEnv } from './env/env-hash.ts';
export { type FilesState, filesState } from './env/files.ts';
export { encodeInputs, HASH_PROTOCOL, hashValue, type InputEncoding } from './inputs/hash-inputs.ts';
export { composeKey, depsHashOf, NO_DEPS_HASH, SIGNATURE_VERSION, type Signature } from './key.ts';
