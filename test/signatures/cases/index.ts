import type { SignatureCase } from '../harness.ts';
import { bound } from './bound.ts';
import { classes } from './classes.ts';
import { closures } from './closures.ts';
import { depth } from './depth.ts';
import { env } from './env.ts';
import { hazards } from './hazards.ts';
import { identity } from './identity.ts';
import { inputs } from './inputs.ts';
import { modules } from './modules.ts';
import { portability } from './portability.ts';
import { resolution } from './resolution.ts';
import { wrapped } from './wrapped.ts';

/** Every case of the corpus, by topic. */
export const topics: Record<string, SignatureCase[]> = {
  identity,
  closures,
  bound,
  wrapped,
  resolution,
  modules,
  classes,
  depth,
  env,
  inputs,
  hazards,
  portability,
};
