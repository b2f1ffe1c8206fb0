import { ObjectStore, type ArtifactUpload } from '@aimass/storage';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';

/** Model artifacts in object storage, under `models/<name>/artifacts/<upload id>`, dataset files under `datasets/<name>/<upload id>`; side files beside them. */
@Injectable()
export class ArtifactRepository {
  constructor(private readonly store: ObjectStore) {}

  keyFor(model: string, uploadId: string): string {
    return `models/${model}/artifacts/${uploadId}`;
  }

  statisticsKeyFor(model: string, version: number, uploadId: string): string {
    return `models/${model}/reference-statistics/${version}-${uploadId}.json`;
  }

  datasetKeyFor(name: string, uploadId: string): string {
    return `datasets/${name}/${uploadId}`;
  }

  beginUpload(key: string): ArtifactUpload {
    return this.store.createUpload(key);
  }

  open(key: string, offset = 0): Promise<Readable> {
    return this.store.getStream(key, offset);
  }

  async putBuffer(key: string, bytes: Buffer): Promise<void> {
    await this.store.putBuffer(key, bytes);
  }

  async putJson(key: string, value: unknown): Promise<void> {
    await this.store.putBuffer(key, Buffer.from(JSON.stringify(value)));
  }

  async getJson<T>(key: string): Promise<T> {
    return JSON.parse((await this.getBuffer(key)).toString('utf8')) as T;
  }

  getBuffer(key: string): Promise<Buffer> {
    return this.store.getBuffer(key);
  }

  remove(key: string): Promise<void> {
    return this.store.remove(key);
  }
}
