import { KV_BUCKETS } from '@aimass/contracts';
import { UnavailableError } from '@aimass/errors';
import { openKv } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { NO_COUNTS, type HubCounts, type PostRecord } from '../hub/hub-records.js';

const countsKey = (model: string) => `counts.${model}`;
const postKey = (model: string, id: string) => `posts.${model}.${id}`;
const CONFLICT = /wrong last sequence|key exists/i;
/** The most posts one page of a discussion shows (the newest). */
const MAX_POSTS = 500;

/**
 * The hub's state in NATS KV (bucket aimass_hub): per model, who starred it and how often each
 * version was downloaded (one value, changed with compare-and-set, so concurrent stars and
 * downloads all count), and the posts of its discussion, one key each.
 */
@Injectable()
export class HubStoreRepository implements OnModuleDestroy {
  private kv: Promise<KV> | undefined;
  private watcher: { stop(): void } | undefined;
  private closed = false;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async counts(model: string): Promise<HubCounts> {
    const entry = await (await this.bucket()).get(countsKey(model));
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return NO_COUNTS;
    return entry.json<HubCounts>();
  }

  /** Every model's counts, by model name. */
  async allCounts(): Promise<Map<string, HubCounts>> {
    const kv = await this.bucket();
    const keys: string[] = [];
    for await (const k of await kv.keys('counts.>')) keys.push(k);
    const entries = await Promise.all(keys.map(async (k) => [k, await kv.get(k)] as const));
    const counts = new Map<string, HubCounts>();
    for (const [k, entry] of entries)
      if (entry && entry.operation === 'PUT' && entry.length > 0)
        counts.set(k.slice('counts.'.length), entry.json<HubCounts>());
    return counts;
  }

  /** Applies `change` to the model's counts with compare-and-set, retried on conflict. */
  async updateCounts(model: string, change: (current: HubCounts) => HubCounts): Promise<HubCounts> {
    const kv = await this.bucket();
    for (let attempt = 0; ; attempt++) {
      const entry = await kv.get(countsKey(model));
      const exists = entry !== null && entry.operation === 'PUT' && entry.length > 0;
      const next = change(exists ? entry.json<HubCounts>() : NO_COUNTS);
      try {
        if (exists) await kv.update(countsKey(model), JSON.stringify(next), entry.revision);
        else await kv.create(countsKey(model), JSON.stringify(next));
        return next;
      } catch (cause) {
        if (attempt >= 50 || !CONFLICT.test(String(cause)))
          throw new UnavailableError(`could not update the hub counts of ${model}: ${String(cause)}`, {
            cause,
          });
      }
    }
  }

  async addPost(post: PostRecord): Promise<void> {
    try {
      await (await this.bucket()).create(postKey(post.model, post.id), JSON.stringify(post));
    } catch (cause) {
      throw new UnavailableError(`could not store the post on ${post.model}: ${String(cause)}`, { cause });
    }
  }

  /** The model's discussion, oldest first (at most the newest MAX_POSTS). */
  async posts(model: string): Promise<PostRecord[]> {
    const kv = await this.bucket();
    const keys: string[] = [];
    for await (const k of await kv.keys(`posts.${model}.>`)) keys.push(k);
    const newest = keys.sort().slice(-MAX_POSTS);
    const entries = await Promise.all(newest.map((k) => kv.get(k)));
    return entries
      .filter((e) => e !== null && e.operation === 'PUT' && e.length > 0)
      .map((e) => e!.json<PostRecord>());
  }

  /**
   * Every change stored from now on, by any monitor: new posts, and counts with the model they are
   * of. This is what tells open consoles, so a post shows live on every replica's consoles.
   */
  async follow(handlers: {
    post(post: PostRecord): void;
    counts(model: string, counts: HubCounts): void;
  }): Promise<void> {
    const iterator = await (await this.bucket()).watch({ key: '>', include: 'updates' });
    if (this.closed) return iterator.stop();
    this.watcher = iterator;
    void (async () => {
      for await (const entry of iterator) {
        if (entry.operation !== 'PUT' || entry.length === 0) continue;
        if (entry.key.startsWith('posts.')) handlers.post(entry.json<PostRecord>());
        else if (entry.key.startsWith('counts.'))
          handlers.counts(entry.key.slice('counts.'.length), entry.json<HubCounts>());
      }
    })().catch(() => undefined);
  }

  onModuleDestroy(): void {
    this.closed = true;
    this.watcher?.stop();
  }

  private bucket(): Promise<KV> {
    this.kv ??= openKv(this.nc, KV_BUCKETS.hub).catch((cause: unknown) => {
      this.kv = undefined;
      throw new UnavailableError(`could not open KV bucket ${KV_BUCKETS.hub.name}: ${String(cause)}`, {
        cause,
      });
    });
    return this.kv;
  }
}
