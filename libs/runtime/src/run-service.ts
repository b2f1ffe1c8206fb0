import 'reflect-metadata';
import type { AccessRules } from '@aimass/auth';
import { ConfigError, type ServiceName } from '@aimass/config';
import {
  grpcServerTransport,
  MeshExceptionFilter,
  raiseServerReceiveWindow,
  type GrpcServer,
  type PackageDefinition,
} from '@aimass/grpc';
import { NatsMeshTransport } from '@aimass/nats';
import { startTracing, stopTracing } from '@aimass/telemetry';
import type { INestApplication, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { setFlagsFromString } from 'node:v8';
import { Logger } from 'nestjs-pino';
import { GrpcAuthGuard, serviceAuthorization } from './grpc-auth.guard.js';
import { processCipher, processConfig, serviceHealth } from './runtime.module.js';

export interface RunServiceOptions {
  /** Who may call each of the service's gRPC methods (its src/auth/access-rules.ts). */
  readonly accessRules: AccessRules;
  /**
   * How far V8 lets the heap grow past its live size before the next full GC, in percent (V8's
   * --heap-growing-percent; unset, V8 picks 10-300% from its own speed estimates): memory traded
   * for CPU in a process that streams hundreds of MiB.
   */
  readonly heapGrowingPercent?: number;
  /**
   * Count Buffer memory (V8's "external" memory) against the same limit as the heap (V8's
   * --external-memory-accounted-in-global-limit). Otherwise V8 starts a full GC after every 64 MiB
   * of new Buffers, whatever the growing factor: a process relaying a 256 MiB artifact through
   * Node's streams (socket reads, gRPC framing) runs about a dozen full GCs per push and pull, while
   * most of those Buffers die young and the minor GCs would free them.
   */
  readonly externalMemoryInGlobalLimit?: boolean;
  /**
   * Runs once Nest has added its handlers to the gRPC server and before its port opens: a hot
   * method may replace its Nest route with a plain grpc-js handler (register), so no call ever
   * meets the port without it.
   */
  readonly bindGrpc?: (
    server: GrpcServer,
    definition: PackageDefinition,
    app: INestApplication,
  ) => Promise<void>;
}

/**
 * Starts one service process, always in the same order: config, telemetry (before anything that
 * might create spans), the Nest app with its gRPC and NATS transports, then HTTP. Health turns
 * SERVING only when all of them listen. SIGTERM/SIGINT stop it cleanly.
 */
export async function runService(
  service: ServiceName,
  loadAppModule: () => Promise<Type<unknown>>,
  options: RunServiceOptions,
): Promise<INestApplication> {
  // V8 reads these whenever it sets the next full-GC limit, so setting them before the app exists
  // covers the whole life of the process.
  if (options.heapGrowingPercent !== undefined)
    setFlagsFromString(`--heap-growing-percent=${options.heapGrowingPercent}`);
  if (options.externalMemoryInGlobalLimit) setFlagsFromString('--external-memory-accounted-in-global-limit');
  let config;
  try {
    config = processConfig();
    processCipher();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`aimass-${service}: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  startTracing({ serviceName: `aimass-${service}`, otlpEndpoint: config.otlpEndpoint });
  const health = serviceHealth(service);
  try {
    return await startApp(service, config, health, loadAppModule, options);
  } catch (err) {
    // A service that cannot start (its backend, its ports, its peers) says why in one line and exits.
    process.stderr.write(`aimass-${service} cannot start: ${(err as Error).message}\n`);
    await stopTracing().catch(() => undefined);
    process.exit(1);
  }
}

async function startApp(
  service: ServiceName,
  config: ReturnType<typeof processConfig>,
  health: ReturnType<typeof serviceHealth>,
  loadAppModule: () => Promise<Type<unknown>>,
  { bindGrpc, accessRules }: RunServiceOptions,
): Promise<INestApplication> {
  // The app module is imported only now: its decorators read configuration at import time.
  const app = await NestFactory.create(await loadAppModule(), { bufferLogs: true });
  const logger = app.get(Logger);
  app.useLogger(logger);
  app.useGlobalFilters(new MeshExceptionFilter());
  app.useGlobalGuards(new GrpcAuthGuard(serviceAuthorization(accessRules)));
  raiseServerReceiveWindow();
  app.connectMicroservice(
    grpcServerTransport(
      service,
      config.grpc[service],
      config.grpcMaxMessageBytes,
      health.grpc,
      config.tls,
      bindGrpc ? (server, definition) => bindGrpc(server, definition, app) : undefined,
    ),
    { inheritAppConfig: true },
  );
  app.connectMicroservice(
    {
      strategy: new NatsMeshTransport({
        natsUrl: config.natsUrl,
        service,
        credentials: config.natsCredentials,
        tlsCa: config.tls.ca,
      }),
    },
    { inheritAppConfig: true },
  );
  app.enableShutdownHooks(['SIGTERM', 'SIGINT']);
  await app.startAllMicroservices();
  const http = new URL(config.http[service]);
  await app.listen(Number(http.port), http.hostname);
  health.set(true);
  logger.log(`aimass-${service} ready: gRPC ${config.grpc[service]}, HTTP ${config.http[service]}`);

  const stop = async () => {
    health.set(false);
    await stopTracing();
  };
  process.once('beforeExit', () => void stop());
  return app;
}
