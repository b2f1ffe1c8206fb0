import { makeEnvelope, parseEnvelope, STREAMS } from '@aimass/contracts';
import { UnavailableError } from '@aimass/errors';
import { startNatsServer, type NatsServer } from '@aimass/testing';
import type { JetStreamManager } from '@nats-io/jetstream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectNats, type NatsConnection } from './connection.js';
import { EventBus } from './event-bus.js';
import { provisionStreams } from './provisioning.js';

describe('EventBus against nats-server', () => {
  let server: NatsServer;
  let nc: NatsConnection;
  let jsm: JetStreamManager;

  beforeAll(async () => {
    server = await startNatsServer();
    nc = await connectNats(server.url, 'event-bus-spec');
    jsm = await provisionStreams(nc);
  });
  afterAll(async () => {
    await nc?.close();
    await server?.stop();
  });

  const stored = async (subject: string) => {
    const msg = await jsm.streams.getMessage(STREAMS.events.name, { last_by_subj: subject });
    if (!msg) throw new Error(`nothing stored on ${subject}`);
    return msg;
  };

  it('stores an enveloped event on the stream that owns the subject', async () => {
    const bus = new EventBus(nc, 'registry');
    const envelope = await bus.publish(
      'aimass.events.registry.model.created',
      'registry.model.created',
      'models/fraud',
      { model: 'fraud', description: 'card fraud' },
    );

    const msg = await stored('aimass.events.registry.model.created');
    expect(parseEnvelope(msg.data)).toEqual(envelope);
    expect(envelope).toMatchObject({
      type: 'registry.model.created',
      source: 'registry',
      subject: 'models/fraud',
      data: { model: 'fraud', description: 'card fraud' },
    });
    // The envelope id is the message id the duplicate window keys on.
    expect(msg.header?.get('Nats-Msg-Id')).toBe(envelope.id);
  });

  it('publishes a lifecycle event under the subject its type names', async () => {
    const bus = new EventBus(nc, 'registry');
    const envelope = await bus.publishEvent('registry.model.updated', 'models/fraud', {
      model: 'fraud',
      fields: ['description'],
      changes: { description: 'v2' },
    });
    expect(parseEnvelope((await stored('aimass.events.registry.model.updated')).data)).toEqual(envelope);
  });

  it('prepares an envelope without publishing it, and publishing it later stores exactly that envelope', async () => {
    const bus = new EventBus(nc, 'registry');
    const before = (await jsm.streams.info(STREAMS.events.name)).state.messages;
    const prepared = bus.prepareEvent('registry.version.created', 'models/fraud/versions/7', {
      model: 'fraud',
      version: 7,
      format: 'onnx',
      sha256: 'a'.repeat(64),
      size_bytes: 10,
      artifact_key: 'models/fraud/x',
      signature: { inputs: [], outputs: [] },
    });
    expect(prepared.subject).toBe('aimass.events.registry.version.created');
    expect((await jsm.streams.info(STREAMS.events.name)).state.messages).toBe(before);
    await bus.publishEnvelope(prepared.subject, prepared.envelope);
    expect(parseEnvelope((await stored(prepared.subject)).data)).toEqual(prepared.envelope);
  });

  it('stores an envelope published twice (same id) only once', async () => {
    const bus = new EventBus(nc, 'registry');
    const subject = 'aimass.events.registry.alias.moved';
    const envelope = makeEnvelope('registry.alias.moved', {
      source: 'registry',
      subject: 'models/fraud',
      data: { model: 'fraud', alias: 'prod', version: 2, previous_version: 1 },
    });
    const before = (await jsm.streams.info(STREAMS.events.name)).state.messages;
    await bus.publishEnvelope(subject, envelope);
    await bus.publishEnvelope(subject, envelope);
    expect((await jsm.streams.info(STREAMS.events.name)).state.messages).toBe(before + 1);

    const other = makeEnvelope('registry.alias.moved', {
      source: 'registry',
      subject: 'models/fraud',
      data: { model: 'fraud', alias: 'prod', version: 3, previous_version: 2 },
    });
    await bus.publishEnvelope(subject, other);
    expect((await jsm.streams.info(STREAMS.events.name)).state.messages).toBe(before + 2);
  });

  it('refuses data that does not fit the event type before publishing', async () => {
    const bus = new EventBus(nc, 'registry');
    const before = (await jsm.streams.info(STREAMS.events.name)).state.messages;
    await expect(
      bus.publish('aimass.events.registry.model.created', 'registry.model.created', 'models/x', {
        model: '',
        description: 'x',
      }),
    ).rejects.toThrow();
    expect((await jsm.streams.info(STREAMS.events.name)).state.messages).toBe(before);
  });

  it('reports a subject no stream holds as UnavailableError', async () => {
    const bus = new EventBus(nc, 'registry');
    await expect(
      bus.publish('aimass.nowhere.model.created', 'registry.model.created', 'models/x', {
        model: 'x',
        description: '',
      }),
    ).rejects.toBeInstanceOf(UnavailableError);
  });

  it('reports a closed connection as UnavailableError naming the event', async () => {
    const closed = await connectNats(server.url, 'event-bus-spec-closed');
    await closed.close();
    const bus = new EventBus(closed, 'registry');
    const err = await bus
      .publish('aimass.events.registry.model.created', 'registry.model.created', 'models/x', {
        model: 'x',
        description: '',
      })
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(err).toBeInstanceOf(UnavailableError);
    expect((err as Error).message).toMatch(/could not store event registry\.model\.created/);
  });
});
