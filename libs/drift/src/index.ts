export { FeatureSketch, InputSketch, SKETCH_BIN_LIMIT, SKETCH_RELATIVE_ACCURACY } from './feature-sketch.js';
export type { FeatureSketchWire } from './feature-sketch.js';
export { kolmogorovSf, ksEffectiveSize, ksTwoSamplePValue, smirnov } from './kolmogorov.js';
export { ReferenceDistribution, type ReferenceFeature } from './reference-distribution.js';
export { effectiveRows, featureDrift, type FeatureDriftStatistics } from './drift-statistics.js';
export { datasetDrift, type DatasetDrift, type DriftThresholds, type FeatureDrift } from './dataset-drift.js';
export { anomalyRateTest, type AnomalyRateTest } from './anomaly-rate.js';
