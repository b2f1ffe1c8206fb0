import { describe, expect, it } from 'vitest';
import { EnvelopeError, encodeEnvelope, makeEnvelope, parseEnvelope } from './index.js';

const created = {
  model: 'fraud',
  version: 3,
  format: 'onnx' as const,
  sha256: 'a'.repeat(64),
  size_bytes: 10,
  artifact_key: 'models/fraud/artifacts/x',
  signature: { inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }], outputs: [] },
};

describe('event envelope', () => {
  it('round-trips through bytes with its data validated', () => {
    const env = makeEnvelope('registry.version.created', {
      source: 'aimass/registry',
      subject: 'models/fraud/versions/3',
      data: created,
      traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
    });
    const back = parseEnvelope(encodeEnvelope(env));
    expect(back).toEqual(env);
    expect(back.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('refuses to make an envelope whose data does not fit its type', () => {
    expect(() =>
      makeEnvelope('registry.version.created', {
        source: 's',
        subject: 'x',
        data: { ...created, version: -1 },
      }),
    ).toThrow();
  });

  it('fills defaults of a training request published from outside', () => {
    const raw = JSON.stringify({
      id: '1',
      type: 'trainer.job.requested',
      source: 'me',
      time: '2026-01-01T00:00:00.000Z',
      subject: 'jobs',
      data: { spec: { family: 'vae' } },
    });
    expect(parseEnvelope(raw).data).toEqual({ pool: 'cpu', spec: { family: 'vae' } });
  });

  it.each([
    ['not JSON', 'hello', 'not JSON'],
    ['not an object', '42', 'not an aimass event envelope'],
    [
      'no id',
      JSON.stringify({
        type: 'audit.record',
        source: 's',
        time: '2026-01-01T00:00:00.000Z',
        subject: 'x',
        data: {},
      }),
      'not an aimass event envelope',
    ],
    [
      'a bad time',
      JSON.stringify({
        id: '1',
        type: 'audit.record',
        source: 's',
        time: 'yesterday',
        subject: 'x',
        data: {},
      }),
      'not an aimass event envelope',
    ],
    [
      'a bad traceparent',
      JSON.stringify({
        id: '1',
        type: 'audit.record',
        source: 's',
        time: '2026-01-01T00:00:00.000Z',
        subject: 'x',
        traceparent: 'abc',
        data: {},
      }),
      'not an aimass event envelope',
    ],
    [
      'an unknown type',
      JSON.stringify({
        id: '1',
        type: 'nope',
        source: 's',
        time: '2026-01-01T00:00:00.000Z',
        subject: 'x',
        data: {},
      }),
      'unknown event type "nope"',
    ],
    [
      'bad data',
      JSON.stringify({
        id: '1',
        type: 'registry.alias.moved',
        source: 's',
        time: '2026-01-01T00:00:00.000Z',
        subject: 'x',
        data: { model: 'm' },
      }),
      'invalid data for registry.alias.moved',
    ],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => parseEnvelope(bytes)).toThrow(EnvelopeError);
    expect(() => parseEnvelope(bytes)).toThrow(message);
  });
});
