/** The `verify()` report every backend answers with. */
import type { VerifyReport } from '../contract.ts';

/** A verify() report before anything was checked. */
export function emptyVerifyReport(): VerifyReport {
  return { checked: 0, blobs: 0, corrupt: [], missing: [], orphans: 0, damagedRecords: 0, ok: true };
}

/** Whether a verify() report found nothing wrong. */
export function isClean(report: VerifyReport): boolean {
  return (
    report.corrupt.length === 0 &&
    report.missing.length === 0 &&
    report.orphans === 0 &&
    report.damagedRecords === 0
  );
}
