/**
 * What the page shows when a node is clicked: how it is wired, the parts of its last recorded
 * signature (code, env, inputs, upstream outputs), its last run and its history across runs.
 */
import type { CacheBackend, PipelineNode } from '@memoflow/core';
import type { NodeSignature } from '@memoflow/core/backend-kit';
import type { RunLog } from './run-log.ts';
import type { NodeDetail, SignatureView } from './types.ts';

export async function nodeDetail(
  backend: CacheBackend,
  node: PipelineNode,
  runs: RunLog,
): Promise<NodeDetail> {
  const [signature, history] = await Promise.all([
    backend.getMeta(node.name).catch(() => undefined),
    runs.nodeHistory(node.name),
  ]);
  const detail: NodeDetail = { name: node.name, inputs: [...node.inputs], history };
  if (node.map !== undefined) detail.map = node.map;
  if (node.location !== undefined) detail.location = node.location;
  if (signature) detail.signature = signatureView(signature);
  const last = history[0];
  if (last) detail.last = last;
  return detail;
}

function signatureView(signature: NodeSignature): SignatureView {
  const view: SignatureView = {
    key: signature.key,
    recordedAt: signature.timestamp,
    code: signature.codeParts ?? { '(all)': signature.codeHash },
    env: signature.envParts ?? { '(all)': signature.envHash },
    inputs: signature.inputParts ?? { '(all)': signature.inputsHash },
    deps: signature.depsParts ?? { '(all)': signature.depsHash },
  };
  if (signature.computeMs !== undefined) view.computeMs = signature.computeMs;
  if (signature.outputHash !== undefined) view.outputHash = signature.outputHash;
  return view;
}
