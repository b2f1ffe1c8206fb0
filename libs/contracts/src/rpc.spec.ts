import { InvalidArgumentError } from '@aimass/errors';
import { describe, expect, it } from 'vitest';
import { RPC, RpcReplySchema, parseInput } from './index.js';

const version = {
  model: 'fraud',
  version: 3,
  state: 'READY',
  format: 'onnx',
  size_bytes: 10,
  sha256: 'a'.repeat(64),
  artifact_key: 'models/fraud/artifacts/x',
  signature: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }], outputs: [] },
  created_at: '2026-01-01T00:00:00Z',
  tags: { 'inference.max_batch_size': '8' },
  aliases: ['production'],
};

describe('RPC.registry.getVersion', () => {
  const { request, reply, subject } = RPC.registry.getVersion;

  it('lives on aimass.rpc.registry.GetVersion and defaults the selector to the empty one', () => {
    expect(subject).toBe('aimass.rpc.registry.GetVersion');
    expect(request.parse({ model: 'fraud' })).toEqual({ model: 'fraud', version: '' });
  });

  it.each<[string, unknown, RegExp]>([
    ['no body at all', undefined, /expected object/i],
    ['an array', [], /expected object/i],
    ['no model', {}, /^invalid GetVersion: model: model must be a string$/],
    ['an empty model', { model: '' }, /model: model is empty/],
    ['a numeric model', { model: 7 }, /model: model must be a string/],
    ['a numeric version', { model: 'fraud', version: 3 }, /version: version must be a string/],
  ])('refuses a request with %s, naming the field', (_what, body, message) => {
    const err = (() => {
      try {
        parseInput(request, body, 'GetVersion');
      } catch (e) {
        return e;
      }
      throw new Error('expected a failure');
    })();
    expect(err).toBeInstanceOf(InvalidArgumentError);
    expect((err as Error).message).toMatch(message);
  });

  it('accepts a registry version and keeps every field it declares', () => {
    expect(reply.parse(version)).toEqual(version);
  });

  it.each<[string, object, RegExp]>([
    ['a short digest', { sha256: 'abc' }, /sha256/],
    ['version 0', { version: 0 }, /version/],
    ['an unknown format', { format: 'pt' }, /format/],
    ['a signature without outputs', { signature: { inputs: [] } }, /signature\.outputs/],
    ['a numeric tag value', { tags: { a: 1 } }, /tags\.a/],
  ])('refuses a reply with %s', (_what, change, message) => {
    expect(() => parseInput(reply, { ...version, ...change }, 'reply')).toThrow(message);
  });
});

describe('RpcReplySchema', () => {
  it.each([
    [{ ok: true, result: 1 }, true],
    [{ ok: false, error: { kind: 'NOT_FOUND', message: 'no such model' } }, true],
    [
      {
        ok: false,
        error: { kind: 'NOT_FOUND', message: 'm', cause: { kind: 'UNAVAILABLE', message: 's3' } },
      },
      true,
    ],
    [{ ok: false, error: { kind: 'NOT_FOUND', message: 'm', cause: { kind: 'UNAVAILABLE' } } }, false],
    [{ ok: false }, false],
    [{ ok: 'yes', result: 1 }, false],
    [{ result: 1 }, false],
  ])('%j is a valid envelope: %s', (body, valid) => {
    expect(RpcReplySchema.safeParse(body).success).toBe(valid);
  });
});
