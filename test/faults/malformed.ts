import type { PackageDefinition } from '@aimass/grpc';
import fc from 'fast-check';

// Generators of hostile gRPC requests, from the services' own proto descriptors: random field values
// of the right wire types (long strings, huge numbers, huge repeated fields), valid requests with one
// field replaced, and byte-level damage (truncation, flipped bytes, random bytes) of valid encodings.

interface FieldDescriptor {
  name: string;
  label: string;
  type: string;
  typeName: string;
}
interface MessageDescriptor {
  name: string;
  field: FieldDescriptor[];
  nestedType: MessageDescriptor[];
  options?: { mapEntry?: boolean } | null;
}
interface MethodDefinition {
  path: string;
  requestStream: boolean;
  responseStream: boolean;
  requestSerialize(value: unknown): Buffer;
  requestType: { type: MessageDescriptor };
}

const string = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom(
    '',
    '..',
    '../../etc/passwd',
    '*',
    'production',
    'a'.repeat(100_000),
    '\u0000',
    '\u{1F4A5}',
  ),
);
const int = fc.oneof(fc.integer(), fc.constantFrom(0, -1, 2 ** 31 - 1, -(2 ** 31)));
const uint = fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1));
const int64 = fc.oneof(
  fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String),
  fc.constantFrom('0', '-1', '9223372036854775807'),
);
const uint64 = fc.oneof(
  fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  fc.constantFrom('0', '18446744073709551615'),
);
const double = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, 1e308, -0));
const shortString = fc.string({ maxLength: 16 });
const shortBytes = fc.uint8Array({ maxLength: 16 }).map((b) => Buffer.from(b));
const bytes = fc.oneof(
  fc.uint8Array({ maxLength: 64 }).map((b) => Buffer.from(b)),
  fc.integer({ min: 0, max: 2_000_000 }).map((n) => Buffer.alloc(n, 7)),
);

export class MalformedRequests {
  private readonly messages = new Map<string, fc.Arbitrary<Record<string, unknown>>>();
  /** Every message type, nested ones included, by full name without the leading dot. */
  private readonly types = new Map<string, MessageDescriptor>();

  constructor(definition: PackageDefinition) {
    const add = (name: string, d: MessageDescriptor): void => {
      this.types.set(name, d);
      for (const nested of d.nestedType ?? []) add(`${name}.${nested.name}`, nested);
    };
    for (const [name, entry] of Object.entries(definition)) {
      const type = (entry as unknown as { format?: string; type?: MessageDescriptor }).type;
      if (type && 'field' in type) add(name, type);
    }
  }

  /** Values of the right wire types for every field, down to `depth` nested messages. */
  message(typeName: string, depth = 3): fc.Arbitrary<Record<string, unknown>> {
    const key = `${typeName}@${depth}`;
    const cached = this.messages.get(key);
    if (cached) return cached;
    const descriptor = this.descriptorOf(typeName, '');
    const fields: Record<string, fc.Arbitrary<unknown>> = {};
    for (const f of descriptor.field) {
      const field = { ...f, typeName: f.typeName && this.resolve(f.typeName, typeName) };
      const repeated = f.label === 'LABEL_REPEATED' && !this.isMap(field);
      const value = this.scalar(field, depth, repeated);
      if (!value) continue;
      fields[f.name] = repeated ? this.repeated(value, this.scalar(field, 0, true)) : value;
    }
    const arb = fc.record(fields, { requiredKeys: [] });
    this.messages.set(key, arb);
    return arb;
  }

  /** A valid request with one field replaced by a random value of its type. */
  mutated(typeName: string, valid: Record<string, unknown>): fc.Arbitrary<Record<string, unknown>> {
    return this.message(typeName).chain((random) => {
      const names = Object.keys(random);
      if (names.length === 0) return fc.constant(valid);
      return fc.constantFrom(...names).map((name) => ({ ...valid, [name]: random[name] }));
    });
  }

  /** Damaged encodings of a valid request: cut short, bytes flipped, or noise. */
  damaged(encoded: Buffer): fc.Arbitrary<Buffer> {
    return fc.oneof(
      fc.integer({ min: 0, max: Math.max(0, encoded.length - 1) }).map((n) => encoded.subarray(0, n)),
      fc
        .array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 8 })
        .map((flips) => {
          const copy = Buffer.from(encoded);
          for (const [at, mask] of flips) if (copy.length) copy[at % copy.length]! ^= mask;
          return copy;
        }),
      fc.uint8Array({ minLength: 1, maxLength: 512 }).map((b) => Buffer.from(b)),
      // A length prefix that claims far more bytes than follow.
      fc.constant(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x41])),
    );
  }

  /** A few elements, or (for scalar elements: `small` is undefined for messages) a huge number of small ones. */
  private repeated(
    value: fc.Arbitrary<unknown>,
    small: fc.Arbitrary<unknown> | undefined,
  ): fc.Arbitrary<unknown[]> {
    const few = fc.array(value, { maxLength: 6 });
    if (!small) return few;
    return fc.oneof(
      { weight: 8, arbitrary: few },
      {
        weight: 1,
        arbitrary: fc
          .tuple(small, fc.integer({ min: 1_000, max: 200_000 }))
          .map(([v, n]) => Array(n).fill(v)),
      },
    );
  }

  private isMap(f: FieldDescriptor): boolean {
    if (f.type !== 'TYPE_MESSAGE') return false;
    return Boolean(this.descriptorOf(f.typeName, '').options?.mapEntry);
  }

  /** The full name a field's type name refers to, seen from inside message `scope` (protobuf scoping). */
  private resolve(typeName: string, scope: string): string {
    if (typeName.startsWith('.')) return typeName.slice(1);
    const parts = scope.split('.');
    for (let i = parts.length; i >= 0; i--) {
      const candidate = [...parts.slice(0, i), typeName].join('.');
      if (this.types.has(candidate)) return candidate;
    }
    return typeName;
  }

  private descriptorOf(typeName: string, scope: string): MessageDescriptor {
    const d = this.types.get(this.resolve(typeName, scope));
    if (!d) throw new Error(`no message type ${typeName} in the proto`);
    return d;
  }

  /** A value for one field; `small` keeps strings and bytes short (elements of repeated fields). */
  private scalar(f: FieldDescriptor, depth: number, small = false): fc.Arbitrary<unknown> | undefined {
    switch (f.type) {
      case 'TYPE_STRING':
        return small ? shortString : string;
      case 'TYPE_BYTES':
        return small ? shortBytes : bytes;
      case 'TYPE_BOOL':
        return fc.boolean();
      case 'TYPE_INT32':
      case 'TYPE_SINT32':
      case 'TYPE_SFIXED32':
      case 'TYPE_ENUM':
        return int;
      case 'TYPE_UINT32':
      case 'TYPE_FIXED32':
        return uint;
      case 'TYPE_INT64':
      case 'TYPE_SINT64':
      case 'TYPE_SFIXED64':
        return int64;
      case 'TYPE_UINT64':
      case 'TYPE_FIXED64':
        return uint64;
      case 'TYPE_DOUBLE':
      case 'TYPE_FLOAT':
        return double;
      case 'TYPE_MESSAGE': {
        if (depth === 0 || (small && depth < 3)) return undefined;
        const name = f.typeName;
        if (this.isMap(f)) {
          const entry = this.descriptorOf(f.typeName, '');
          const valueField = entry.field.find((e) => e.name === 'value')!;
          const value = this.scalar(
            { ...valueField, typeName: valueField.typeName && this.resolve(valueField.typeName, f.typeName) },
            depth - 1,
          );
          return value ? fc.dictionary(fc.string({ maxLength: 12 }), value, { maxKeys: 4 }) : undefined;
        }
        return this.message(name, depth - 1);
      }
      default:
        return undefined;
    }
  }
}

/** The unary methods of a loaded service, by name, with the full name of their request type. */
export function unaryMethods(
  definition: PackageDefinition,
  service: string,
): Map<string, MethodDefinition & { requestTypeName: string }> {
  const methods = definition[service] as unknown as Record<string, MethodDefinition>;
  const pkg = service.slice(0, service.lastIndexOf('.'));
  return new Map(
    Object.entries(methods)
      .filter(([, m]) => !m.requestStream && !m.responseStream)
      .map(([name, m]) => [name, { ...m, requestTypeName: `${pkg}.${m.requestType.type.name}` }]),
  );
}
