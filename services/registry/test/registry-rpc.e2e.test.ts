import { RPC } from '@aimass/contracts';
import { InvalidArgumentError, NotFoundError } from '@aimass/errors';
import { exportDenseNetwork, randomDenseNetwork } from '@aimass/onnx';
import { connectNats, NatsRpcClient, type NatsConnection } from '@aimass/nats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pieces, push, sha256, startRegistry, unary, type RegistryUnderTest } from './registry-harness.js';

// The registry's NATS request/reply endpoints, as the inference service calls them.

const onnx = exportDenseNetwork(
  randomDenseNetwork({ inputDim: 3, hidden: [4], outputDim: 2, seed: 5, activation: 'relu' }),
);

let t: RegistryUnderTest;
let nc: NatsConnection;
let rpc: NatsRpcClient;

beforeAll(async () => {
  t = await startRegistry();
  nc = await connectNats(t.nats.url, 'registry-rpc-test');
  rpc = new NatsRpcClient(nc);
  for (const model of ['rpc-a', 'rpc-b', 'rpc-c'])
    await push(t.client, { model, format: 'onnx' }, pieces(onnx));
  await unary((cb) => t.client.SetAlias({ model: 'rpc-b', alias: 'production', version: 1 }, cb));
});
afterAll(async () => {
  await nc?.close();
  await t?.stop();
});

describe('registry request/reply over NATS', () => {
  it('GetVersion answers a version by selector, with its digest and signature', async () => {
    const v = await rpc.call(RPC.registry.getVersion, { model: 'rpc-b' });
    expect(v).toMatchObject({ model: 'rpc-b', version: 1, format: 'onnx', aliases: ['production'] });
    expect(v.sha256).toBe(sha256(onnx));
    expect(v.signature.inputs[0]).toMatchObject({ datatype: 'FP32', shape: [-1, 3] });
  });

  it('GetVersion keeps a remote NOT_FOUND a NotFoundError', async () => {
    await expect(rpc.call(RPC.registry.getVersion, { model: 'rpc-a', version: '9' })).rejects.toThrow(
      NotFoundError,
    );
  });

  it('ListModels pages through every model name', async () => {
    const first = await rpc.call(RPC.registry.listModels, { name_prefix: 'rpc-', page_size: 2 });
    expect(first.names).toEqual(['rpc-a', 'rpc-b']);
    const rest = await rpc.call(RPC.registry.listModels, {
      name_prefix: 'rpc-',
      page_size: 2,
      page_token: first.next_page_token,
    });
    expect(rest).toEqual({ names: ['rpc-c'], next_page_token: '' });
  });

  it('answers a request that breaks the contract INVALID_ARGUMENT, and keeps serving', async () => {
    const reply = await nc.request(RPC.registry.getVersion.subject, '{"model": 7}', { timeout: 5_000 });
    expect(reply.json()).toEqual({
      ok: false,
      error: {
        kind: 'INVALID_ARGUMENT',
        message: 'invalid aimass.rpc.registry.GetVersion request: model: model must be a string',
      },
    });
    const garbage = await nc.request(RPC.registry.listModels.subject, 'not json', { timeout: 5_000 });
    expect(garbage.json()).toMatchObject({ ok: false, error: { kind: 'INVALID_ARGUMENT' } });
    await expect(rpc.call(RPC.registry.listModels, { page_size: -1 })).rejects.toThrow(InvalidArgumentError);
    expect((await rpc.call(RPC.registry.getVersion, { model: 'rpc-c' })).version).toBe(1);
  });
});
