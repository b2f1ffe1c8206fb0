import type { MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { withBytesStreamSerializers } from './bytes-stream-serializer.js';
import { packageDefinitionOf } from './proto-loading.js';

type Method = MethodDefinition<object, object>;
const registry = packageDefinitionOf('registry');
const service = registry['aimass.registry.v1.RegistryService'] as Record<string, Method>;
const generated = service.DownloadVersion!;
const fast = (
  withBytesStreamSerializers(registry)['aimass.registry.v1.RegistryService'] as Record<string, Method>
).DownloadVersion!;

function bytes(n: number, seed: number): Buffer {
  return Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff));
}

describe('withBytesStreamSerializers', () => {
  it.each([1, 127, 128, 16_383, 16_384, 4 * 1024 * 1024 - 64 * 1024])(
    'encodes a %i-byte chunk exactly as protobufjs does',
    (n) => {
      const message = { chunk: bytes(n, n) };
      expect(Buffer.compare(fast.responseSerialize(message), generated.responseSerialize(message))).toBe(0);
    },
  );

  it('decodes back to the same bytes, also after the scratch buffer was reused for a longer message', () => {
    fast.responseSerialize({ chunk: bytes(1000, 1) });
    const encoded = Buffer.from(fast.responseSerialize({ chunk: bytes(10, 2) }));
    expect(Buffer.from((generated.responseDeserialize(encoded) as { chunk: Buffer }).chunk)).toEqual(
      bytes(10, 2),
    );
  });

  it.each([
    [
      'a message that also carries the version',
      { version: { model: 'm', version: '3' }, chunk: bytes(8, 3) },
    ],
    ['an empty chunk', { chunk: Buffer.alloc(0) }],
    ['a message with no field set', {}],
  ])('leaves %s to the generated encoder', (_what, message) => {
    expect(Buffer.compare(fast.responseSerialize(message), generated.responseSerialize(message))).toBe(0);
  });

  it('changes only server-streaming methods whose response has a bytes field', () => {
    const wrapped = withBytesStreamSerializers(registry)['aimass.registry.v1.RegistryService'] as Record<
      string,
      Method
    >;
    const changed = Object.keys(service).filter(
      (name) => wrapped[name]!.responseSerialize !== service[name]!.responseSerialize,
    );
    expect(changed).toEqual(['DownloadVersion']);
    // The cached definition that clients share is left as it was.
    expect(service.DownloadVersion!.responseSerialize).toBe(generated.responseSerialize);
  });
});
