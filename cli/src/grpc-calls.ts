import type { CallOptions, requestCallback } from '@grpc/grpc-js';

/** Registry and inference lookups answer in milliseconds; a minute only bounds a wedged peer. */
export const UNARY_DEADLINE_MS = 60_000;

export function unaryOptions(): CallOptions {
  return { deadline: Date.now() + UNARY_DEADLINE_MS };
}

/** Runs one unary call given as `(callback) => client.Method(request, options, callback)`. */
export function callUnary<T>(invoke: (callback: requestCallback<T>) => unknown): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    invoke((err, response) => {
      if (err) reject(err);
      else if (response === undefined) reject(new Error('gRPC call finished without a response'));
      else resolve(response);
    });
  });
}
