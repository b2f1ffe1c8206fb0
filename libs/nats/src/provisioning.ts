import { KV_BUCKETS, STREAMS, type StreamSpec } from '@aimass/contracts';
import { jetstreamManager, RetentionPolicy, StorageType, type JetStreamManager } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';
import { nanos, type NatsConnection } from '@nats-io/nats-core';

/**
 * Creates each stream, or updates it to the spec when it exists. Safe to run from every service at
 * every start: the end state is the same whoever runs first.
 */
export async function provisionStreams(
  nc: NatsConnection,
  specs: readonly StreamSpec[] = Object.values(STREAMS),
): Promise<JetStreamManager> {
  const jsm = await jetstreamManager(nc);
  for (const spec of specs) {
    const config = {
      name: spec.name,
      subjects: [...spec.subjects],
      retention: spec.retention === 'workqueue' ? RetentionPolicy.Workqueue : RetentionPolicy.Limits,
      storage: StorageType.File,
      max_age: nanos(spec.maxAgeSeconds * 1000),
      duplicate_window: nanos(spec.duplicateWindowSeconds * 1000),
    };
    try {
      await jsm.streams.info(spec.name);
      const { retention: _fixed, storage: _alsoFixed, ...mutable } = config;
      await jsm.streams.update(spec.name, mutable);
    } catch (err) {
      if (!isNotFound(err)) throw err;
      await jsm.streams.add(config);
    }
  }
  return jsm;
}

/** Opens (creating when needed) a KV bucket. KV `create` and `update(rev)` give compare-and-set. */
export async function openKv(
  nc: NatsConnection,
  bucket: { name: string; history: number } = KV_BUCKETS.registry,
): Promise<KV> {
  return new Kvm(nc).create(bucket.name, { history: bucket.history });
}

function isNotFound(err: unknown): boolean {
  return err instanceof Error && /not found/i.test(err.message);
}
