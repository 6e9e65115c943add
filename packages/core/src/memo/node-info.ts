/** The node a memoized function is in a Pipeline: its name, its inputs, and how it is called. */
import { ConfigError } from '../errors.ts';
import { destructuresInputs } from './inputs.ts';
import type { MemoOptions, NodeInfo, Prepared } from './types.ts';

/**
 * Reads the node from the function's parameters, or from its `inputs` option: passed as one
 * object when they are properties its single parameter destructures, else in order. A parameter
 * a pipeline cannot wire by name is a ConfigError.
 */
export function nodeInfoOf({ node, analysis }: Prepared, options: MemoOptions): NodeInfo {
  const location = analysis.location;
  const base = { name: node, map: options.map, location };
  const params = analysis.params;
  if (options.inputs) {
    const style = destructuresInputs(params, options.inputs) ? 'object' : 'positional';
    return { ...base, inputs: [...options.inputs], style };
  }
  if (params.length === 1 && params[0]!.properties) {
    return { ...base, inputs: [...params[0]!.properties], style: 'object' };
  }
  for (const [i, param] of params.entries()) {
    if (param.rest || param.properties || /^arg\d+$/.test(param.name)) {
      throw new ConfigError(
        `Node \`${node}\`${location ? ` (${location})` : ''} has a parameter a pipeline cannot wire by name: \`${param.name}\` at position ${i + 1}. Use named parameters, or a single destructured object \`({ a, b })\`, or give the node \`inputs: [...]\`.`,
      );
    }
  }
  return { ...base, inputs: params.map((p) => p.name), style: 'positional' };
}
