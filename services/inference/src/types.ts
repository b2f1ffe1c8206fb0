import type { Signature } from '@aimass/contracts';
import type { Datatype, TensorData } from '@aimass/tensors';

/** A tensor on its way into or out of a model instance. */
export interface NamedTensor {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: number[];
  readonly data: TensorData;
}

/** A registry version as the inference service needs it. */
export interface ServableVersion {
  readonly model: string;
  readonly version: number;
  readonly sha256: string;
  readonly artifact_key: string;
  readonly format: string;
  readonly signature: Signature;
  /** Registry tags of the version; `inference.*` tags set its batching policy. */
  readonly tags?: Readonly<Record<string, string>>;
  /** Tags of the version's model (a `monitor.detector` tag may sit on either). */
  readonly model_tags?: Readonly<Record<string, string>>;
  /** What trained it; an anomaly detector's threshold and percentile are read from here. */
  readonly lineage?: {
    readonly hyperparameters: Readonly<Record<string, string>>;
    readonly metrics: Readonly<Record<string, number>>;
  };
}

/** One validated request for one model version. */
export interface InferenceRequest {
  readonly inputs: NamedTensor[];
  /** Output names to return; every output of the model when empty. */
  readonly outputs: string[];
  /** Absolute deadline (ms since epoch); Infinity when the caller set none. */
  readonly deadline: number;
}

export interface InferenceResult {
  readonly outputs: NamedTensor[];
  readonly queueUs: number;
  readonly computeUs: number;
  /** Rows in the execution this request was part of. */
  readonly batchSize: number;
  /** True for exactly one request of each execution, so executions are counted once. */
  readonly leader: boolean;
}
