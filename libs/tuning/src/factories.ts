import { z } from 'zod';
import { AshaPruner } from './asha-pruner.js';
import { GpSampler } from './gp-sampler.js';
import { GridSampler } from './grid-sampler.js';
import { HyperbandPruner } from './hyperband-pruner.js';
import { MedianPruner } from './median-pruner.js';
import { NopPruner, type Pruner } from './pruner.js';
import { RandomSampler } from './random-sampler.js';
import type { Sampler } from './sampler.js';
import { TpeSampler } from './tpe-sampler.js';

const seed = z.number().int().min(0).max(0xffffffff).optional();
const count = z.number().int().min(0).optional();

/** A sampler as a study spec names it. */
export const samplerSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('random'), seed }),
  z.strictObject({ type: z.literal('grid'), seed }),
  z.strictObject({
    type: z.literal('tpe'),
    seed,
    nStartupTrials: count,
    nEiCandidates: z.number().int().min(1).optional(),
    constantLiar: z.boolean().optional(),
  }),
  z.strictObject({
    type: z.literal('gp'),
    seed,
    nStartupTrials: count,
    nCandidates: z.number().int().min(1).optional(),
  }),
]);
export type SamplerSpec = z.infer<typeof samplerSpecSchema>;

const positive = z.number().positive();
/** A pruner as a study spec names it; steps are the trial's report steps (epochs). */
export const prunerSpecSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('none') }),
  z.strictObject({
    type: z.literal('median'),
    nStartupTrials: count,
    nWarmupSteps: count,
    intervalSteps: z.number().int().min(1).optional(),
  }),
  z.strictObject({
    type: z.literal('asha'),
    minResource: positive.optional(),
    reductionFactor: z.number().min(2).optional(),
    minEarlyStoppingRate: count,
    maxResource: positive.optional(),
  }),
  z.strictObject({
    type: z.literal('hyperband'),
    minResource: positive.optional(),
    maxResource: positive,
    reductionFactor: z.number().min(2).optional(),
    seed,
  }),
]);
export type PrunerSpec = z.infer<typeof prunerSpecSchema>;

/** The sampler a (validated) spec describes. */
export function createSampler(spec: SamplerSpec): Sampler {
  switch (spec.type) {
    case 'random':
      return new RandomSampler(spec.seed);
    case 'grid':
      return new GridSampler(spec.seed);
    case 'tpe':
      return new TpeSampler(spec);
    case 'gp':
      return new GpSampler(spec);
  }
}

/** The pruner a (validated) spec describes. */
export function createPruner(spec: PrunerSpec): Pruner {
  switch (spec.type) {
    case 'none':
      return new NopPruner();
    case 'median':
      return new MedianPruner(spec);
    case 'asha':
      return new AshaPruner(spec);
    case 'hyperband':
      return new HyperbandPruner(spec);
  }
}
