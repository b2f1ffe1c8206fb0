import { NotFoundError } from '@aimass/errors';
import { ObjectStore } from '@aimass/storage';
import { Injectable } from '@nestjs/common';
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from '../training/checkpoint.js';

/**
 * Checkpoints in S3 under `trainer/checkpoints/<job>/`: `epoch-<n>.ckpt`, then `latest.json`
 * naming it. The pointer is written last, so a node that dies mid-write leaves the previous
 * checkpoint in force.
 */
@Injectable()
export class CheckpointRepository {
  constructor(private readonly store: ObjectStore) {}

  async save(checkpoint: Checkpoint): Promise<void> {
    const dir = `trainer/checkpoints/${checkpoint.jobId}`;
    const key = `${dir}/epoch-${checkpoint.epoch}.ckpt`;
    await this.store.putBuffer(key, encodeCheckpoint(checkpoint));
    await this.store.putBuffer(
      `${dir}/latest.json`,
      Buffer.from(JSON.stringify({ key, epoch: checkpoint.epoch })),
    );
    if (checkpoint.epoch > 1)
      await this.store.remove(`${dir}/epoch-${checkpoint.epoch - 1}.ckpt`).catch(() => undefined);
  }

  async latest(jobId: string): Promise<Checkpoint | undefined> {
    let pointer: { key: string };
    try {
      pointer = JSON.parse(
        (await this.store.getBuffer(`trainer/checkpoints/${jobId}/latest.json`)).toString('utf8'),
      ) as { key: string };
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
    return decodeCheckpoint(await this.store.getBuffer(pointer.key));
  }
}
