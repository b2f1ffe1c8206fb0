import { ObjectStore, type ArtifactUpload } from '@aimass/storage';
import { Injectable } from '@nestjs/common';
import type { Readable } from 'node:stream';

/** Model artifacts in object storage, under `models/<name>/artifacts/<upload id>`. */
@Injectable()
export class ArtifactRepository {
  constructor(private readonly store: ObjectStore) {}

  keyFor(model: string, uploadId: string): string {
    return `models/${model}/artifacts/${uploadId}`;
  }

  beginUpload(key: string): ArtifactUpload {
    return this.store.createUpload(key);
  }

  open(key: string, offset = 0): Promise<Readable> {
    return this.store.getStream(key, offset);
  }
}
