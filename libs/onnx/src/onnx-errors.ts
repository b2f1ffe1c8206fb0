// Errors raised while writing or reading ONNX bytes. Services map them to gRPC statuses
// (both are caller mistakes: INVALID_ARGUMENT), so they stay distinct from I/O failures.

/** The dense network spec cannot be written as a valid ONNX model. */
export class OnnxExportError extends Error {
  override readonly name = 'OnnxExportError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The bytes are not an ONNX model, or its signature uses something aimass cannot serve. */
export class OnnxSignatureError extends Error {
  override readonly name = 'OnnxSignatureError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** The model cannot be compressed as asked (not ONNX, an opset too old, nothing to quantise...). */
export class OnnxCompressionError extends Error {
  override readonly name = 'OnnxCompressionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
