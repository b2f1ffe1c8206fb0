import type { ServerWritableStream } from '@grpc/grpc-js';
import { EMPTY, type Observable } from 'rxjs';

/**
 * Most messages handed to the call and not yet flushed to HTTP/2. The next message is pulled from
 * the source only below it, so a producer may reuse the buffer of a message once WRITE_WINDOW later
 * ones have been pulled (grpc-js has serialized it by then), and memory stays at a few messages.
 */
export const WRITE_WINDOW = 2;

/**
 * Writes `messages` to a server-streaming call, pulling the next one only when fewer than
 * WRITE_WINDOW written messages are still unflushed, so a slow client holds back the source (S3)
 * instead of the registry buffering the artifact. Resolves to EMPTY for Nest, which then ends the
 * call; a throw from `messages` goes through the exception filter to the caller as a gRPC status.
 * Stops early when the client goes away.
 */
export async function writeAll<T>(
  call: ServerWritableStream<unknown, T>,
  messages: AsyncIterable<T>,
): Promise<Observable<never>> {
  let unflushed = 0;
  let wake: ((ok: boolean) => void) | undefined;
  const flushed = () => {
    unflushed--;
    wake?.(true);
  };
  const gone = () => wake?.(false);
  call.on('cancelled', gone);
  call.on('close', gone);
  try {
    for await (const message of messages) {
      if (call.cancelled || call.destroyed) break;
      unflushed++;
      call.write(message, flushed);
      if (unflushed >= WRITE_WINDOW && !(await new Promise<boolean>((resolve) => (wake = resolve)))) break;
      wake = undefined;
    }
  } finally {
    call.off('cancelled', gone);
    call.off('close', gone);
  }
  return EMPTY;
}
