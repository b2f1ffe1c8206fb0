import type { OutputDifference } from '@aimass/onnx';
import type { VersionView } from '../records/records.js';
import type { PushPart } from './registry.service.js';

const PUSH_CHUNK_BYTES = 1024 * 1024;

export interface NamedDifference extends OutputDifference {
  readonly name: string;
}

export interface ConversionReport {
  readonly version: VersionView;
  readonly sourceSizeBytes: number;
  readonly calibration: string;
  readonly calibrationRows: number;
  readonly outputs: readonly NamedDifference[];
  /** The largest of each measure over the outputs. */
  readonly worst: OutputDifference;
}

/** A converted model as the parts of an ordinary push: the header, then the bytes in chunks. */
export async function* pushParts(header: unknown, bytes: Uint8Array): AsyncIterable<PushPart> {
  yield { header };
  for (let at = 0; at < bytes.length; at += PUSH_CHUNK_BYTES)
    yield { chunk: bytes.subarray(at, at + PUSH_CHUNK_BYTES) };
}
