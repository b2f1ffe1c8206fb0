import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { join } from 'node:path';

// A client any OIP v2 user could write: the official proto loaded with proto-loader's defaults
// (camelCase fields, int64 as Long), plain grpc-js, no aimass code.

const PROTO = join(import.meta.dirname, '..', '..', '..', 'protos', 'inference', 'grpc_service.proto');

export type OipClient = Client & Record<string, (...args: unknown[]) => unknown>;

export function genericOipClient(address: string, options: Record<string, unknown> = {}): OipClient {
  const pkg = loadPackageDefinition(loadSync(PROTO)) as unknown as {
    inference: { GRPCInferenceService: new (a: string, c: unknown, o: unknown) => OipClient };
  };
  return new pkg.inference.GRPCInferenceService(address, credentials.createInsecure(), options);
}

export function unary<T>(
  client: OipClient,
  method: string,
  req: unknown,
  md = new Metadata(),
  deadlineMs?: number,
): Promise<T> {
  const opts = deadlineMs === undefined ? {} : { deadline: Date.now() + deadlineMs };
  return new Promise((resolve, reject) =>
    client[method]!(req, md, opts, (err: ServiceError | null, res: T) => (err ? reject(err) : resolve(res))),
  );
}

export function openStream(client: OipClient): ClientDuplexStream<unknown, StreamResponse> {
  return client.ModelStreamInfer!() as ClientDuplexStream<unknown, StreamResponse>;
}

/** Sends `requests` on one ModelStreamInfer stream, ends it, and resolves with every response once the server ends it too. */
export function streamAll(client: OipClient, requests: readonly unknown[]): Promise<StreamResponse[]> {
  const stream = openStream(client);
  const responses: StreamResponse[] = [];
  const ended = new Promise<StreamResponse[]>((resolve, reject) => {
    stream.on('data', (r: StreamResponse) => responses.push(r));
    stream.on('end', () => resolve(responses));
    stream.on('error', reject);
  });
  for (const request of requests) stream.write(request);
  stream.end();
  return ended;
}

export interface InferResponse {
  modelName: string;
  modelVersion: string;
  id: string;
  outputs: { name: string; datatype: string; shape: { toString(): string }[] }[];
  rawOutputContents: Buffer[];
}

export interface StreamResponse {
  errorMessage: string;
  inferResponse: InferResponse | null;
}
