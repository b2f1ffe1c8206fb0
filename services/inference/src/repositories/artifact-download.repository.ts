import { ObjectStore } from '@aimass/storage';
import { Injectable } from '@nestjs/common';

/** Downloads model artifacts from object storage (the registry uploads them) for loading. */
@Injectable()
export class ArtifactDownloadRepository {
  constructor(private readonly store: ObjectStore) {}

  fetch(key: string): Promise<Buffer> {
    return this.store.getBuffer(key);
  }
}
