import type { MethodDefinition, PackageDefinition } from '@grpc/proto-loader';
import protobuf from 'protobufjs/minimal.js';

type Method = MethodDefinition<object, object>;

type Serialize = (value: unknown) => Buffer;

interface BytesField {
  readonly name: string;
  readonly number: number;
}

/**
 * Server streams that move artifacts send message after message holding nothing but one `bytes`
 * field (DownloadVersionChunk { chunk }). protobufjs encodes each into a freshly allocated buffer;
 * at several MiB per message that is an allocation per message, and large short-lived allocations
 * are what drive V8 into full garbage collections when hundreds of MiB stream through.
 *
 * grpc-js copies the serialized message into the frame it writes, synchronously, inside
 * sendMessage (server responses are never compressed), so the encoded form only has to live until
 * the serializer returns. These messages are therefore encoded into one scratch buffer per method,
 * reused for every message: the same bytes on the wire, one large allocation fewer per message.
 * Any other message (a first message carrying metadata, an empty one) takes the generated path.
 * If grpc-js ever kept the serialized buffer, the downloads' digest checks in the e2e tests fail.
 */
export function withBytesStreamSerializers(definition: PackageDefinition): PackageDefinition {
  const out: PackageDefinition = { ...definition };
  for (const [serviceName, service] of Object.entries(definition)) {
    if (!isServiceDefinition(service)) continue;
    let changed: Record<string, Method> | undefined;
    for (const [methodName, method] of Object.entries(service as Record<string, Method>)) {
      if (!method.responseStream) continue;
      const fields = bytesFieldsOf(method.responseType);
      if (fields.length === 0) continue;
      changed ??= { ...(service as Record<string, Method>) };
      changed[methodName] = {
        ...method,
        responseSerialize: bytesFastPath(method.responseSerialize as Serialize, fields),
      };
    }
    if (changed) out[serviceName] = changed as PackageDefinition[string];
  }
  return out;
}

/** `fallback`, except for messages whose only set field is one of `fields`: those are encoded into a reused buffer. */
function bytesFastPath(fallback: Serialize, fields: readonly BytesField[]): Serialize {
  let scratch = Buffer.alloc(0);
  return (value) => {
    const field = onlyBytesField(value as Record<string, unknown>, fields);
    if (!field) return fallback(value);
    const bytes = (value as Record<string, Uint8Array>)[field.name]!;
    // The field's key and length as protobufjs writes them; the bytes follow.
    const head = protobuf.Writer.create()
      .uint32((field.number << 3) | 2)
      .uint32(bytes.length)
      .finish();
    const size = head.length + bytes.length;
    if (scratch.length < size) scratch = Buffer.allocUnsafe(size);
    scratch.set(head, 0);
    scratch.set(bytes, head.length);
    return scratch.subarray(0, size);
  };
}

function onlyBytesField(
  value: Record<string, unknown>,
  fields: readonly BytesField[],
): BytesField | undefined {
  let found: BytesField | undefined;
  for (const key in value) {
    const v = value[key];
    if (v === undefined || v === null) continue;
    const field = fields.find((f) => f.name === key);
    // Another field is set, or a second bytes field: the generated encoder handles it.
    if (!field || found || !(v instanceof Uint8Array) || v.length === 0) return undefined;
    found = field;
  }
  return found;
}

function bytesFieldsOf(type: Method['responseType']): BytesField[] {
  const descriptor = type.type as { field?: { name: string; number: number; type: string; label: string }[] };
  return (descriptor.field ?? [])
    .filter((f) => f.type === 'TYPE_BYTES' && f.label !== 'LABEL_REPEATED')
    .map((f) => ({ name: f.name, number: f.number }));
}

/** A service entry of a package definition (its values are methods), not a message or enum. */
export function isServiceDefinition(node: PackageDefinition[string]): boolean {
  if (!node || typeof node !== 'object' || 'format' in node) return false;
  return Object.values(node).every((m) => typeof (m as Method).path === 'string');
}
