/**
 * `@memoflow/ui`: a local web page for one pipeline and its cache (what `memoflow ui` serves):
 * the graph coloured by the last run, each node's signature, miss reason, history and stored
 * value, the runs and their diffs, and the cache by node.
 */
export { UiError, type UiErrorCode } from './errors.ts';
export { openInBrowser } from './open-browser.ts';
export { PREVIEW_LIMIT_BYTES } from './preview.ts';
export { startUi, UI_HOST, type UiOptions, type UiServer } from './server.ts';
export type * from './types.ts';
