import type { Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { readOnnxSignature, OnnxSignatureError } from '@aimass/ml';

/** Reads the inputs and outputs an artifact declares; a file that is not a model is refused. */
export function readArtifactSignature(format: string, bytes: Buffer): Signature {
  if (format !== 'onnx') throw new InvalidArgumentError(`cannot read the signature of a ${format} artifact yet`);
  try {
    const { inputs, outputs } = readOnnxSignature(bytes);
    return { inputs, outputs };
  } catch (err) {
    if (err instanceof OnnxSignatureError) throw new InvalidArgumentError(`the artifact is refused: ${err.message}`, { cause: err });
    throw err;
  }
}
