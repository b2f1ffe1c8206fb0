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
export { mulberry32, rngFor, type Rng } from './rng.js';
