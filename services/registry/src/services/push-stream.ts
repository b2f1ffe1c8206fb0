import { InvalidArgumentError, type ResourceExhaustedError } from '@aimass/errors';

/** One message of a client-streaming push: the header first, then the file's bytes. */
export interface PushPart {
  readonly header?: unknown;
  readonly chunk?: Uint8Array;
}

/**
 * Reads a push stream (PushVersion, PushDataset) as every push reads it: a header first, then
 * chunks, each handed to `onChunk` once the running size is within `maxBytes`; the checks after the
 * last chunk (cancelled, empty, announced size) refuse the push before anything is committed.
 */
export class PushStream {
  private readonly iterator: AsyncIterator<PushPart>;
  private size = 0;

  constructor(
    parts: AsyncIterable<PushPart>,
    private readonly method: string,
    private readonly what: string,
    private readonly tooLarge: (bytes: number) => ResourceExhaustedError,
  ) {
    this.iterator = parts[Symbol.asyncIterator]();
  }

  /** The first message's header, unparsed; `fields` names what it carries for the error. */
  async header(fields: string): Promise<unknown> {
    const first = await this.iterator.next();
    if (first.done || !first.value.header)
      throw new InvalidArgumentError(
        `the first ${this.method} message must carry a header (${fields}, ...); chunks follow it`,
      );
    return first.value.header;
  }

  /** Every chunk after the header, bounded by `maxBytes`; the total size when the stream ends. */
  async chunks(maxBytes: number, onChunk: (bytes: Buffer) => Promise<void> | void): Promise<number> {
    for (let next = await this.iterator.next(); !next.done; next = await this.iterator.next()) {
      if (next.value.header)
        throw new InvalidArgumentError(`only the first ${this.method} message may carry a header`);
      const chunk = next.value.chunk;
      if (!chunk || chunk.length === 0) continue;
      if (this.size + chunk.length > maxBytes) throw this.tooLarge(this.size + chunk.length);
      this.size += chunk.length;
      await onChunk(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    }
    return this.size;
  }

  /** Refuses a cancelled or empty push, or one whose size differs from what its header announced. */
  checkComplete(cancelled: boolean, announcedBytes: number): void {
    if (cancelled) throw new InvalidArgumentError('the push was cancelled by the client');
    if (this.size === 0)
      throw new InvalidArgumentError(
        `the ${this.what} is empty: send its bytes as chunk messages after the header`,
      );
    if (announcedBytes && announcedBytes !== this.size)
      throw new InvalidArgumentError(
        `the header announced ${announcedBytes} bytes but ${this.size} arrived; nothing was stored`,
      );
  }
}
