import { ObjectStore } from '@aimass/storage';
import { Injectable } from '@nestjs/common';

/** Reads model artifacts from object storage (written by the registry). */
@Injectable()
export class ArtifactRepository {
  constructor(private readonly store: ObjectStore) {}

  fetch(key: string): Promise<Buffer> {
    return this.store.getBuffer(key);
  }
}
