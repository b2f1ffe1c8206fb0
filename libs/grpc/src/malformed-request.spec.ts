import { InvalidArgumentError } from '@aimass/errors';
import type { MethodDefinition } from '@grpc/proto-loader';
import { describe, expect, it } from 'vitest';
import { assertWellFormed, withTolerantDeserializers } from './malformed-request.js';
import { packageDefinitionOf } from './proto-loading.js';

type Method = MethodDefinition<object, object>;

const definition = withTolerantDeserializers(packageDefinitionOf('registry'));
const getVersion = (definition['aimass.registry.v1.RegistryService'] as Record<string, Method>).GetVersion!;
const valid = getVersion.requestSerialize({ model: 'm', version: '3' });

describe('withTolerantDeserializers', () => {
  it('decodes a valid request as before', () => {
    const request = getVersion.requestDeserialize(valid);
    expect(request).toMatchObject({ model: 'm', version: '3' });
    expect(() => assertWellFormed(request)).not.toThrow();
  });

  it.each([
    ['a field key cut off from its value', valid.subarray(0, 1)],
    ['a varint that never ends', Buffer.from([0xff, 0xff])],
    ['a wrong wire type', Buffer.from([0x0f])],
  ])('turns %s into INVALID_ARGUMENT naming the message type', (_, bytes) => {
    const request = getVersion.requestDeserialize(bytes);
    let error: unknown;
    try {
      assertWellFormed(request);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(InvalidArgumentError);
    expect((error as Error).message).toMatch(
      new RegExp(
        `^the request \\(${bytes.length} bytes\\) is not a valid protobuf aimass\\.registry\\.v1\\.GetVersionRequest: `,
      ),
    );
  });

  it('keeps health and the other services of the definition', () => {
    expect(Object.keys(definition)).toEqual(Object.keys(packageDefinitionOf('registry')));
    const check = (definition['grpc.health.v1.Health'] as Record<string, Method>).Check!;
    expect(check.requestDeserialize(Buffer.from([0xff]))).not.toHaveProperty('service');
  });
});
