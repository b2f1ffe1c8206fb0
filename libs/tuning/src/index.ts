export * from './space.js';
export * from './trial.js';
export type { Sampler, SamplerContext } from './sampler.js';
export { RandomSampler } from './random-sampler.js';
export {
  GridSampler,
  GridExhaustedError,
  InfiniteGridError,
  gridPoints,
  MAX_GRID_POINTS,
} from './grid-sampler.js';
export { TpeSampler, type TpeOptions } from './tpe-sampler.js';
export { GpSampler, type GpOptions } from './gp-sampler.js';
export { seededRng, rngFor, type Rng } from './rng.js';
export { NopPruner, type Pruner, type PrunerContext } from './pruner.js';
export { MedianPruner, type MedianPrunerOptions } from './median-pruner.js';
export { AshaPruner, type AshaOptions } from './asha-pruner.js';
export { HyperbandPruner, type HyperbandOptions } from './hyperband-pruner.js';
export { parameterImportance, type ImportanceOptions } from './importance.js';
export {
  createPruner,
  createSampler,
  prunerSpecSchema,
  samplerSpecSchema,
  type PrunerSpec,
  type SamplerSpec,
} from './factories.js';
