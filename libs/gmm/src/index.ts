export {
  GMM_INITS,
  type GmmFitOptions,
  type GmmInit,
  type GmmInitialParams,
  type GmmIterationProgress,
  fitGmm,
  kmeansInitialParams,
} from './fit-gmm.js';
export { GmmError, type GmmErrorReason } from './gmm-error.js';
export { COVARIANCE_TYPES, type CovarianceType, type GmmModel, gmmParameterCount } from './gmm-model.js';
export { GMM_TENSORS, type GmmExportOptions, exportGmm } from './gmm-onnx.js';
export { aic, bic, meanLogLikelihood, predictProba, scoreSamples } from './gmm-scoring.js';
export { type SyntheticMixture, syntheticMixture } from './synthetic-mixture.js';
