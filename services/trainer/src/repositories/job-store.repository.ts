import { KV_BUCKETS } from '@aimass/contracts';
import { AlreadyExistsError, NotFoundError, UnavailableError } from '@aimass/errors';
import { openKv } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import type { KV, KvEntry } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { JobRecord } from '../jobs/job-record.js';

const key = (jobId: string) => `jobs.${jobId}`;

/**
 * Job records in NATS KV. Every change is a compare-and-set on the revision read, retried on
 * conflict, so two nodes (or a node and a CancelJob) never overwrite each other's change.
 */
@Injectable()
export class JobStoreRepository implements OnModuleDestroy {
  private kv: Promise<KV> | undefined;
  private readonly watchers = new Set<{ stop(): void }>();

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async create(record: JobRecord): Promise<JobRecord> {
    const kv = await this.bucket();
    try {
      // A put that expects no earlier revision, not kv.create: that one follows a timed-out put with a
      // read (for a deleted key, which job records never are), so SubmitJob against a frozen NATS would
      // wait two request timeouts before answering UNAVAILABLE.
      await kv.put(key(record.job_id), JSON.stringify(record), { previousSeq: 0 });
      return record;
    } catch (cause) {
      if (/wrong last sequence|key exists/i.test(String(cause)))
        throw new AlreadyExistsError(`job ${record.job_id} already exists`, { cause });
      throw new UnavailableError(`could not store job ${record.job_id}: ${String(cause)}`, { cause });
    }
  }

  async find(jobId: string): Promise<JobRecord | undefined> {
    const entry = await this.read(await this.bucket(), jobId);
    if (!entry || entry.operation !== 'PUT' || entry.length === 0) return undefined;
    return entry.json<JobRecord>();
  }

  async get(jobId: string): Promise<JobRecord> {
    const record = await this.find(jobId);
    if (!record) throw new NotFoundError(`no training job "${jobId}"`);
    return record;
  }

  /** Applies `change` to the current record with CAS; `change` returning undefined leaves it as is. */
  async update(jobId: string, change: (current: JobRecord) => JobRecord | undefined): Promise<JobRecord> {
    const kv = await this.bucket();
    for (let attempt = 0; ; attempt++) {
      const entry = await this.read(kv, jobId);
      if (!entry || entry.operation !== 'PUT') throw new NotFoundError(`no training job "${jobId}"`);
      const current = entry.json<JobRecord>();
      const next = change(current);
      if (next === undefined) return current;
      try {
        await kv.update(
          key(jobId),
          JSON.stringify({ ...next, updated_at: new Date().toISOString() }),
          entry.revision,
        );
        return next;
      } catch (cause) {
        if (attempt >= 20 || !/wrong last sequence/i.test(String(cause)))
          throw new UnavailableError(`could not update job ${jobId}: ${String(cause)}`, { cause });
      }
    }
  }

  private async read(kv: KV, jobId: string): Promise<KvEntry | null> {
    try {
      return await kv.get(key(jobId));
    } catch (cause) {
      throw new UnavailableError(`could not read job ${jobId}: ${String(cause)}`, { cause });
    }
  }

  async list(): Promise<JobRecord[]> {
    const kv = await this.bucket();
    const keys: string[] = [];
    for await (const k of await kv.keys('jobs.>')) keys.push(k);
    const records = await Promise.all(keys.map(async (k) => (await kv.get(k))?.json<JobRecord>()));
    return records
      .filter((r): r is JobRecord => r !== undefined && r !== null)
      .sort((a, b) => a.created_at.localeCompare(b.created_at));
  }

  /** Calls `onChange` with every later version of the job's record until stopped. */
  watch(jobId: string, onChange: (record: JobRecord) => void): Promise<{ stop(): void }> {
    return this.watchKeys(key(jobId), onChange);
  }

  /** Every change to any job record (for cancel requests reaching the node that runs the job). */
  watchAll(onChange: (record: JobRecord) => void): Promise<{ stop(): void }> {
    return this.watchKeys('jobs.>', onChange);
  }

  private async watchKeys(filter: string, onChange: (record: JobRecord) => void): Promise<{ stop(): void }> {
    const kv = await this.bucket();
    const iterator = await kv.watch({ key: filter, include: 'updates' });
    void (async () => {
      for await (const entry of iterator) if (entry.operation === 'PUT') onChange(entry.json<JobRecord>());
    })().catch(() => undefined);
    const handle = {
      stop: () => {
        iterator.stop();
        this.watchers.delete(handle);
      },
    };
    this.watchers.add(handle);
    return handle;
  }

  onModuleDestroy(): void {
    for (const w of [...this.watchers]) w.stop();
  }

  private bucket(): Promise<KV> {
    this.kv ??= openKv(this.nc, KV_BUCKETS.trainerJobs).catch((cause: unknown) => {
      this.kv = undefined;
      throw new UnavailableError(
        `could not open KV bucket ${KV_BUCKETS.trainerJobs.name}: ${String(cause)}`,
        { cause },
      );
    });
    return this.kv;
  }
}
