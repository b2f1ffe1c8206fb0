import { InvalidArgumentError } from '@aimass/errors';
import type { MethodDefinition, PackageDefinition } from '@grpc/proto-loader';
import { isServiceDefinition } from './bytes-stream-serializer.js';

type Method = MethodDefinition<object, object>;

const MALFORMED = Symbol('malformed request');

/** What a request's deserializer returns instead of throwing when the bytes are not the message. */
interface MalformedRequest {
  readonly [MALFORMED]: string;
}

/**
 * grpc-js answers a request whose bytes do not decode (cut short, a length that runs past the end,
 * a wrong wire type) with INTERNAL "Error deserializing request", which reads like a server fault
 * and names nothing the caller can fix. Here each method's request deserializer returns a marker
 * instead of throwing, so that the service's first guard (and inference's plain ModelInfer handler)
 * can answer INVALID_ARGUMENT naming the message type: the caller's request was wrong, not the server.
 */
export function withTolerantDeserializers(definition: PackageDefinition): PackageDefinition {
  const out: PackageDefinition = { ...definition };
  for (const [serviceName, service] of Object.entries(definition)) {
    if (!isServiceDefinition(service)) continue;
    const pkg = serviceName.slice(0, serviceName.lastIndexOf('.'));
    const methods: Record<string, Method> = {};
    for (const [methodName, method] of Object.entries(service as Record<string, Method>)) {
      const deserialize = method.requestDeserialize;
      const typeName = `${pkg}.${(method.requestType.type as { name: string }).name}`;
      methods[methodName] = {
        ...method,
        requestDeserialize: (bytes: Buffer) => {
          try {
            return deserialize(bytes);
          } catch (err) {
            return {
              [MALFORMED]: `the request (${bytes.length} bytes) is not a valid protobuf ${typeName}: ${(err as Error).message}; send the message the method's proto declares`,
            } satisfies MalformedRequest as unknown as object;
          }
        },
      };
    }
    out[serviceName] = methods as PackageDefinition[string];
  }
  return out;
}

/** Throws INVALID_ARGUMENT when `request` is the marker of bytes that did not decode. */
export function assertWellFormed(request: unknown): void {
  if (typeof request === 'object' && request !== null && MALFORMED in request)
    throw new InvalidArgumentError((request as MalformedRequest)[MALFORMED]);
}
