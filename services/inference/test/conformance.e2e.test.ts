import { exportIdentityModel } from '@aimass/onnx';
import { type Datatype } from '@aimass/tensors';
import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { streamAll, unary, type InferResponse, type OipClient } from './oip-client.js';
import { startOtlpReceiver } from '../../../test/e2e/otlp-receiver.js';
import { pushModel } from './registry-push.js';
import { startServing, type ServingMesh } from './serving-mesh.js';

// Conformance of the OIP v2 surface, seen by a client built only from the official proto: every
// RPC, every datatype onnxruntime serves, raw and typed contents, output subsets, parameters, and
// outputs bit for bit equal to onnxruntime run in this process.

const ROWS = 2;
const COLS = 3;
const N = ROWS * COLS;

interface Sample {
  raw: Buffer;
  /** camelCase typed-contents field and values, when OIP has one for the datatype. */
  typed?: [string, unknown[]];
  ort: ort.Tensor;
}

function sample(dt: Datatype): Sample {
  const ints = (lo: number, hi: number) =>
    Array.from({ length: N }, (_, i) => Math.round(lo + ((Math.sin(i * 7.1) + 1) / 2) * (hi - lo)));
  const typedOf = <
    A extends ArrayLike<number | bigint> & {
      buffer: ArrayBufferLike;
      byteOffset: number;
      byteLength: number;
    },
  >(
    a: A,
    field: string,
    values: unknown[],
    ortType: string,
  ): Sample => ({
    raw: Buffer.from(a.buffer, a.byteOffset, a.byteLength),
    typed: [field, values],
    ort: new ort.Tensor(ortType as never, a as never, [ROWS, COLS]),
  });
  switch (dt) {
    case 'FP32': {
      const a = Float32Array.from({ length: N }, (_, i) => Math.sin(i) * 1e3);
      return typedOf(a, 'fp32Contents', Array.from(a), 'float32');
    }
    case 'FP64': {
      const a = Float64Array.from({ length: N }, (_, i) => Math.cos(i) / 3);
      return typedOf(a, 'fp64Contents', Array.from(a), 'float64');
    }
    case 'FP16': {
      const a = Uint16Array.from(ints(0, 0x7bff));
      const t = new ort.Tensor('uint16', a, [ROWS, COLS]);
      (t as { type: string }).type = 'float16';
      return { raw: Buffer.from(a.buffer), ort: t };
    }
    case 'INT8':
      return typedOf(Int8Array.from(ints(-128, 127)), 'intContents', ints(-128, 127), 'int8');
    case 'INT16':
      return typedOf(Int16Array.from(ints(-32768, 32767)), 'intContents', ints(-32768, 32767), 'int16');
    case 'INT32':
      return typedOf(Int32Array.from(ints(-2e9, 2e9)), 'intContents', ints(-2e9, 2e9), 'int32');
    case 'INT64': {
      const a = BigInt64Array.from(ints(-1e6, 1e6), (v, i) => BigInt(v) * 9_000_000_000_000n + BigInt(i));
      return typedOf(a, 'int64Contents', Array.from(a, String), 'int64');
    }
    case 'UINT8':
      return typedOf(Uint8Array.from(ints(0, 255)), 'uintContents', ints(0, 255), 'uint8');
    case 'UINT16':
      return typedOf(Uint16Array.from(ints(0, 65535)), 'uintContents', ints(0, 65535), 'uint16');
    case 'UINT32':
      return typedOf(Uint32Array.from(ints(0, 4e9)), 'uintContents', ints(0, 4e9), 'uint32');
    case 'UINT64': {
      const a = BigUint64Array.from(ints(0, 1e6), (v) => BigInt(v) * 18_000_000_000_000n);
      return typedOf(a, 'uint64Contents', Array.from(a, String), 'uint64');
    }
    case 'BOOL': {
      const flags = ints(0, 1).map((v) => v === 1);
      return {
        raw: Buffer.from(flags.map(Number)),
        typed: ['boolContents', flags],
        ort: new ort.Tensor('bool', Uint8Array.from(flags.map(Number)), [ROWS, COLS]),
      };
    }
    case 'BYTES': {
      const strings = Array.from({ length: N }, (_, i) => `élément-${i}-${'x'.repeat(i)}`);
      return {
        raw: lengthPrefixed(strings.map((s) => Buffer.from(s))),
        typed: ['bytesContents', strings.map((s) => Buffer.from(s))],
        ort: new ort.Tensor('string', strings, [ROWS, COLS]),
      };
    }
  }
}

function lengthPrefixed(parts: Buffer[]): Buffer {
  return Buffer.concat(parts.flatMap((p) => [Buffer.from(Uint32Array.of(p.length).buffer), p]));
}

function ortBytes(t: ort.Tensor): Buffer {
  if (t.type === 'string') return lengthPrefixed((t.data as string[]).map((s) => Buffer.from(s)));
  const d = t.data as unknown as { buffer: ArrayBufferLike; byteOffset: number; byteLength: number };
  return Buffer.from(d.buffer, d.byteOffset, d.byteLength);
}

const DATATYPES: Datatype[] = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
];
const modelOf = (dt: Datatype) => `conf-${dt.toLowerCase()}`;

// Both places onnxruntime can run (AIMASS_INFERENCE_EXECUTION) must give the same bytes.
describe.each(['event-loop', 'worker'])(
  'OIP v2 conformance with a generic client (onnxruntime on the %s)',
  (execution) => {
    let serving: ServingMesh;
    let oip: OipClient;
    let otlp: Awaited<ReturnType<typeof startOtlpReceiver>>;
    const models = new Map(
      DATATYPES.map((dt) => [dt, exportIdentityModel({ datatype: dt, shape: [-1, COLS] })]),
    );

    beforeAll(async () => {
      otlp = await startOtlpReceiver();
      serving = await startServing({
        otlpEndpoint: otlp.url,
        env: { AIMASS_INFERENCE_EXECUTION: execution },
      });
      for (const [dt, bytes] of models)
        await pushModel(serving.registry, modelOf(dt), bytes, { alias: 'production' });
      oip = serving.oip;
    });

    afterAll(async () => {
      await serving?.stop();
      await otlp?.close();
    });

    it('answers the server and model health and metadata RPCs', async () => {
      expect(await unary(oip, 'ServerLive', {})).toEqual({ live: true });
      expect(await unary(oip, 'ServerReady', {})).toEqual({ ready: true });
      expect(await unary<{ name: string }>(oip, 'ServerMetadata', {})).toMatchObject({ name: 'aimass' });
      expect(await unary(oip, 'ModelReady', { name: modelOf('FP32'), version: '' })).toEqual({ ready: true });
      const meta = await unary<{
        name: string;
        versions: string[];
        platform: string;
        inputs: unknown[];
        outputs: { name: string }[];
      }>(oip, 'ModelMetadata', { name: modelOf('INT64'), version: '1' });
      expect(meta).toMatchObject({ name: modelOf('INT64'), versions: ['1'], platform: 'onnxruntime_onnx' });
      expect(meta.inputs).toEqual([{ name: 'input', datatype: 'INT64', shape: expect.any(Array) }]);
      expect(meta.outputs.map((o) => o.name)).toEqual(['output', 'copy']);
    });

    describe.each(DATATYPES)('datatype %s', (dt) => {
      it('comes back bit for bit as onnxruntime computes it, from raw and from typed contents', async () => {
        const s = sample(dt);
        const session = await ort.InferenceSession.create(models.get(dt)!);
        const direct = await session.run({ input: s.ort });
        await session.release();

        const input = { name: 'input', datatype: dt, shape: [ROWS, COLS] };
        const res = await unary<InferResponse>(oip, 'ModelInfer', {
          modelName: modelOf(dt),
          id: `raw-${dt}`,
          inputs: [input],
          rawInputContents: [s.raw],
        });
        expect(res).toMatchObject({ modelName: modelOf(dt), modelVersion: '1', id: `raw-${dt}` });
        expect(res.outputs.map((o) => [o.name, o.datatype, o.shape.map(String)])).toEqual([
          ['output', dt, ['2', '3']],
          ['copy', dt, ['2', '3']],
        ]);
        expect(res.rawOutputContents[0]!.equals(ortBytes(direct.output!))).toBe(true);
        expect(res.rawOutputContents[1]!.equals(ortBytes(direct.copy!))).toBe(true);

        if (s.typed) {
          const [field, values] = s.typed;
          const typed = await unary<InferResponse>(oip, 'ModelInfer', {
            modelName: modelOf(dt),
            modelVersion: 'production',
            inputs: [{ ...input, contents: { [field]: values } }],
          });
          expect(typed.rawOutputContents[0]!.equals(ortBytes(direct.output!))).toBe(true);
        }

        // A subset of the outputs.
        const subset = await unary<InferResponse>(oip, 'ModelInfer', {
          modelName: modelOf(dt),
          inputs: [input],
          outputs: [{ name: 'copy' }],
          rawInputContents: [s.raw],
        });
        expect(subset.outputs.map((o) => o.name)).toEqual(['copy']);
        expect(subset.rawOutputContents).toHaveLength(1);
        expect(subset.rawOutputContents[0]!.equals(ortBytes(direct.copy!))).toBe(true);
      });
    });

    it('honours request parameters: timeout tightens the deadline, others are accepted, a valueless one is refused', async () => {
      const s = sample('FP32');
      const req = {
        modelName: modelOf('FP32'),
        inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS, COLS] }],
        rawInputContents: [s.raw],
      };
      const ok = await unary<InferResponse>(oip, 'ModelInfer', {
        ...req,
        parameters: {
          timeout: { int64Param: 5_000_000 },
          priority: { uint64Param: 1 },
          tag: { stringParam: 'x' },
        },
      });
      expect(ok.rawOutputContents[0]!.equals(s.raw)).toBe(true);
      const err = (await unary(oip, 'ModelInfer', {
        ...req,
        parameters: { timeout: { stringParam: 'soon' } },
      }).catch((e: ServiceError) => e)) as ServiceError;
      expect(err.code).toBe(status.INVALID_ARGUMENT);
      expect(err.details).toContain('"timeout"');
      const empty = (await unary(oip, 'ModelInfer', { ...req, parameters: { flag: {} } }).catch(
        (e: ServiceError) => e,
      )) as ServiceError;
      expect(empty.code).toBe(status.INVALID_ARGUMENT);
      expect(empty.details).toContain('"flag" has no value');
    });

    it('streams: one response per request, a bad request answered in error_message without ending the stream', async () => {
      const s = sample('INT32');
      const good = (id: string) => ({
        modelName: modelOf('INT32'),
        id,
        inputs: [{ name: 'input', datatype: 'INT32', shape: [ROWS, COLS] }],
        rawInputContents: [s.raw],
      });
      const responses = await streamAll(oip, [
        good('a'),
        { ...good('bad'), inputs: [{ name: 'input', datatype: 'FP32', shape: [ROWS, COLS] }] },
        { modelName: 'no-such-model', id: 'missing', inputs: [] },
        ...Array.from({ length: 20 }, (_, i) => good(`n${i}`)),
      ]);
      expect(responses).toHaveLength(23);
      const byId = new Map(responses.map((r) => [r.inferResponse?.id, r]));
      expect(byId.get('a')!.errorMessage).toBe('');
      expect(byId.get('a')!.inferResponse!.rawOutputContents[0]!.equals(s.raw)).toBe(true);
      expect(byId.get('bad')!.errorMessage).toMatch(
        /^INVALID_ARGUMENT: input "input": datatype FP32 does not match the model's INT32/,
      );
      expect(byId.get('missing')!.errorMessage).toMatch(/^NOT_FOUND: /);
      expect(responses.filter((r) => r.errorMessage === '')).toHaveLength(21);
    });

    it('reports Triton statistics per version', async () => {
      const res = await unary<{
        modelStats: {
          name: string;
          version: string;
          inferenceCount: { toString(): string };
          executionCount: { toString(): string };
          inferenceStats: { success: { count: { toString(): string } } };
        }[];
      }>(oip, 'ModelStatistics', { name: modelOf('INT32'), version: '' });
      expect(res.modelStats).toHaveLength(1);
      const st = res.modelStats[0]!;
      expect(st).toMatchObject({ name: modelOf('INT32'), version: '1' });
      expect(Number(st.inferenceStats.success.count.toString())).toBeGreaterThanOrEqual(22);
      expect(Number(st.inferenceCount.toString())).toBeGreaterThanOrEqual(44);
      expect(Number(st.executionCount.toString())).toBeGreaterThanOrEqual(1);
      expect(Number(st.executionCount.toString())).toBeLessThanOrEqual(
        Number(st.inferenceStats.success.count.toString()),
      );
    });

    it('indexes the repository and loads and unloads models', async () => {
      type Index = { models: { name: string; version: string; state: string }[] };
      const index = await unary<Index>(oip, 'RepositoryIndex', {});
      expect(index.models.filter((m) => m.name === modelOf('UINT8'))).toContainEqual(
        expect.objectContaining({ version: '1', state: 'READY' }),
      );
      await unary(oip, 'RepositoryModelUnload', { modelName: modelOf('UINT8') });
      const after = await unary<Index>(oip, 'RepositoryIndex', { ready: true });
      expect(after.models.some((m) => m.name === modelOf('UINT8'))).toBe(false);
      const all = await unary<Index>(oip, 'RepositoryIndex', {});
      expect(all.models).toContainEqual(
        expect.objectContaining({ name: modelOf('UINT8'), state: 'UNAVAILABLE' }),
      );
      expect(await unary(oip, 'ModelReady', { name: modelOf('UINT8'), version: '' })).toEqual({
        ready: false,
      });
      const s = sample('UINT8');
      const refused = (await unary(oip, 'ModelInfer', {
        modelName: modelOf('UINT8'),
        inputs: [{ name: 'input', datatype: 'UINT8', shape: [ROWS, COLS] }],
        rawInputContents: [s.raw],
      }).catch((e: ServiceError) => e)) as ServiceError;
      expect(refused.code).toBe(status.UNAVAILABLE);
      expect(refused.details).toContain('load it again with RepositoryModelLoad');
      await unary(oip, 'RepositoryModelLoad', { modelName: modelOf('UINT8') });
      const loaded = await unary<Index>(oip, 'RepositoryIndex', { ready: true });
      expect(loaded.models).toContainEqual(
        expect.objectContaining({ name: modelOf('UINT8'), version: '1', state: 'READY' }),
      );
      expect(await unary(oip, 'ModelReady', { name: modelOf('UINT8'), version: '' })).toEqual({
        ready: true,
      });

      const unknown = (await unary(oip, 'RepositoryModelLoad', { modelName: 'never-pushed' }).catch(
        (e: ServiceError) => e,
      )) as ServiceError;
      expect(unknown.code).toBe(status.NOT_FOUND);
      const repo = (await unary(oip, 'RepositoryIndex', { repositoryName: 'other' }).catch(
        (e: ServiceError) => e,
      )) as ServiceError;
      expect(repo.code).toBe(status.INVALID_ARGUMENT);
    });

    it("traces the prediction as a child of the caller's traceparent, with model, version, batch, queue and compute", async () => {
      const md = new Metadata();
      md.set('traceparent', '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01');
      const s = sample('FP64');
      const res = await unary<InferResponse>(
        oip,
        'ModelInfer',
        {
          modelName: modelOf('FP64'),
          inputs: [{ name: 'input', datatype: 'FP64', shape: [ROWS, COLS] }],
          rawInputContents: [s.raw],
        },
        md,
      );
      expect(res.rawOutputContents[0]!.equals(s.raw)).toBe(true);
      const end = Date.now() + 15_000;
      let span = otlp.spans.find((x) => x.traceId === '4bf92f3577b34da6a3ce929d0e0e4736');
      while (!span && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        span = otlp.spans.find((x) => x.traceId === '4bf92f3577b34da6a3ce929d0e0e4736');
      }
      expect(span).toMatchObject({
        name: 'ModelInfer',
        parentSpanId: '00f067aa0ba902b7',
        service: 'aimass-inference',
      });
      expect(span!.attributes).toMatchObject({
        'aimass.model': modelOf('FP64'),
        'aimass.model_version': '1',
        'aimass.batch_size': expect.anything(),
      });
      expect(Number(span!.attributes['aimass.batch_size'])).toBeGreaterThanOrEqual(2);
      for (const key of ['aimass.queue_us', 'aimass.compute_us'])
        expect(Number(span!.attributes[key])).toBeGreaterThanOrEqual(0);
    });
  },
);
