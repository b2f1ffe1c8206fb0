/**
 * A tfjs layers model that cannot become ONNX: a graph model, a layer or setting without an ONNX
 * form here, or weights that do not match the topology. The message names the layer and its class;
 * callers give it their own error kind (the registry answers FAILED_PRECONDITION).
 */
export class TfjsConversionError extends Error {
  override readonly name = 'TfjsConversionError';

  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}
