import { FailedPreconditionError } from '@aimass/errors';
import { type TfjsArtifact, TfjsLayoutError, unpackTfjsArtifact } from '@aimass/tfjs';

/**
 * Unpacks a registry tfjs artifact. The registry checked it at push time; anything unreadable here
 * is refused with FAILED_PRECONDITION, like an ONNX file onnxruntime cannot open.
 */
export async function readTfjsArtifact(bytes: Uint8Array, label: string): Promise<TfjsArtifact> {
  try {
    return await unpackTfjsArtifact(bytes);
  } catch (err) {
    if (err instanceof TfjsLayoutError)
      throw new FailedPreconditionError(`${label} cannot be loaded as a tfjs model: ${err.message}`, {
        cause: err,
      });
    throw err;
  }
}
