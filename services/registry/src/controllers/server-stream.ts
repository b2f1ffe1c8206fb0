import type { ServerWritableStream } from '@grpc/grpc-js';
import { EMPTY, type Observable } from 'rxjs';

/**
 * Writes `messages` to a server-streaming call, pulling the next one only when the call can take
 * it, so a slow client holds back the source (S3) instead of the registry buffering the artifact.
 * Resolves to EMPTY for Nest, which then ends the call; a throw from `messages` goes through the
 * exception filter to the caller as a gRPC status. Stops early when the client goes away.
 */
export async function writeAll<T>(call: ServerWritableStream<unknown, T>, messages: AsyncIterable<T>): Promise<Observable<never>> {
  for await (const message of messages) {
    if (call.cancelled || call.destroyed) break;
    if (!call.write(message) && !(await writable(call))) break;
  }
  return EMPTY;
}

/** Waits for 'drain'; false when the call is cancelled or closed first. */
function writable(call: ServerWritableStream<unknown, unknown>): Promise<boolean> {
  return new Promise((resolve) => {
    const settle = (ok: boolean) => () => {
      call.off('drain', onDrain);
      call.off('cancelled', onGone);
      call.off('close', onGone);
      resolve(ok);
    };
    const onDrain = settle(true);
    const onGone = settle(false);
    call.once('drain', onDrain);
    call.once('cancelled', onGone);
    call.once('close', onGone);
  });
}
