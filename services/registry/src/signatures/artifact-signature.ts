import type { Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import { OnnxSignatureError, OnnxSignatureScanner } from '@aimass/onnx';
import type { ArtifactFormat } from '../records/records.js';
import { OnnxExternalSignatureReader } from './onnx-external-signature.js';
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
  if (format === 'tfjs') return new TfjsSignatureReader();
  if (format === 'onnx-external') return new OnnxExternalSignatureReader();
  return new OnnxSignatureReader();
}

/**
 * ONNX: the graph's inputs and outputs, scanned from the ModelProto as it streams past. Only the
 * signature's own fields are held (a few KiB), never the weights.
 */
export class OnnxSignatureReader implements SignatureReader {
  private scanner = new OnnxSignatureScanner();

  async push(chunk: Buffer): Promise<void> {
    refused(() => this.scanner.push(chunk));
  }

  async finish(): Promise<Signature> {
    const { inputs, outputs } = refused(() => this.scanner.finish());
    return { inputs, outputs };
  }

  dispose(): void {
    this.scanner = new OnnxSignatureScanner();
  }
}

function refused<T>(read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof OnnxSignatureError)
      throw new InvalidArgumentError(`the artifact is refused: ${err.message}`, { cause: err });
    throw err;
  }
}
