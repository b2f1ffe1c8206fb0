import { ConfigError, loadConfig, type AimassConfig, type ServiceName } from '@aimass/config';
import { connectNats, EventBus, NatsRpcClient, provisionStreams, type NatsConnection } from '@aimass/nats';
import { EnvelopeCipher, ObjectStore } from '@aimass/storage';
import { createLogger } from '@aimass/telemetry';
import {
  Global,
  Inject,
  Module,
  type DynamicModule,
  type OnApplicationShutdown,
  type Provider,
  type Type,
} from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { OpsController } from './ops.controller.js';
import { ServiceHealth } from './service-health.js';
import { AIMASS_CONFIG, METRICS_REGISTRY, NATS_CONNECTION, SERVICE_NAME } from './tokens.js';

let health: ServiceHealth | undefined;
let config: AimassConfig | undefined;
let cipher: EnvelopeCipher | undefined;

/**
 * The process's validated configuration, read from the environment once: runService reads it first
 * (a bad setting exits with code 2 before anything starts) and RuntimeModule provides the same object.
 */
export function processConfig(): AimassConfig {
  config ??= loadConfig();
  return config;
}

/**
 * The object cipher of the encryption settings (the master key read once); runService makes it
 * right after the config, so a key that cannot be read stops the process like a bad setting.
 */
export function processCipher(): EnvelopeCipher {
  if (!cipher) {
    const { encryption } = processConfig();
    try {
      cipher = EnvelopeCipher.fromSettings(encryption);
    } catch (err) {
      if (!(err instanceof RangeError)) throw err;
      const key = encryption.masterKeyFile ? 'AIMASS_MASTER_KEY_FILE' : 'AIMASS_MASTER_KEY';
      throw new ConfigError(`invalid configuration: ${err.message}`, [{ key, message: err.message }]);
    }
  }
  return cipher;
}

/** The process-wide health of the running service (one service per process). */
export function serviceHealth(service: ServiceName): ServiceHealth {
  health ??= new ServiceHealth(service);
  return health;
}

/** Closes the shared NATS connection after Nest has stopped every consumer of it. */
class NatsLifecycle implements OnApplicationShutdown {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}
  async onApplicationShutdown(): Promise<void> {
    await this.nc.drain().catch(() => undefined);
  }
}

/** Closes the object store's read connections at shutdown. */
class StorageLifecycle implements OnApplicationShutdown {
  constructor(@Inject(ObjectStore) private readonly store: ObjectStore) {}
  async onApplicationShutdown(): Promise<void> {
    await this.store.close().catch(() => undefined);
  }
}

export interface RuntimeOptions {
  /** Provide ObjectStore (and make sure its bucket exists). */
  readonly storage?: boolean;
}

/**
 * What every service gets the same way: validated config, the pino logger, one NATS connection with
 * the mesh's streams provisioned, the event bus, request/reply to peers, a Prometheus registry,
 * /metrics and /healthz, and (opt-in) object storage.
 */
@Global()
@Module({})
export class RuntimeModule {
  static forRoot(service: ServiceName, options: RuntimeOptions = {}): DynamicModule {
    const config = processConfig();
    const providers: Provider[] = [
      { provide: SERVICE_NAME, useValue: service },
      { provide: AIMASS_CONFIG, useValue: config },
      { provide: ServiceHealth, useValue: serviceHealth(service) },
      {
        provide: NATS_CONNECTION,
        useFactory: async () => {
          const nc = await connectNats(config.natsUrl, `aimass-${service}`, {
            credentials: config.natsCredentials,
            user: service,
            tlsCa: config.tls.ca,
          });
          await provisionStreams(nc);
          return nc;
        },
      },
      NatsLifecycle,
      {
        provide: EventBus,
        useFactory: (nc: NatsConnection) => new EventBus(nc, `aimass/${service}`),
        inject: [NATS_CONNECTION],
      },
      {
        provide: NatsRpcClient,
        useFactory: (nc: NatsConnection) => new NatsRpcClient(nc),
        inject: [NATS_CONNECTION],
      },
      {
        provide: METRICS_REGISTRY,
        useFactory: () => {
          const registry = new Registry();
          registry.setDefaultLabels({ service: `aimass-${service}` });
          collectDefaultMetrics({ register: registry });
          return registry;
        },
      },
    ];
    const exports: (symbol | Type<unknown>)[] = [
      SERVICE_NAME,
      AIMASS_CONFIG,
      ServiceHealth,
      NATS_CONNECTION,
      EventBus,
      NatsRpcClient,
      METRICS_REGISTRY,
    ];
    if (options.storage) {
      providers.push({
        provide: ObjectStore,
        useFactory: async (cfg: AimassConfig) => {
          const store = new ObjectStore(cfg.s3, processCipher());
          await store.ensureBucket();
          return store;
        },
        inject: [AIMASS_CONFIG],
      });
      providers.push(StorageLifecycle);
      exports.push(ObjectStore);
    }
    return {
      module: RuntimeModule,
      imports: [
        LoggerModule.forRoot({
          pinoHttp: {
            logger: createLogger(`aimass-${service}`, config.logLevel),
            autoLogging: false,
            quietReqLogger: true,
          },
        }),
      ],
      controllers: [OpsController],
      providers,
      exports,
    };
  }
}
