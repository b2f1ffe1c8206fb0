import fs from 'node:fs';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import path from 'node:path';
import { HarnessError, HealthTimeoutError } from './errors.js';
import { repoRoot } from './repo-root.js';

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

export interface HealthCheckOptions {
  /** The service name to ask about; '' is the whole server. */
  readonly service?: string;
  readonly timeoutMs?: number;
  /** A CA file: check over TLS, verifying the server against it (a mesh with AIMASS_TLS_CA). */
  readonly caFile?: string;
}

export interface WaitForGrpcHealthOptions extends HealthCheckOptions {
  readonly intervalMs?: number;
}

let healthClient: grpc.ServiceClientConstructor | undefined;

/** The Health client generated from protos/grpc/health/v1/health.proto (the one contract file). */
function healthClientConstructor(): grpc.ServiceClientConstructor {
  if (!healthClient) {
    const file = path.join(repoRoot(), 'protos', 'grpc', 'health', 'v1', 'health.proto');
    const definition = protoLoader.loadSync(file, { keepCase: true, enums: String, defaults: true });
    const loaded = grpc.loadPackageDefinition(definition) as unknown as {
      grpc: { health: { v1: { Health: grpc.ServiceClientConstructor } } };
    };
    healthClient = loaded.grpc.health.v1.Health;
  }
  return healthClient;
}

/**
 * One Health/Check call. Resolves with the reported status; rejects with the gRPC error when the
 * server cannot be reached or does not know the service.
 */
export function checkGrpcHealth(address: string, options: HealthCheckOptions = {}): Promise<HealthStatus> {
  const Health = healthClientConstructor();
  // A private subchannel per check: a shared one would carry reconnect backoff over from earlier
  // failed attempts and delay noticing a server that has just come up.
  const channel = options.caFile
    ? grpc.credentials.createSsl(fs.readFileSync(options.caFile))
    : grpc.credentials.createInsecure();
  const client = new Health(address, channel, {
    'grpc.use_local_subchannel_pool': 1,
  });
  const deadline = new Date(Date.now() + (options.timeoutMs ?? 1_000));
  return new Promise<HealthStatus>((resolve, reject) => {
    client.Check(
      { service: options.service ?? '' },
      { deadline },
      (err: grpc.ServiceError | null, res?: { status: HealthStatus }) => {
        if (err) reject(err);
        else if (!res) reject(new HarnessError(`${address}: empty Health/Check response`));
        else resolve(res.status);
      },
    );
  }).finally(() => client.close());
}

/** Polls Health/Check until it reports SERVING; rejects with HealthTimeoutError after `timeoutMs`. */
export async function waitForGrpcHealth(
  address: string,
  options: WaitForGrpcHealthOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: string = 'no answer yet';
  let lastError: unknown;
  for (;;) {
    const remaining = deadline - Date.now();
    try {
      const status = await checkGrpcHealth(address, {
        service: options.service ?? '',
        timeoutMs: Math.max(100, Math.min(1_000, remaining)),
      });
      if (status === 'SERVING') return;
      last = `status ${status}`;
    } catch (err) {
      lastError = err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() >= deadline) {
      const what = options.service ? `service "${options.service}"` : 'server';
      throw new HealthTimeoutError(
        `${address}: gRPC health of the ${what} not SERVING after ${timeoutMs} ms (last: ${last})`,
        {
          cause: lastError,
        },
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 200));
  }
}
