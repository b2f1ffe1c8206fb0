/**
 * Everything a job needs to continue exactly where it stopped: the epochs done, the RNG state that
 * drives shuffling and noise, the schedule and early-stopping counters, and every model and
 * optimiser tensor, in a fixed order.
 */
export interface Checkpoint {
  readonly jobId: string;
  /** Epochs completed. */
  readonly epoch: number;
  readonly rngState: number;
  readonly bestLoss: number;
  readonly badEpochs: number;
  /** The epoch with the best validation loss, whose weights `best:` tensors hold (restore_best). */
  readonly bestEpoch?: number;
  readonly history: EpochSummary[];
  readonly tensors: CheckpointTensor[];
}

export interface CheckpointTensor {
  /**
   * `var:<name>` for model variables, `opt:<optimiser>:<index>:<name>` for optimiser state, and
   * `best:` before either for the best epoch's (restore_best).
   */
  readonly name: string;
  readonly shape: number[];
  readonly values: Float32Array;
}

export interface EpochSummary {
  readonly epoch: number;
  readonly losses: Record<string, number>;
  readonly metrics: Record<string, number>;
}

/** Header (JSON) + tensor bytes, one object per checkpoint. */
export function encodeCheckpoint(checkpoint: Checkpoint): Buffer {
  const { tensors, ...meta } = checkpoint;
  const header = Buffer.from(
    JSON.stringify({
      ...meta,
      tensors: tensors.map((t) => ({ name: t.name, shape: t.shape, length: t.values.length })),
    }),
    'utf8',
  );
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.length);
  const bodies = tensors.map((t) => Buffer.from(t.values.buffer, t.values.byteOffset, t.values.byteLength));
  return Buffer.concat([length, header, ...bodies]);
}

export function decodeCheckpoint(bytes: Buffer): Checkpoint {
  const headerLength = bytes.readUInt32LE(0);
  const meta = JSON.parse(bytes.toString('utf8', 4, 4 + headerLength)) as Omit<Checkpoint, 'tensors'> & {
    tensors: Array<{ name: string; shape: number[]; length: number }>;
  };
  let offset = 4 + headerLength;
  const tensors = meta.tensors.map((t) => {
    const values = new Float32Array(t.length);
    Buffer.from(values.buffer).set(bytes.subarray(offset, offset + t.length * 4));
    offset += t.length * 4;
    return { name: t.name, shape: t.shape, values };
  });
  if (offset !== bytes.length)
    throw new Error(`checkpoint holds ${bytes.length} bytes; its header describes ${offset}`);
  return { ...meta, tensors };
}
