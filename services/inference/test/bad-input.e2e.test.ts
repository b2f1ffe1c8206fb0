import { exportIdentityModel } from '@aimass/onnx';
import type { Mesh } from '@aimass/testing';
import { status, type ServiceError } from '@grpc/grpc-js';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStream, streamAll, unary, type OipClient } from './oip-client.js';
import { pushModel } from './registry-push.js';
import { startServing, type ServingMesh } from './serving-mesh.js';

// Bad requests from a generic OIP v2 client: each gets INVALID_ARGUMENT or RESOURCE_EXHAUSTED with
// a message that says what to fix, the same text arrives in a stream's error_message, and the
// server stays up with bounded memory however often they arrive.

const MAX_MESSAGE = 1024 * 1024;
const f32 = (n: number) => Buffer.alloc(n * 4);
const fp = (shape: unknown[], extra: Record<string, unknown> = {}) => ({
  name: 'input',
  datatype: 'FP32',
  shape,
  ...extra,
});
const m = (model: string, req: Record<string, unknown>) => ({ modelName: model, ...req });
const lengthPrefix = (n: number) => Buffer.from(Uint32Array.of(n).buffer);

type Case = [string, Record<string, unknown>, status, string];
const CASES: Case[] = [
  [
    'an empty model name',
    { modelName: '', inputs: [fp([1, 3])] },
    status.INVALID_ARGUMENT,
    'model_name is empty',
  ],
  [
    'no inputs',
    m('bad-fp32', { inputs: [] }),
    status.INVALID_ARGUMENT,
    'the request has no inputs; the model expects input (FP32 [-1, 3])',
  ],
  [
    'an unknown input',
    m('bad-fp32', { inputs: [{ ...fp([1, 3]), name: 'x' }], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    'unknown input "x"',
  ],
  [
    'an input given twice',
    m('bad-fp32', { inputs: [fp([1, 3]), fp([1, 3])], rawInputContents: [f32(3), f32(3)] }),
    status.INVALID_ARGUMENT,
    'input "input" is given twice',
  ],
  [
    'a missing input',
    m('bad-pair', { inputs: [{ ...fp([1, 3]), name: 'a' }], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    'missing input "b"',
  ],
  [
    'a wrong datatype',
    m('bad-fp32', { inputs: [fp([1, 3], { datatype: 'FP64' })], rawInputContents: [Buffer.alloc(24)] }),
    status.INVALID_ARGUMENT,
    "datatype FP64 does not match the model's FP32",
  ],
  [
    'a datatype that does not exist',
    m('bad-fp32', { inputs: [fp([1, 3], { datatype: 'FLOAT' })], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    '"FLOAT" is not an OIP v2 datatype',
  ],
  [
    'a lower-case datatype',
    m('bad-fp32', { inputs: [fp([1, 3], { datatype: 'fp32' })], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    '"fp32" is not an OIP v2 datatype',
  ],
  [
    'a wrong rank',
    m('bad-fp32', { inputs: [fp([3])], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    "shape [3] does not match the model's [-1, 3]",
  ],
  [
    'a wrong fixed dimension',
    m('bad-fp32', { inputs: [fp([1, 4])], rawInputContents: [f32(4)] }),
    status.INVALID_ARGUMENT,
    'shape [1, 4] does not match',
  ],
  [
    'a negative dimension',
    m('bad-fp32', { inputs: [fp([-1, 3])], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    'dimension -1',
  ],
  [
    'a huge dimension',
    m('bad-fp32', { inputs: [fp(['4611686018427387904', 3])], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    'is not a non-negative integer',
  ],
  [
    'huge dimensions whose product overflows',
    m('bad-4d', { inputs: [fp(['4294967296', '4294967296', 3, 3])], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    'has too many elements',
  ],
  [
    'a large shape with a small payload',
    m('bad-fp32', { inputs: [fp(['1000000000', 3])], rawInputContents: [f32(3)] }),
    status.INVALID_ARGUMENT,
    'raw content has 12 bytes but FP32 with 3000000000 elements needs 12000000000',
  ],
  [
    'batch size 0',
    m('bad-fp32', { inputs: [fp([0, 3])], rawInputContents: [Buffer.alloc(0)] }),
    status.INVALID_ARGUMENT,
    'has no elements (batch size 0?)',
  ],
  [
    "a batch above the model's max batch size",
    m('bad-fp32', { inputs: [fp([5, 3])], rawInputContents: [f32(15)] }),
    status.INVALID_ARGUMENT,
    'takes at most 4 per request',
  ],
  [
    'raw bytes too short',
    m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [Buffer.alloc(11)] }),
    status.INVALID_ARGUMENT,
    'raw content has 11 bytes but FP32 with 3 elements needs 12',
  ],
  [
    'raw bytes too long',
    m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [Buffer.alloc(13)] }),
    status.INVALID_ARGUMENT,
    'raw content has 13 bytes',
  ],
  [
    'more raw entries than inputs',
    m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [f32(3), f32(3)] }),
    status.INVALID_ARGUMENT,
    'raw_input_contents has 2 entries but there are 1 inputs',
  ],
  [
    'raw and typed contents both',
    m('bad-fp32', {
      inputs: [fp([1, 3], { contents: { fp32Contents: [1, 2, 3] } })],
      rawInputContents: [f32(3)],
    }),
    status.INVALID_ARGUMENT,
    'both raw_input_contents and typed contents are set',
  ],
  [
    'typed contents in the wrong field',
    m('bad-fp32', { inputs: [fp([1, 3], { contents: { intContents: [1, 2, 3] } })] }),
    status.INVALID_ARGUMENT,
    'FP32 is carried in fp32_contents, but int_contents was set',
  ],
  [
    'too few typed values',
    m('bad-fp32', { inputs: [fp([1, 3], { contents: { fp32Contents: [1, 2] } })] }),
    status.INVALID_ARGUMENT,
    'fp32_contents has 2 values but the shape needs 3',
  ],
  ['no data at all', m('bad-fp32', { inputs: [fp([1, 3])] }), status.INVALID_ARGUMENT, 'carries no data'],
  [
    'an INT8 value out of range',
    m('bad-int8', {
      inputs: [{ name: 'input', datatype: 'INT8', shape: [1, 3], contents: { intContents: [1, 300, 2] } }],
    }),
    status.INVALID_ARGUMENT,
    'value 1 (300) is not an integer in the INT8 range',
  ],
  [
    'a negative UINT8 value',
    m('bad-uint8', {
      inputs: [
        { name: 'input', datatype: 'UINT8', shape: [1, 3], contents: { uintContents: [1, 2, 4294967295] } },
      ],
    }),
    status.INVALID_ARGUMENT,
    'is not an integer in the UINT8 range',
  ],
  [
    'typed contents for FP16',
    m('bad-fp16', {
      inputs: [{ name: 'input', datatype: 'FP16', shape: [1, 3], contents: { fp32Contents: [1, 2, 3] } }],
    }),
    status.INVALID_ARGUMENT,
    'FP16 has no typed contents field in OIP v2',
  ],
  [
    'a truncated BYTES length prefix',
    m('bad-bytes', {
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 3] }],
      rawInputContents: [Buffer.from([1, 0])],
    }),
    status.INVALID_ARGUMENT,
    'BYTES element 0 has a truncated length prefix',
  ],
  [
    'a BYTES element longer than the payload',
    m('bad-bytes', {
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 3] }],
      rawInputContents: [Buffer.concat([lengthPrefix(1000), Buffer.from('abc')])],
    }),
    status.INVALID_ARGUMENT,
    'claims 1000 bytes but only 3 remain',
  ],
  [
    'too few BYTES elements',
    m('bad-bytes', {
      inputs: [{ name: 'input', datatype: 'BYTES', shape: [1, 3] }],
      rawInputContents: [Buffer.concat([lengthPrefix(1), Buffer.from('a')])],
    }),
    status.INVALID_ARGUMENT,
    'holds 1 BYTES elements but the shape needs 3',
  ],
  [
    'an unknown requested output',
    m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [f32(3)], outputs: [{ name: 'nope' }] }),
    status.INVALID_ARGUMENT,
    'unknown requested output "nope"; the model\'s outputs are output, copy',
  ],
  [
    'an output requested twice',
    m('bad-fp32', {
      inputs: [fp([1, 3])],
      rawInputContents: [f32(3)],
      outputs: [{ name: 'copy' }, { name: 'copy' }],
    }),
    status.INVALID_ARGUMENT,
    'an output is requested twice',
  ],
  [
    'a request parameter without a value',
    m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [f32(3)], parameters: { priority: {} } }),
    status.INVALID_ARGUMENT,
    'request parameter "priority" has no value',
  ],
  [
    'a timeout parameter that is not a number',
    m('bad-fp32', {
      inputs: [fp([1, 3])],
      rawInputContents: [f32(3)],
      parameters: { timeout: { stringParam: '1s' } },
    }),
    status.INVALID_ARGUMENT,
    '"timeout" must be a non-negative int64_param',
  ],
  [
    'a message above the size limit',
    m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [Buffer.alloc(MAX_MESSAGE + 1024)] }),
    status.RESOURCE_EXHAUSTED,
    'larger than max',
  ],
];

describe('bad input', () => {
  let serving: ServingMesh;
  let mesh: Mesh;
  let oip: OipClient;

  beforeAll(async () => {
    serving = await startServing({
      env: {
        AIMASS_LOG_LEVEL: 'error',
        AIMASS_GRPC_MAX_MESSAGE_BYTES: String(MAX_MESSAGE),
        // A small old space makes V8 collect early, so what RSS shows is what is really retained;
        // a leak would end in an out-of-memory crash that the liveness checks catch.
        NODE_OPTIONS: '--max-old-space-size=128',
      },
      // The client may send more than the server accepts: the limit under test is the server's.
      oipOptions: { 'grpc.max_send_message_length': 8 * MAX_MESSAGE },
    });
    ({ mesh, oip } = serving);
    const registry = serving.registry;
    await pushModel(registry, 'bad-fp32', exportIdentityModel({ datatype: 'FP32', shape: [-1, 3] }), {
      tags: { 'inference.max_batch_size': '4' },
    });
    await pushModel(
      registry,
      'bad-pair',
      exportIdentityModel({
        datatype: 'FP32',
        shape: [-1, 3],
        inputNames: ['a', 'b'],
        outputNames: ['a_out', 'b_out'],
      }),
    );
    await pushModel(registry, 'bad-tiny-queue', exportIdentityModel({ datatype: 'FP32', shape: [-1, 3] }), {
      tags: { 'inference.max_queue': '2', 'inference.max_batch_size': '1' },
    });
    await pushModel(registry, 'bad-4d', exportIdentityModel({ datatype: 'FP32', shape: [-1, -1, 3, 3] }));
    for (const dt of ['INT8', 'UINT8', 'FP16', 'BYTES'] as const)
      await pushModel(
        registry,
        `bad-${dt.toLowerCase()}`,
        exportIdentityModel({ datatype: dt, shape: [-1, 3] }),
      );
  });

  afterAll(async () => {
    await serving?.stop();
  });

  it('has at least 30 cases', () => expect(CASES.length).toBeGreaterThanOrEqual(30));

  it.each(CASES)('refuses %s', async (_what, req, code, message) => {
    const err = (await unary(oip, 'ModelInfer', req).catch((e: ServiceError) => e)) as ServiceError;
    expect(err).toBeInstanceOf(Error);
    expect(status[err.code]).toBe(status[code]);
    expect(err.details).toContain(message);
    expect(await unary(oip, 'ServerLive', {})).toEqual({ live: true });
  });

  it("answers RESOURCE_EXHAUSTED when a model's queue is full, and serves the rest", async () => {
    const req = m('bad-tiny-queue', { inputs: [fp([1, 3])], rawInputContents: [f32(3)] });
    await unary(oip, 'ModelInfer', req);
    const outcomes = await Promise.all(
      Array.from({ length: 200 }, () =>
        unary(oip, 'ModelInfer', req).then(
          () => 'ok',
          (e: ServiceError) => e,
        ),
      ),
    );
    const refused = outcomes.filter((o): o is ServiceError => o !== 'ok');
    expect(refused.length).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o === 'ok').length).toBeGreaterThan(0);
    for (const err of refused) {
      expect(status[err.code]).toBe('RESOURCE_EXHAUSTED');
      expect(err.details).toMatch(/requests queued or running \(limit 2\); retry with backoff/);
    }
  });

  it('answers the same refusals inside a stream, which carries on', async () => {
    const inStream = CASES.filter(([, , code]) => code === status.INVALID_ARGUMENT);
    const responses = await streamAll(oip, [
      ...inStream.map(([, req], i) => ({ ...req, id: String(i) })),
      m('bad-fp32', { id: 'ok', inputs: [fp([1, 3])], rawInputContents: [f32(3)] }),
    ]);
    expect(responses).toHaveLength(inStream.length + 1);
    for (const r of responses) {
      if (r.inferResponse?.id === 'ok') {
        expect(r.errorMessage).toBe('');
        continue;
      }
      const [, , , message] = inStream[Number(r.inferResponse!.id)]!;
      expect(r.errorMessage).toBe(`INVALID_ARGUMENT: ${r.errorMessage.slice('INVALID_ARGUMENT: '.length)}`);
      expect(r.errorMessage).toContain(message);
    }
  });

  it('survives streams cancelled mid-way, with requests in flight', async () => {
    for (let round = 0; round < 5; round++) {
      const stream = openStream(oip);
      stream.on('error', () => undefined);
      for (let i = 0; i < 50; i++)
        stream.write(m('bad-fp32', { id: String(i), inputs: [fp([4, 3])], rawInputContents: [f32(12)] }));
      await new Promise((r) => setTimeout(r, round * 3));
      stream.cancel();
    }
    expect(await unary(oip, 'ServerLive', {})).toEqual({ live: true });
    const ok = await unary<{ rawOutputContents: Buffer[] }>(
      oip,
      'ModelInfer',
      m('bad-fp32', { inputs: [fp([1, 3])], rawInputContents: [f32(3)] }),
    );
    expect(ok.rawOutputContents[0]!.length).toBe(12);
  });

  it('keeps its memory bounded under a stream of bad requests', async () => {
    const pid = mesh.services.get('inference')!.child.pid;
    const rss = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;
    const round = () =>
      Promise.all(CASES.map(([, req]) => unary(oip, 'ModelInfer', req).catch(() => undefined)));
    const samples: number[] = [];
    for (let block = 0; block < 8; block++) {
      for (let i = 0; i < 15; i++) await round();
      samples.push(rss());
    }
    // RSS settles once V8's heap has grown to its working size; a leak keeps it climbing. The last
    // four blocks (60 rounds of every case, 1 MB oversize messages included) must add little.
    expect(samples[7]! - samples[3]!).toBeLessThan(32 * 1024 * 1024);
    expect(await unary(oip, 'ServerLive', {})).toEqual({ live: true });
  });
});
