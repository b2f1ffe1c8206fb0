// @aimass/tfjs: what aimass knows of TensorFlow.js artifacts without loading tfjs. The model families
// the trainer fits are `@aimass/tfjs/families`: they import tfjs when loaded (about 13 MB of source
// and thousands of functions on every heap), so code that only reads or checks artifacts stays light.
export {
  isTfjsModelJson,
  pickTfjsModelJson,
  TfjsLayoutError,
  tfjsEntryName,
  tfjsShards,
  type TfjsModelJson,
  type TfjsTensorInfo,
  type TfjsWeightGroup,
  type TfjsWeightSpec,
} from './tfjs-layout.js';
export { type TfjsArtifact, unpackTfjsArtifact } from './tfjs-artifact.js';
export {
  pickTfjsBackend,
  TFJS_BACKEND_ORDER,
  type TfjsBackendCandidate,
  type TfjsBackendChoice,
  type TfjsBackendPickOptions,
  type TfjsEngine,
} from './backend-picker.js';
export { TfjsConversionError } from './layers-to-onnx/conversion-error.js';
export { CONVERTIBLE_ACTIVATIONS } from './layers-to-onnx/activations.js';
export { LAYER_CONVERTERS } from './layers-to-onnx/layer-converters.js';
export {
  convertLayersModelToOnnx,
  type LayersOnnxExport,
  type TfjsLayersArtifact,
} from './layers-to-onnx/layers-to-onnx.js';
