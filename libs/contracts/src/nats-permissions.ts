import { KV_BUCKETS, STREAMS } from './streams.js';
import { subjects } from './subjects.js';

/**
 * Who may publish and subscribe to what on NATS. Each service connects as its own NATS user
 * (an nkey, or a JWT under an account) whose permissions are exactly these lists; `client` is the
 * user people and the CLI get: it may request training (the `trainer.job.requested` event) and read
 * the event history, nothing else. `nats-server` enforces the lists; scripts/stack and the test
 * harness generate the server configuration from them (libs/testing, natsAccounts).
 */
export interface NatsPermissions {
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** May answer requests (publish once to the reply subject of a message it received). */
  readonly allowResponses: boolean;
}

export const NATS_USERS = ['registry', 'trainer', 'tuner', 'inference', 'monitor', 'client'] as const;
export type NatsUser = (typeof NATS_USERS)[number];

/**
 * Each user's reply inbox prefix: replies (request/reply, JetStream acks and deliveries) go to
 * `<prefix>.<id>`, so a user can be allowed to subscribe to its own inboxes and no one else's.
 */
export function natsInboxPrefix(user: string): string {
  return `_INBOX_${user.replace(/[^A-Za-z0-9_-]/g, '_')}`;
}

/**
 * JetStream and KV traffic of a service: the JetStream API (stream provisioning, consumers, KV
 * reads), acknowledgements and flow control. Publishing into a stream is still checked per subject,
 * and writing a KV bucket (`$KV.<bucket>.<key>`) is granted per bucket.
 */
const JETSTREAM = ['$JS.API.>', '$JS.ACK.>', '$JS.FC.>'];
const kvWrite = (bucket: { name: string }) => `$KV.${bucket.name}.>`;

/** Reading AIMASS_EVENTS with an ordered consumer, as `train --wait` and `jobs watch` do. */
const READ_EVENTS = [
  '$JS.API.INFO',
  `$JS.API.STREAM.INFO.${STREAMS.events.name}`,
  `$JS.API.CONSUMER.CREATE.${STREAMS.events.name}`,
  `$JS.API.CONSUMER.CREATE.${STREAMS.events.name}.>`,
  `$JS.API.CONSUMER.INFO.${STREAMS.events.name}.>`,
  `$JS.API.CONSUMER.DELETE.${STREAMS.events.name}.>`,
  `$JS.API.CONSUMER.MSG.NEXT.${STREAMS.events.name}.>`,
  `$JS.ACK.${STREAMS.events.name}.>`,
  `$JS.FC.${STREAMS.events.name}.>`,
];

function service(
  name: string,
  publish: readonly string[],
  subscribe: readonly string[],
  allowResponses = false,
): NatsPermissions {
  return {
    publish: [...JETSTREAM, subjects.event(`${name}.>`), subjects.audit(name), ...publish],
    subscribe: [`${natsInboxPrefix(name)}.>`, ...subscribe],
    allowResponses,
  };
}

export const NATS_PERMISSIONS: Readonly<Record<NatsUser, NatsPermissions>> = {
  registry: service('registry', [kvWrite(KV_BUCKETS.registry)], [subjects.rpc('registry', '>')], true),
  trainer: service(
    'trainer',
    [subjects.trainJob('*'), subjects.heartbeat('trainer', '*'), kvWrite(KV_BUCKETS.trainerJobs)],
    [subjects.rpc('trainer', '>')],
    true,
  ),
  tuner: service('tuner', [kvWrite(KV_BUCKETS.tunerStudies)], [subjects.rpc('tuner', '>')], true),
  inference: service(
    'inference',
    [subjects.predictions('inference'), subjects.rpc('registry', '>')],
    [subjects.rpc('inference', '>')],
    true,
  ),
  monitor: service(
    'monitor',
    [kvWrite(KV_BUCKETS.hub)],
    [subjects.rpc('monitor', '>'), subjects.heartbeat('*', '*')],
    true,
  ),
  client: {
    publish: [subjects.event('trainer.job.requested'), ...READ_EVENTS],
    subscribe: [`${natsInboxPrefix('client')}.>`],
    allowResponses: false,
  },
};
