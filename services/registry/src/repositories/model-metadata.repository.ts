import { ConflictError, UnavailableError } from '@aimass/errors';
import { openKv } from '@aimass/nats';
import { NATS_CONNECTION } from '@aimass/runtime';
import type { KV } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/nats-core';
import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import type { ModelRecord, Revisioned, VersionRecord } from '../domain/records.js';

const modelKey = (name: string) => `models.${name}`;
const versionKey = (name: string, version: number) => `versions.${name}.${version}`;

/**
 * Registry metadata in NATS KV. Every write is a compare-and-set: `create` succeeds only when the
 * key is absent, `update` only when the caller names the current revision. Callers own the retry.
 */
@Injectable()
export class ModelMetadataRepository implements OnModuleInit {
  private kv!: KV;

  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  async onModuleInit(): Promise<void> {
    this.kv = await openKv(this.nc);
  }

  getModel(name: string): Promise<Revisioned<ModelRecord> | null> {
    return this.read<ModelRecord>(modelKey(name));
  }

  /** False when the model already exists. */
  createModel(record: ModelRecord): Promise<boolean> {
    return this.create(modelKey(record.name), record);
  }

  /** False when someone else changed the model since `revision`. */
  updateModel(record: ModelRecord, revision: number): Promise<boolean> {
    return this.guard(`update model ${record.name}`, async () => {
      try {
        await this.kv.update(modelKey(record.name), JSON.stringify(record), revision);
        return true;
      } catch (err) {
        if (isCasFailure(err)) return false;
        throw err;
      }
    });
  }

  async listModels(): Promise<ModelRecord[]> {
    const names = await this.keys('models.*');
    const records = await Promise.all(names.map((k) => this.read<ModelRecord>(k)));
    return records.flatMap((r) => (r ? [r.value] : []));
  }

  async getVersion(name: string, version: number): Promise<VersionRecord | null> {
    return (await this.read<VersionRecord>(versionKey(name, version)))?.value ?? null;
  }

  /** The commit point of a push: false when this version number is taken. */
  createVersion(record: VersionRecord): Promise<boolean> {
    return this.create(versionKey(record.model, record.version), record);
  }

  async listVersions(name: string): Promise<VersionRecord[]> {
    const keys = await this.keys(`versions.${name}.*`);
    const records = await Promise.all(keys.map((k) => this.read<VersionRecord>(k)));
    return records.flatMap((r) => (r ? [r.value] : [])).sort((a, b) => a.version - b.version);
  }

  private async read<T>(key: string): Promise<Revisioned<T> | null> {
    return this.guard(`read ${key}`, async () => {
      const entry = await this.kv.get(key);
      if (!entry || entry.operation !== 'PUT') return null;
      return { value: entry.json<T>(), revision: entry.revision };
    });
  }

  private create(key: string, value: unknown): Promise<boolean> {
    return this.guard(`create ${key}`, async () => {
      try {
        await this.kv.create(key, JSON.stringify(value));
        return true;
      } catch (err) {
        if (isCasFailure(err)) return false;
        throw err;
      }
    });
  }

  private keys(filter: string): Promise<string[]> {
    return this.guard(`list ${filter}`, async () => {
      const out: string[] = [];
      for await (const key of await this.kv.keys(filter)) out.push(key);
      return out;
    });
  }

  private async guard<T>(what: string, op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (cause) {
      if (cause instanceof ConflictError) throw cause;
      throw new UnavailableError(`registry metadata store (NATS KV) failed to ${what}: ${String(cause)}`, { cause });
    }
  }
}

function isCasFailure(err: unknown): boolean {
  return err instanceof Error && /wrong last sequence|key exists/i.test(err.message);
}
