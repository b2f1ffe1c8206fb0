import { COMPRESSION_TARGETS } from './compress/compress.js';

/**
 * What a stored version can be converted to: a compressed copy of an ONNX version, or (`onnx`) the
 * ONNX form of a tfjs layers version (@aimass/tfjs's convertLayersModelToOnnx).
 */
export const CONVERSION_TARGETS = [...COMPRESSION_TARGETS, 'onnx'] as const;
export type ConversionTarget = (typeof CONVERSION_TARGETS)[number];
