/** Core's `diffRuns` of two records, as the page's diff table shows it: states and the reasons in words. */
import { diffRuns } from '@memoflow/core';
import { type RunRecord, runSummaryOf } from '@memoflow/core/backend-kit';
import { headOf } from './run-log.ts';
import type { NodeState, RunDiffView } from './types.ts';

/** What changed from run `a` to run `b`. */
export function runDiff(a: RunRecord, b: RunRecord): RunDiffView {
  const diff = diffRuns(a, b);
  return {
    a: headOf(runSummaryOf(a)),
    b: headOf(runSummaryOf(b)),
    unchanged: diff.unchanged,
    changes: diff.nodes.map((change) => {
      const why: string[] = [];
      if (change.reason !== undefined)
        why.push(change.changed ? `${change.reason}: ${change.changed.join(', ')}` : change.reason);
      else if (change.keyChanged) why.push('its signature key changed');
      else if (change.after === 'hit') why.push('read from the cache');
      if (change.error) why.push(`${change.error.name}: ${change.error.message}`);
      if (change.after === 'absent') why.push('the later run did not need it');
      if (change.before === 'absent') why.push('the earlier run did not need it');
      return { node: change.node, from: stateOf(change.before), to: stateOf(change.after), why };
    }),
  };
}

const stateOf = (state: string): NodeState => (state === 'absent' ? 'not-run' : (state as NodeState));
