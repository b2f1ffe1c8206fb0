// @aimass/tfjs/families: the model families the trainer fits with TensorFlow.js. They import tfjs when
// loaded (about 13 MB of source and thousands of functions on every heap), so they have an entry of
// their own: code that only reads, exports or serves models never loads them.
export { LEAKY_RELU_ALPHA } from './dense-layers.js';
export {
  type ArchitectureOptions,
  type Evaluation,
  type OptimizerName,
  type OptimizerOptions,
  type TrainableModel,
} from './trainable.js';
export { AutoencoderModel } from './autoencoder.js';
export { GanModel } from './gan.js';
export { FusedAdamOptimizer } from './fused-adam.js';
