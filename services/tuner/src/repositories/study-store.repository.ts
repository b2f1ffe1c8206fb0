import { KV_BUCKETS } from '@aimass/contracts';
import { AimassError, AlreadyExistsError, NotFoundError, UnavailableError } from '@aimass/errors';
import { openKv } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable } from '@nestjs/common';
import type { StudyRecord } from '../studies/study-record.js';

const key = (studyId: string) => `studies.${studyId}`;
const CONFLICT = /wrong last sequence|key exists/i;

/**
 * Studies in NATS KV, one value per study holding its trials. Every change is a compare-and-set on the
 * revision read, retried on conflict with the change recomputed from the fresh record, so concurrent
 * Asks (or a restarted tuner and a late Tell) never overwrite each other and never hand out one trial
 * number twice.
 */
@Injectable()
export class StudyStoreRepository {
  private kv: Promise<KV> | undefined;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async create(record: StudyRecord): Promise<StudyRecord> {
    const kv = await this.bucket();
    try {
      await kv.create(key(record.study_id), JSON.stringify(record));
      return record;
    } catch (cause) {
      if (CONFLICT.test(String(cause)))
        throw new AlreadyExistsError(`study ${record.study_id} already exists`, { cause });
      throw new UnavailableError(`could not store study ${record.study_id}: ${String(cause)}`, { cause });
    }
  }

  async find(studyId: string): Promise<StudyRecord | undefined> {
    const entry = await (await this.bucket()).get(key(studyId));
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return undefined;
    return entry.json<StudyRecord>();
  }

  async get(studyId: string): Promise<StudyRecord> {
    const record = await this.find(studyId);
    if (!record) throw new NotFoundError(`no study "${studyId}"`);
    return record;
  }

  /**
   * Applies `change` to the current record with CAS and returns what was stored (or the current
   * record when `change` returns undefined). `change` may run several times, each on a fresher
   * record, so it must be a pure function of it; an AimassError it throws reaches the caller.
   */
  async update(
    studyId: string,
    change: (current: StudyRecord) => StudyRecord | undefined,
  ): Promise<{ before: StudyRecord; after: StudyRecord }> {
    const kv = await this.bucket();
    for (let attempt = 0; ; attempt++) {
      const entry = await kv.get(key(studyId));
      if (!entry || entry.operation !== 'PUT' || entry.length === 0)
        throw new NotFoundError(`no study "${studyId}"`);
      const current = entry.json<StudyRecord>();
      const next = change(current);
      if (next === undefined) return { before: current, after: current };
      const stored = { ...next, updated_at: new Date().toISOString() };
      try {
        await kv.update(key(studyId), JSON.stringify(stored), entry.revision);
        return { before: current, after: stored };
      } catch (cause) {
        if (cause instanceof AimassError) throw cause;
        if (attempt >= 50 || !CONFLICT.test(String(cause)))
          throw new UnavailableError(`could not update study ${studyId}: ${String(cause)}`, { cause });
      }
    }
  }

  async list(): Promise<StudyRecord[]> {
    const kv = await this.bucket();
    const keys: string[] = [];
    for await (const k of await kv.keys('studies.>')) keys.push(k);
    const records = await Promise.all(keys.map(async (k) => (await kv.get(k))?.json<StudyRecord>()));
    return records
      .filter((r): r is StudyRecord => r !== undefined && r !== null)
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
  }

  private bucket(): Promise<KV> {
    this.kv ??= openKv(this.nc, KV_BUCKETS.tunerStudies).catch((cause: unknown) => {
      this.kv = undefined;
      throw new UnavailableError(
        `could not open KV bucket ${KV_BUCKETS.tunerStudies.name}: ${String(cause)}`,
        { cause },
      );
    });
    return this.kv;
  }
}
