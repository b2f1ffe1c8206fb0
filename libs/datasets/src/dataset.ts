/** A dataset as the trainer holds it: rows × features, row-major FP32, optional 0/1 anomaly labels. */
export interface Dataset {
  readonly rows: number;
  readonly features: number;
  readonly values: Float32Array;
  readonly labels?: Uint8Array;
  /** Feature column names from the file's header or object keys (the label left out); absent when it has none. */
  readonly columns?: readonly string[];
  /** SHA-256 of the bytes it was read from (S3), or of its values (built-in). Lineage. */
  readonly digest: string;
  readonly description: string;
}

/** The data cannot be trained on; the message says which row or column and why. */
export class DatasetError extends Error {
  override readonly name = 'DatasetError';
}
