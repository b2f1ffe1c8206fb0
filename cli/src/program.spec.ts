import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { status, type sendUnaryData, type ServerReadableStream, type ServerUnaryCall } from '@grpc/grpc-js';
import type { oip, registryv1 } from '@aimass/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../test/capture-io.js';
import { startTestServer, type TestServer } from '../test/grpc-test-server.js';
import { EXIT_USAGE, runCli } from './program.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'aimass-cli-program-'));
/** Points address resolution at a file that does not exist, so any attempt to dial shows up as exit 1. */
const NO_STACK = { AIMASS_STACK_ENV: path.join(tmp, 'no-stack.env') };

describe('usage errors exit 2 before anything is dialled', () => {
  it.each([
    ['no command', [], /Usage: aimass/],
    ['an unknown command', ['models', 'lsit'], /unknown command 'lsit'/],
    ['a missing FILE', ['models', 'push', 'iris'], /missing required argument 'FILE'/],
    [
      'an unknown format',
      ['models', 'push', 'iris', 'm.onnx', '--format', 'pt'],
      /Allowed choices are onnx, onnx-external, tfjs/,
    ],
    ['an extra argument', ['models', 'show', 'iris', 'extra'], /too many arguments/],
    [
      'VERSION zero',
      ['alias', 'set', 'iris', 'production', '0'],
      /invalid for argument 'VERSION'. expected a version number/,
    ],
    [
      'VERSION not a number',
      ['alias', 'set', 'iris', 'production', 'latest'],
      /invalid for argument 'VERSION'/,
    ],
    [
      'VERSION beyond uint32',
      ['alias', 'set', 'iris', 'production', '4294967296'],
      /invalid for argument 'VERSION'/,
    ],
    ['predict without --input', ['predict', 'iris'], /required option '--input <FILE>' not specified/],
    [
      'an unknown --output',
      ['predict', 'iris', '--input', 'x.json', '--output', 'csv'],
      /Allowed choices are json, table/,
    ],
    [
      'a --registry that is not host:port',
      ['--registry', 'registry', 'models', 'list'],
      /expected host:port/,
    ],
    [
      'a --inference URL',
      ['--inference', 'http://127.0.0.1:8001', 'predict', 'iris', '--input', 'x.json'],
      /expected host:port/,
    ],
  ])('%s', async (_what, args, message) => {
    const io = captureIo(NO_STACK);
    expect(await runCli(args, io)).toBe(EXIT_USAGE);
    expect(io.err()).toMatch(message);
    expect(io.out()).toBe('');
  });

  it('prints help on stdout and exits 0 when asked', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(['predict', '--help'], io)).toBe(0);
    expect(io.out()).toContain('"datatype": "FP32"');
    expect(io.out()).toContain('BYTES: strings (UTF-8)');
  });
});

const models: registryv1.Model[] = [
  {
    name: 'iris',
    latest_version: 3,
    aliases: { production: 2, staging: 3 },
    updated_at: '2025-01-02T00:00:00Z',
  },
  { name: 'mnist-ae', latest_version: 1, aliases: {}, updated_at: '2025-01-03T00:00:00Z' },
  { name: 'mnist-vae', latest_version: 0, aliases: {}, updated_at: '' },
];
const seen: {
  aliasRequests: registryv1.SetAliasRequest__Output[];
  versionRequests: registryv1.GetVersionRequest__Output[];
  inferRequests: oip.ModelInferRequest__Output[];
} = {
  aliasRequests: [],
  versionRequests: [],
  inferRequests: [],
};

/** A registry with the three models above, paging ListModels two at a time. */
const registryHandlers = {
  ListModels(
    call: ServerUnaryCall<registryv1.ListModelsRequest__Output, registryv1.ListModelsResponse>,
    cb: sendUnaryData<registryv1.ListModelsResponse>,
  ) {
    const matching = models.filter((m) => m.name!.startsWith(call.request.name_prefix));
    const from = call.request.page_token ? Number(call.request.page_token) : 0;
    const next = from + 2 < matching.length ? String(from + 2) : '';
    cb(null, { models: matching.slice(from, from + 2), next_page_token: next });
  },
  GetModel(
    call: ServerUnaryCall<registryv1.GetModelRequest__Output, registryv1.Model>,
    cb: sendUnaryData<registryv1.Model>,
  ) {
    const model = models.find((m) => m.name === call.request.name);
    if (model) cb(null, model);
    else cb({ code: status.NOT_FOUND, details: `model "${call.request.name}" does not exist` });
  },
  GetVersion(
    call: ServerUnaryCall<registryv1.GetVersionRequest__Output, registryv1.ModelVersion>,
    cb: sendUnaryData<registryv1.ModelVersion>,
  ) {
    seen.versionRequests.push(call.request);
    cb(null, {
      model: call.request.model,
      version: 2,
      state: 'READY',
      format: 'onnx',
      size_bytes: 2048,
      sha256: 'ab'.repeat(32),
      aliases: ['production'],
      signature: {
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }],
      },
    });
  },
  SetAlias(
    call: ServerUnaryCall<registryv1.SetAliasRequest__Output, registryv1.Alias>,
    cb: sendUnaryData<registryv1.Alias>,
  ) {
    seen.aliasRequests.push(call.request);
    cb(null, {
      model: call.request.model,
      alias: call.request.alias,
      version: call.request.version,
      previous_version: 2,
    });
  },
  PushVersion(
    call: ServerReadableStream<registryv1.PushVersionRequest__Output, registryv1.ModelVersion>,
    cb: sendUnaryData<registryv1.ModelVersion>,
  ) {
    call.on('data', () => undefined);
    call.on('end', () => cb(null, { model: 'iris', version: 4 }));
  },
};

/**
 * An inference server that answers each input as an output named `<input>_out`, raw bytes echoed
 * byte for byte. Model "typed" answers in typed contents instead (OIP: all outputs raw, or none).
 */
const inferenceHandlers = {
  ModelInfer(
    call: ServerUnaryCall<oip.ModelInferRequest__Output, oip.ModelInferResponse>,
    cb: sendUnaryData<oip.ModelInferResponse>,
  ) {
    const req = call.request;
    seen.inferRequests.push(req);
    if (req.model_name === 'typed') {
      return cb(null, {
        model_name: 'typed',
        model_version: '1',
        outputs: [
          { name: 'score', datatype: 'FP64', shape: [2], contents: { fp64_contents: [0.5, 0.25] } },
          {
            name: 'big',
            datatype: 'UINT64',
            shape: [1],
            contents: { uint64_contents: ['18446744073709551615'] },
          },
        ],
      });
    }
    cb(null, {
      model_name: req.model_name,
      model_version: req.model_version || '7',
      outputs: req.inputs.map((t) => ({ name: `${t.name}_out`, datatype: t.datatype, shape: t.shape })),
      raw_output_contents: req.raw_input_contents,
    });
  },
};

describe('commands against real gRPC servers', () => {
  let registry: TestServer;
  let inference: TestServer;
  let closedAddress: string;
  const withRegistry = (...args: string[]) => ['--registry', registry.address, ...args];

  beforeAll(async () => {
    registry = await startTestServer('registry', registryHandlers);
    inference = await startTestServer('inference', inferenceHandlers);
    const closed = await startTestServer('registry', {});
    closedAddress = closed.address;
    await closed.stop();
  });
  afterAll(async () => {
    await registry?.stop();
    await inference?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('models push prints only the new version number', async () => {
    const file = path.join(tmp, 'm.onnx');
    fs.writeFileSync(file, 'onnx bytes');
    const io = captureIo(NO_STACK);
    expect(await runCli(withRegistry('models', 'push', 'iris', file, '--alias', 'staging'), io)).toBe(0);
    expect(io.out()).toBe('4\n');
    expect(io.err()).toBe('');
  });

  it('models list follows every page and shows aliases as alias=version', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(withRegistry('models', 'list'), io)).toBe(0);
    const lines = io.out().trimEnd().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+LATEST\s+ALIASES\s+UPDATED$/);
    expect(lines.slice(1).map((l) => l.split(/\s{2,}/))).toEqual([
      ['iris', '3', 'production=2, staging=3', '2025-01-02T00:00:00Z'],
      ['mnist-ae', '1', '-', '2025-01-03T00:00:00Z'],
      ['mnist-vae', '-', '-', '-'],
    ]);
  });

  it('models list --prefix narrows the list', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(withRegistry('models', 'list', '--prefix', 'mnist'), io)).toBe(0);
    expect(io.out()).not.toContain('iris');
    expect(io.out()).toContain('mnist-vae');
  });

  it('a gRPC error prints `error: STATUS: details` on stderr, no stack, and exits 1', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(withRegistry('models', 'show', 'ghost'), io)).toBe(1);
    expect(io.err()).toBe('error: NOT_FOUND: model "ghost" does not exist\n');
    expect(io.out()).toBe('');
  });

  it('an unreachable registry is UNAVAILABLE with a hint', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(['--registry', closedAddress, 'models', 'list'], io)).toBe(1);
    expect(io.err()).toMatch(/^error: UNAVAILABLE: .*\nhint: is the mesh up\?/);
  });

  it('dials the address from the stack.env that AIMASS_STACK_ENV names', async () => {
    const file = path.join(tmp, 'stack.env');
    fs.writeFileSync(file, `AIMASS_REGISTRY_GRPC=${registry.address}\nAIMASS_STACK_PID=1\n`);
    const io = captureIo({ AIMASS_STACK_ENV: file });
    expect(await runCli(['models', 'show', 'iris'], io)).toBe(0);
    expect(io.out()).toMatch(/^aliases: +production=2, staging=3$/m);
  });

  it('alias set sends the version as a number and reports the previous one', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(withRegistry('alias', 'set', 'iris', 'production', '3'), io)).toBe(0);
    expect(seen.aliasRequests.at(-1)).toMatchObject({ model: 'iris', alias: 'production', version: 3 });
    expect(io.out()).toBe('iris@production -> 3 (was 2)\n');
  });

  it('versions show passes an alias through and prints the signature', async () => {
    const io = captureIo(NO_STACK);
    expect(await runCli(withRegistry('versions', 'show', 'iris', 'production'), io)).toBe(0);
    expect(seen.versionRequests.at(-1)).toMatchObject({ model: 'iris', version: 'production' });
    expect(io.out()).toMatch(/^inputs: +input FP32 \[-1, 4\]$/m);
    expect(io.out()).toMatch(/^size: +2\.0 KiB \(2048 bytes\)$/m);
  });

  it('predict sends raw little-endian inputs and prints decoded outputs as JSON', async () => {
    const input = path.join(tmp, 'input.json');
    fs.writeFileSync(
      input,
      JSON.stringify({
        inputs: [
          { name: 'x', datatype: 'FP32', shape: [1, 2], data: [[0.5, -2]] },
          { name: 'ids', datatype: 'INT64', shape: [2], data: [1, '9007199254740993'] },
          { name: 'text', datatype: 'BYTES', shape: [1], data: ['hé'] },
        ],
        outputs: ['x_out'],
      }),
    );
    const io = captureIo(NO_STACK);
    expect(
      await runCli(
        ['--inference', inference.address, 'predict', 'iris', '--input', input, '--version', 'staging'],
        io,
      ),
    ).toBe(0);

    const sent = seen.inferRequests.at(-1)!;
    expect(sent).toMatchObject({
      model_name: 'iris',
      model_version: 'staging',
      outputs: [{ name: 'x_out' }],
    });
    expect(sent.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['x', 'FP32', ['1', '2']],
      ['ids', 'INT64', ['2']],
      ['text', 'BYTES', ['1']],
    ]);
    expect([...sent.raw_input_contents[0]!]).toEqual([0, 0, 0, 0x3f, 0, 0, 0, 0xc0]);

    expect(JSON.parse(io.out())).toEqual({
      model_name: 'iris',
      model_version: 'staging',
      outputs: [
        { name: 'x_out', datatype: 'FP32', shape: [1, 2], data: [0.5, -2] },
        { name: 'ids_out', datatype: 'INT64', shape: [2], data: [1, '9007199254740993'] },
        { name: 'text_out', datatype: 'BYTES', shape: [1], data: ['hé'] },
      ],
    });
  });

  it('predict decodes outputs sent in typed contents', async () => {
    const input = path.join(tmp, 'typed.json');
    fs.writeFileSync(
      input,
      JSON.stringify({ inputs: [{ name: 'x', datatype: 'BOOL', shape: [1], data: [true] }] }),
    );
    const io = captureIo(NO_STACK);
    expect(await runCli(['--inference', inference.address, 'predict', 'typed', '--input', input], io)).toBe(
      0,
    );
    expect(JSON.parse(io.out()).outputs).toEqual([
      { name: 'score', datatype: 'FP64', shape: [2], data: [0.5, 0.25] },
      { name: 'big', datatype: 'UINT64', shape: [1], data: ['18446744073709551615'] },
    ]);
  });

  it('predict --output table prints one row per output', async () => {
    const input = path.join(tmp, 'table.json');
    fs.writeFileSync(
      input,
      JSON.stringify({ inputs: [{ name: 'x', datatype: 'INT8', shape: [3], data: [1, 2, 3] }] }),
    );
    const io = captureIo(NO_STACK);
    expect(
      await runCli(
        ['--inference', inference.address, 'predict', 'iris', '--input', input, '--output', 'table'],
        io,
      ),
    ).toBe(0);
    expect(io.out()).toMatch(
      /^model iris version 7\nOUTPUT\s+DATATYPE\s+SHAPE\s+DATA\nx_out\s+INT8\s+\[3\]\s+1, 2, 3\n$/,
    );
  });

  it.each([
    ['a missing file', null, /^error: cannot read .*absent\.json: no such file\n$/],
    ['invalid JSON', '{"inputs": [', /^error: .*bad\.json is not valid JSON/],
    [
      'a file without inputs',
      '{"outputs": ["y"]}',
      /^error: .*bad\.json is not a predict input file: inputs: /,
    ],
    [
      'a misspelled key',
      '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1], "values": [1]}]}',
      /inputs\.0\.data: .*inputs\.0: Unrecognized key: "values"/,
    ],
    [
      'data that disagrees with the shape',
      '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [1, 4], "data": [1, 2]}]}',
      /^error: tensor "x": data has 2 elements but shape \[1, 4\] needs 4\n$/,
    ],
    [
      'a non-numeric value',
      '{"inputs": [{"name": "x", "datatype": "FP32", "shape": [2], "data": [1, "two"]}]}',
      /^error: tensor "x": element 1 is "two"; FP32 needs numbers\n$/,
    ],
  ])('predict with %s fails with exit 1 and sends nothing', async (_what, content, message) => {
    const file = path.join(tmp, content === null ? 'absent.json' : 'bad.json');
    if (content !== null) fs.writeFileSync(file, content);
    const before = seen.inferRequests.length;
    const io = captureIo(NO_STACK);
    expect(await runCli(['--inference', inference.address, 'predict', 'iris', '--input', file], io)).toBe(1);
    expect(io.err()).toMatch(message);
    expect(seen.inferRequests.length).toBe(before);
  });
});
