import type { Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { OnnxSignatureError, readOnnxSignature } from '@aimass/ml';
import type { ArtifactFormat } from './records.js';
import { TfjsSignatureReader } from './tfjs-signature.js';

/**
 * Reads the signature of an artifact while its bytes stream past, so a push never has to hold the
 * whole artifact. `push` is fed every chunk in order; `finish` returns the signature or throws
 * InvalidArgumentError saying why the bytes are not a model of that format.
 */
export interface SignatureReader {
  push(chunk: Buffer): Promise<void>;
  finish(): Promise<Signature>;
  /** Frees what the reader holds after a failed push. */
  dispose(): void;
}

export function signatureReaderFor(format: ArtifactFormat): SignatureReader {
  return format === 'tfjs' ? new TfjsSignatureReader() : new OnnxSignatureReader();
}

/** ONNX: the graph's inputs and outputs, read from the ModelProto. */
export class OnnxSignatureReader implements SignatureReader {
  private chunks: Buffer[] = [];

  async push(chunk: Buffer): Promise<void> {
    this.chunks.push(chunk);
  }

  async finish(): Promise<Signature> {
    const bytes = Buffer.concat(this.chunks);
    this.chunks = [];
    return readOnnxArtifactSignature(bytes);
  }

  dispose(): void {
    this.chunks = [];
  }
}

export function readOnnxArtifactSignature(bytes: Uint8Array): Signature {
  try {
    const { inputs, outputs } = readOnnxSignature(bytes);
    return { inputs, outputs };
  } catch (err) {
    if (err instanceof OnnxSignatureError) throw new InvalidArgumentError(`the artifact is refused: ${err.message}`, { cause: err });
    throw err;
  }
}
