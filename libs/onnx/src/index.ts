export { OnnxCompressionError, OnnxExportError, OnnxSignatureError } from './onnx-errors.js';
export { ONNX_IR_VERSION, ONNX_OPSET, ONNX_PRODUCER, encodeOnnxModel } from './onnx-model.js';
export { type OnnxSignature, type TensorSpec, readOnnxSignature } from './onnx-signature.js';
export { MAX_SIGNATURE_BYTES, OnnxSignatureScanner } from './onnx-signature-scanner.js';
export { type IdentityModelOptions, exportIdentityModel } from './identity-model.js';
export { type FeatureScaling, OnnxGraphBuilder } from './export/graph-builder.js';
export {
  AUTOENCODER_TENSORS,
  type AutoencoderExport,
  type AutoencoderGraphs,
  exportAutoencoder,
  reconstructionWeights,
  VAE_SCORE_SAMPLES,
  vaeReconstructionTerm,
  vaeScoreNoise,
} from './export/autoencoder-onnx.js';
export { GENERATOR_TENSORS, type GeneratorExport, exportGenerator } from './export/generator-onnx.js';
export {
  DEFAULT_LEAKY_RELU_ALPHA,
  DENSE_ACTIVATIONS,
  type DenseActivation,
  type DenseLayer,
  type DenseNetworkSpec,
  findDenseSpecProblem,
} from './dense/dense-spec.js';
export { exportDenseNetwork } from './dense/dense-network.js';
export { DenseForwardError, denseForward } from './dense/dense-forward.js';
export { type RandomDenseNetworkOptions, randomDenseNetwork } from './dense/random-dense-network.js';
export { COMPRESSION_TARGETS, type CompressionTarget, compressOnnxModel } from './compress/compress.js';
export { FLOAT16_OPS, convertToFloat16 } from './compress/float16.js';
export { type QuantizedWeight, quantizeDynamicInt8, quantizePerColumn } from './compress/dynamic-int8.js';
export { type OutputDifference, outputDifference } from './compress/output-difference.js';
export { type ActivationRange, quantizeStaticInt8, staticCalibrationModel } from './compress/static-int8.js';
export { CONVERSION_TARGETS, type ConversionTarget } from './conversion-targets.js';
export {
  type ExternalDataRef,
  type ExternalLayout,
  MAX_EXTERNAL_GRAPH_BYTES,
  abandonTarEntry,
  checkExternalLayout,
  externalDataRefs,
  pickExternalGraph,
  safeEntryName,
} from './external-data.js';
