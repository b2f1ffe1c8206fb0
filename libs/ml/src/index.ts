export {
  DATATYPES,
  type Datatype,
  type DatatypeArrayConstructor,
  type DatatypeArrayConstructors,
  type FixedSizeDatatype,
  type OrtTensorType,
  datatypeByteSize,
  datatypeToOnnxElemType,
  datatypeToOrtType,
  isDatatype,
  onnxElemTypeToDatatype,
  ortTypeToDatatype,
  typedArrayFor,
} from './datatypes.js';
export { DenseForwardError, denseForward } from './dense-forward.js';
export { type IdentityModelOptions, exportIdentityModel } from './identity-model.js';
export { type DecodedTensor, decodeTensorProto } from './tensor-proto.js';
export { exportDenseNetwork } from './dense-network.js';
export { ONNX_IR_VERSION, ONNX_OPSET, ONNX_PRODUCER, encodeOnnxModel } from './onnx-model.js';
export {
  DEFAULT_LEAKY_RELU_ALPHA,
  DENSE_ACTIVATIONS,
  type DenseActivation,
  type DenseLayer,
  type DenseNetworkSpec,
  findDenseSpecProblem,
} from './dense-spec.js';
export { OnnxExportError, OnnxSignatureError } from './onnx-errors.js';
export { type OnnxSignature, type TensorSpec, readOnnxSignature } from './onnx-signature.js';
export { MAX_SIGNATURE_BYTES, OnnxSignatureScanner } from './onnx-signature-scanner.js';
export { mulberry32 } from './prng.js';
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
export { type RandomDenseNetworkOptions, randomDenseNetwork } from './random-dense-network.js';
export {
  CONTENTS_FIELD,
  TensorCodecError,
  decodeRaw,
  decodeTypedContents,
  elementCount,
  encodeRaw,
  type TensorData,
  type TypedArray,
} from './tensor-codec.js';
export { type FeatureScaling, OnnxGraphBuilder } from './onnx-export/graph-builder.js';
export {
  AUTOENCODER_TENSORS,
  type AutoencoderExport,
  type AutoencoderGraphs,
  exportAutoencoder,
} from './onnx-export/autoencoder-onnx.js';
export { GENERATOR_TENSORS, type GeneratorExport, exportGenerator } from './onnx-export/generator-onnx.js';
export { SeededRandom } from './families/seeded-random.js';
export {
  COVARIANCE_TYPES,
  type CovarianceType,
  GMM_TENSORS,
  GmmError,
  type GmmErrorReason,
  type GmmFitOptions,
  type GmmInitialParams,
  type GmmIterationProgress,
  type GmmModel,
  aic,
  bic,
  exportGmm,
  fitGmm,
  gmmParameterCount,
  kmeansInitialParams,
  meanLogLikelihood,
  predictProba,
  scoreSamples,
  type SyntheticMixture,
  syntheticMixture,
} from './gmm/index.js';
