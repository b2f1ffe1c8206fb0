import { readFileSync } from 'node:fs';
import {
  credentials,
  Metadata,
  type Client,
  type ClientDuplexStream,
  type ServiceError,
} from '@grpc/grpc-js';
import { MAX_MESSAGE, oipService } from './oip-proto.js';

export interface LoadResult {
  /** Completed requests per second. */
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly errors: number;
  /** Requests completed while measuring. */
  readonly count: number;
  /** Requests completed, warm-up included (what the server spent its CPU on). */
  readonly total: number;
}

type OipClient = Client & {
  ModelInfer(req: unknown, md: Metadata, cb: (err: ServiceError | null, res: unknown) => void): void;
  ModelStreamInfer(): ClientDuplexStream<unknown, { error_message: string }>;
};

/** An OIP v2 client. */
export function oipClient(address: string): OipClient {
  const { Client } = oipService();
  return new Client(address, credentials.createInsecure(), {
    'grpc.max_receive_message_length': MAX_MESSAGE,
    'grpc.max_send_message_length': MAX_MESSAGE,
  }) as unknown as OipClient;
}

function summarise(latencies: number[], elapsedMs: number, errors: number, total: number): LoadResult {
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? NaN;
  return {
    rps: (latencies.length / elapsedMs) * 1000,
    p50Ms: q(0.5),
    p99Ms: q(0.99),
    errors,
    count: latencies.length,
    total,
  };
}

/**
 * Each call's metadata: empty, or with `token`, `authorization: Bearer <token>` set on the call as
 * an OIP v2 client sends it (a client interceptor would do the same at about 40 µs more client CPU
 * per call in grpc-js, which on a 2-core machine comes out of the server's share).
 */
export function callMetadata(token?: string): () => Metadata {
  if (token === undefined) return () => new Metadata();
  const value = `Bearer ${token}`;
  return () => {
    const metadata = new Metadata();
    metadata.set('authorization', value);
    return metadata;
  };
}

/** `concurrency` callers, each sending its next unary request when the previous one returns. */
export async function unaryLoad(
  client: OipClient,
  request: unknown,
  concurrency: number,
  durationMs: number,
  warmupMs = 500,
  metadata: () => Metadata = callMetadata(),
): Promise<LoadResult> {
  let total = 0;
  const call = () =>
    new Promise<void>((resolve, reject) =>
      client.ModelInfer(request, metadata(), (err) => (total++, err ? reject(err) : resolve())),
    );
  const warmEnd = performance.now() + warmupMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < warmEnd) await call();
    }),
  );
  const latencies: number[] = [];
  let errors = 0;
  const start = performance.now();
  const end = start + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const t = performance.now();
        try {
          await call();
          latencies.push(performance.now() - t);
        } catch {
          errors++;
        }
      }
    }),
  );
  return summarise(latencies, performance.now() - start, errors, total);
}

/** One bidirectional stream with `window` requests in flight; a response releases the next request. */
export async function streamLoad(
  client: OipClient,
  request: unknown,
  window: number,
  durationMs: number,
  warmupMs = 500,
): Promise<LoadResult> {
  const stream = client.ModelStreamInfer();
  const sent: number[] = [];
  const latencies: number[] = [];
  let errors = 0;
  let measuring = false;
  let stopAt = Infinity;
  let inFlight = 0;
  let total = 0;
  let start = 0;
  const done = new Promise<void>((resolve, reject) => {
    stream.on('data', (res: { error_message: string }) => {
      inFlight--;
      total++;
      const t = sent.shift()!;
      if (measuring) {
        if (res.error_message) errors++;
        else latencies.push(performance.now() - t);
      }
      if (performance.now() < stopAt) send();
      else if (inFlight === 0) stream.end();
    });
    stream.on('end', resolve);
    stream.on('error', reject);
  });
  const send = () => {
    inFlight++;
    sent.push(performance.now());
    stream.write(request);
  };
  for (let i = 0; i < window; i++) send();
  await new Promise((r) => setTimeout(r, warmupMs));
  measuring = true;
  start = performance.now();
  await new Promise((r) => setTimeout(r, durationMs));
  stopAt = 0;
  const elapsed = performance.now() - start;
  const result = summarise(latencies, elapsed, errors, 0);
  await done;
  return { ...result, total };
}

/** CPU time (user + system) a process has used so far, in µs, from /proc (Linux). */
export function cpuMicros(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  // utime and stime are fields 14 and 15 of stat, in clock ticks (USER_HZ, 100 on Linux).
  return (Number(fields[11]) + Number(fields[12])) * 10_000;
}
