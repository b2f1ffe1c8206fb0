import {
  EVENT_SCHEMAS,
  KV_BUCKETS,
  NATS_PERMISSIONS,
  NATS_USERS,
  RPC,
  subjects,
  type NatsUser,
} from '@aimass/contracts';
import { describe, expect, it } from 'vitest';

// The NATS side of "no method is left open": every subject the mesh uses has exactly the users it
// needs in NATS_PERMISSIONS (libs/contracts), which nats-server enforces when the stack runs with a
// user per service. test/e2e/nats-permissions.e2e.test.ts runs a whole mesh that way.

/** NATS subject matching: `*` is one token, `>` one or more at the end. */
function covers(pattern: string, subject: string): boolean {
  const p = pattern.split('.');
  const s = subject.split('.');
  for (let i = 0; i < p.length; i++) {
    if (p[i] === '>') return s.length > i;
    if (i >= s.length || (p[i] !== '*' && p[i] !== s[i])) return false;
  }
  return p.length === s.length;
}

const may = (user: NatsUser, action: 'publish' | 'subscribe', subject: string) =>
  NATS_PERMISSIONS[user][action].some((pattern) => covers(pattern, subject));
const whoMay = (action: 'publish' | 'subscribe', subject: string) =>
  NATS_USERS.filter((u) => may(u, action, subject));

describe('NATS permissions', () => {
  it('matches subjects the way nats-server does', () => {
    expect(covers('aimass.events.registry.>', 'aimass.events.registry.model.created')).toBe(true);
    expect(covers('aimass.events.registry.>', 'aimass.events.registry')).toBe(false);
    expect(covers('aimass.heartbeats.*.*', 'aimass.heartbeats.trainer.n1')).toBe(true);
    expect(covers('aimass.heartbeats.*.*', 'aimass.heartbeats.trainer.n1.x')).toBe(false);
  });

  it.each(
    Object.entries(RPC).flatMap(([service, methods]) =>
      Object.values(methods).map((m) => [service, m.subject]),
    ),
  )('the %s service, and only it, serves %s', (service, subject) => {
    expect(whoMay('subscribe', subject)).toEqual([service]);
    expect(NATS_PERMISSIONS[service as NatsUser].allowResponses).toBe(true);
  });

  const eventTypes = Object.keys(EVENT_SCHEMAS).filter(
    (t) => t !== 'audit.record' && t !== 'inference.prediction.summary',
  );
  it.each(eventTypes)('only its own service announces %s', (type) => {
    const owner = type.split('.')[0]!;
    const allowed = whoMay('publish', subjects.event(type));
    // A training request is the one event people publish (as the `client` user).
    expect(allowed).toEqual(type === 'trainer.job.requested' ? ['trainer', 'client'] : [owner]);
  });

  it('audit records and prediction summaries come only from their own service', () => {
    for (const service of ['registry', 'trainer', 'tuner', 'inference', 'monitor'])
      expect(whoMay('publish', subjects.audit(service))).toEqual([service]);
    expect(whoMay('publish', subjects.predictions('inference'))).toEqual(['inference']);
    expect(whoMay('publish', subjects.trainJob('gpu'))).toEqual(['trainer']);
  });

  it.each(Object.values(KV_BUCKETS).map((b) => [b.name]))('one service writes KV bucket %s', (bucket) => {
    expect(whoMay('publish', `$KV.${bucket}.some.key`)).toHaveLength(1);
  });

  it('each user subscribes to its own reply inboxes and no one else’s', () => {
    for (const user of NATS_USERS)
      for (const other of NATS_USERS)
        expect(may(user, 'subscribe', `_INBOX_${other}.abc.1`), `${user} → ${other}`).toBe(user === other);
  });

  it('the client user cannot touch streams beyond reading the events', () => {
    expect(may('client', 'publish', '$JS.API.STREAM.DELETE.AIMASS_EVENTS')).toBe(false);
    expect(may('client', 'publish', '$JS.API.STREAM.PURGE.AIMASS_JOBS')).toBe(false);
    expect(may('client', 'publish', '$JS.API.CONSUMER.CREATE.AIMASS_JOBS')).toBe(false);
    expect(may('client', 'publish', '$JS.API.CONSUMER.CREATE.AIMASS_EVENTS')).toBe(true);
  });
});
