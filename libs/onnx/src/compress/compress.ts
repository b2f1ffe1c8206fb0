import { OnnxCompressionError } from '../onnx-errors.js';
import { quantizeDynamicInt8 } from './dynamic-int8.js';
import { convertToFloat16 } from './float16.js';

export const COMPRESSION_TARGETS = ['fp16', 'int8-dynamic', 'int8-static'] as const;
export type CompressionTarget = (typeof COMPRESSION_TARGETS)[number];

/** The compressed copy of an ONNX model for a target that needs no calibration data (not int8-static). */
export function compressOnnxModel(bytes: Uint8Array, target: CompressionTarget): Uint8Array {
  switch (target) {
    case 'fp16':
      return convertToFloat16(bytes);
    case 'int8-dynamic':
      return quantizeDynamicInt8(bytes);
    default:
      throw new OnnxCompressionError(
        `${target} needs activation ranges from calibration rows: run staticCalibrationModel, then quantizeStaticInt8`,
      );
  }
}
