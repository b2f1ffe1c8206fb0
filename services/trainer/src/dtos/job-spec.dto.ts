/** The job spec is a contract shared with the tuner's templates; its schema lives in libs/contracts. */
export {
  FAMILIES,
  JobSpecSchema,
  DatasetSchema,
  validateSpec,
  knownFeatureCount,
  datasetHasLabels,
  type Family,
  type JobSpec,
  type DatasetSpec,
} from '@aimass/contracts';
