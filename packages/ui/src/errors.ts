/** The stable codes of the errors @memoflow/ui throws; match on `error.code`, not on the message. */
export type UiErrorCode = 'UI_NOT_BUILT' | 'UI_OPTION' | 'UI_LISTEN';

/** An error of the UI server: what failed, the bad value, and the fix. */
export class UiError extends Error {
  constructor(
    readonly code: UiErrorCode,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
