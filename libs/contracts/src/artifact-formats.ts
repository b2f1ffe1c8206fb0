/**
 * What a version's artifact is: `onnx`, one ONNX ModelProto; `onnx-external`, a tar of one ONNX
 * graph and the external-data files (shards) its initializers name, for weights past protobuf's
 * 2 GB limit; `tfjs`, a tar of the directory holding model.json and its weight files.
 */
export const ARTIFACT_FORMATS = ['onnx', 'onnx-external', 'tfjs'] as const;
export type ArtifactFormat = (typeof ARTIFACT_FORMATS)[number];

/** Formats whose artifact is a tar of several files (downloaded with a .tar name). */
export function isTarFormat(format: string): boolean {
  return format === 'onnx-external' || format === 'tfjs';
}
