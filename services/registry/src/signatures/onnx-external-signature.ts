import type { Signature } from '@aimass/contracts';
import { InvalidArgumentError } from '@aimass/errors';
import {
  abandonTarEntry,
  MAX_EXTERNAL_GRAPH_BYTES,
  OnnxSignatureError,
  checkExternalLayout,
  externalDataRefs,
  pickExternalGraph,
  readOnnxSignature,
  safeEntryName,
} from '@aimass/onnx';
import { once } from 'node:events';
import tar from 'tar-stream';
import type { SignatureReader } from './artifact-signature.js';

/**
 * An onnx-external artifact: a tar of one ONNX graph and the external-data files (shards) its
 * initializers name. The tar is parsed as it streams in; only the graph (at most
 * MAX_EXTERNAL_GRAPH_BYTES) is kept, the shards only counted. The signature comes from the graph;
 * the layout rules (every named shard present, every byte range inside its shard, nothing else in
 * the tar) are checked before the version is committed.
 */
export class OnnxExternalSignatureReader implements SignatureReader {
  private readonly extract = tar.extract();
  private readonly files = new Map<string, number>();
  private readonly graphs = new Map<string, Buffer>();
  private readonly finished: Promise<void>;

  constructor() {
    this.extract.on('entry', (header, stream, next) => {
      let name: string;
      try {
        name = safeEntryName(header.name);
        if (header.type !== 'file' && header.type !== 'directory')
          throw new OnnxSignatureError(
            `the tar entry "${header.name}" is a ${header.type}; only plain files are read`,
          );
      } catch (err) {
        abandonTarEntry(this.extract, stream, err);
        return;
      }
      const keep = header.type === 'file' && name.endsWith('.onnx');
      if (header.type === 'file') this.files.set(name, header.size ?? 0);
      const chunks: Buffer[] = [];
      let size = 0;
      stream.on('data', (data: unknown) => {
        if (!keep) return;
        const chunk = data as Buffer;
        size += chunk.length;
        if (size > MAX_EXTERNAL_GRAPH_BYTES) {
          stream.destroy(
            new OnnxSignatureError(
              `the graph ${name} is over ${MAX_EXTERNAL_GRAPH_BYTES} bytes; keep its weights in the external-data files`,
            ),
          );
          return;
        }
        chunks.push(chunk);
      });
      stream.on('end', () => {
        if (keep) this.graphs.set(name, Buffer.concat(chunks));
        next();
      });
      stream.on('error', (err) => this.extract.destroy(err));
    });
    this.finished = new Promise<void>((resolve, reject) => {
      this.extract.on('finish', resolve);
      this.extract.on('error', reject);
      this.extract.on('close', () => reject(new Error('the tar stream closed early')));
    });
    this.finished.catch(() => undefined);
  }

  async push(chunk: Buffer): Promise<void> {
    try {
      // A refused entry destroys the extraction: it never drains, and its error is on `finished`.
      if (!this.extract.write(chunk)) await Promise.race([once(this.extract, 'drain'), this.finished]);
    } catch (err) {
      throw refused(err);
    }
  }

  async finish(): Promise<Signature> {
    try {
      this.extract.end(undefined);
      await this.finished;
      const graph = pickExternalGraph(this.graphs.keys());
      const bytes = this.graphs.get(graph)!;
      const { inputs, outputs } = readOnnxSignature(bytes);
      checkExternalLayout(graph, externalDataRefs(bytes), this.files);
      return { inputs, outputs };
    } catch (err) {
      throw refused(err);
    }
  }

  dispose(): void {
    this.extract.destroy();
  }
}

function refused(err: unknown): InvalidArgumentError {
  if (err instanceof InvalidArgumentError) return err;
  if (err instanceof OnnxSignatureError)
    return new InvalidArgumentError(`the onnx-external artifact is refused: ${err.message}`, { cause: err });
  const reason = err instanceof Error ? err.message : String(err);
  return new InvalidArgumentError(
    `the onnx-external artifact is refused: it is not a readable tar (${reason}); push a tar of the graph and its external-data files (the CLI packs them: models push GRAPH.onnx)`,
    { cause: err },
  );
}
