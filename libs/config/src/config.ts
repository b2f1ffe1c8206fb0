import {
  SERVICES,
  serviceSpec,
  type ServiceGrpcKey,
  type ServiceHttpKey,
  type ServiceName,
} from './services.js';
import { SETTINGS, type SettingKey } from './settings.js';

/** Thrown when AIMASS_* variables do not validate; lists every bad key at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    message: string,
    readonly issues: readonly { key: string; message: string }[],
  ) {
    super(message);
  }
}

/** PEM file paths: the CA every connection verifies against, and this server's certificate. */
export interface MeshTls {
  readonly ca: string;
  readonly cert: string;
  readonly key: string;
}

export type AimassConfig = {
  readonly natsUrl: string;
  /** NATS credentials file (nkey seed or .creds); empty: none. */
  readonly natsCredentials: string;
  readonly s3: {
    readonly endpoint: string;
    readonly accessKey: string;
    readonly secretKey: string;
    readonly region: string;
    readonly bucket: string;
    readonly timeoutMs: number;
  };
  /** Encryption at rest (libs/storage EnvelopeCipher); key and file empty: no master key. */
  readonly encryption: {
    readonly enabled: boolean;
    readonly masterKey: string;
    readonly masterKeyFile: string;
  };
  readonly otlpEndpoint: string;
  readonly logLevel: string;
  /** Bearer-token verification; `jwks` empty means authentication is off. */
  readonly auth: {
    readonly jwks: string;
    readonly issuer: string;
    readonly audience: string;
    /** Presented on outgoing calls to other services. */
    readonly token: string;
  };
  /** TLS for gRPC and NATS; `ca` empty means plaintext (libs/grpc tls.ts). */
  readonly tls: MeshTls;
  readonly grpc: Record<ServiceName, string>;
  readonly http: Record<ServiceName, string>;
  readonly maxArtifactBytes: number;
  /** For onnx-external artifacts, whose weights may pass the 2 GiB protobuf limit. */
  readonly maxExternalArtifactBytes: number;
  readonly maxDatasetBytes: number;
  readonly registry: {
    readonly maxNameLength: number;
    readonly namePattern: string;
    readonly defaultPageSize: number;
    readonly maxPageSize: number;
    readonly conversionRows: number;
    readonly verifyTolerance: number;
  };
  readonly grpcMaxMessageBytes: number;
  readonly trainer: {
    readonly pool: 'cpu' | 'gpu';
    readonly concurrency: number;
    readonly backend: TrainerBackendSetting;
    readonly allowCpuFallback: boolean;
  };
  readonly inference: {
    readonly summaryIntervalMs: number;
    readonly instances: number;
    readonly execution: 'worker' | 'event-loop';
    readonly intraOpThreads: number;
    /** Where onnx-external models are unpacked; '' is the system's temporary folder. */
    readonly scratchDir: string;
    readonly maxBatchSize: number;
    readonly maxQueueDelayUs: number;
    readonly maxQueue: number;
    readonly memoryBudgetBytes: number;
    readonly sketches: boolean;
    readonly sketchRowsPerSecond: number;
    readonly sketchValuesPerSecond: number;
    /** Share of a detector-tagged version's input rows its detector scores. */
    readonly detectorSampleRate: number;
    readonly detectorQueueRows: number;
  };
  readonly monitor: {
    readonly drift: {
      readonly windowRows: number;
      readonly pValue: number;
      readonly driftShare: number;
      readonly psi: number;
      readonly wasserstein: number;
    };
    readonly anomaly: { readonly windowRows: number; readonly significance: number };
    readonly tracesUrlTemplate: string;
  };
};

/**
 * Keys the stack launcher owns (AIMASS_STACK_PID in .aimass/stack.env, AIMASS_STACK_ENV for the
 * CLI). They are not settings, and a shell that sourced stack.env can still start any service.
 */
const LAUNCHER_KEY = /^AIMASS_STACK_/;

export type TrainerBackendSetting = 'auto' | 'tensorflow-gpu' | 'webgpu' | 'tensorflow' | 'wasm' | 'cpu';

/** Reads, defaults and validates every AIMASS_* variable. Unknown AIMASS_* keys are an error too. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AimassConfig {
  const values = {} as Record<SettingKey, unknown>;
  const issues: { key: string; message: string }[] = [];
  for (const spec of SETTINGS) {
    const raw = env[spec.key] ?? spec.default;
    const parsed = spec.schema.safeParse(raw);
    if (parsed.success) values[spec.key] = parsed.data;
    else
      issues.push({
        key: spec.key,
        message: `${JSON.stringify(raw)}: ${parsed.error.issues.map((i) => i.message).join('; ')}`,
      });
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  for (const key of Object.keys(env)) {
    if (key.startsWith('AIMASS_') && !known.has(key) && !LAUNCHER_KEY.test(key)) {
      issues.push({ key, message: 'unknown setting (see the settings table in README.md)' });
    }
  }
  if (values.AIMASS_MASTER_KEY && values.AIMASS_MASTER_KEY_FILE)
    issues.push({ key: 'AIMASS_MASTER_KEY_FILE', message: 'set either it or AIMASS_MASTER_KEY, not both' });
  if (values.AIMASS_ENCRYPTION === true && !values.AIMASS_MASTER_KEY && !values.AIMASS_MASTER_KEY_FILE)
    issues.push({
      key: 'AIMASS_ENCRYPTION',
      message: 'is on, but there is no master key: set AIMASS_MASTER_KEY or AIMASS_MASTER_KEY_FILE',
    });
  if (issues.length > 0) {
    throw new ConfigError(
      `invalid configuration: ${issues.map((i) => `${i.key} ${i.message}`).join(', ')}`,
      issues,
    );
  }
  const v = values as Record<SettingKey, never>;
  return {
    natsUrl: v.AIMASS_NATS_URL,
    natsCredentials: v.AIMASS_NATS_CREDENTIALS,
    s3: {
      endpoint: v.AIMASS_S3_ENDPOINT,
      accessKey: v.AIMASS_S3_ACCESS_KEY,
      secretKey: v.AIMASS_S3_SECRET_KEY,
      region: v.AIMASS_S3_REGION,
      bucket: v.AIMASS_S3_BUCKET,
      timeoutMs: v.AIMASS_S3_TIMEOUT_MS,
    },
    encryption: {
      enabled: v.AIMASS_ENCRYPTION,
      masterKey: v.AIMASS_MASTER_KEY,
      masterKeyFile: v.AIMASS_MASTER_KEY_FILE,
    },
    otlpEndpoint: v.AIMASS_OTLP_ENDPOINT,
    logLevel: v.AIMASS_LOG_LEVEL,
    auth: {
      jwks: v.AIMASS_AUTH_JWKS,
      issuer: v.AIMASS_AUTH_ISSUER,
      audience: v.AIMASS_AUTH_AUDIENCE,
      token: v.AIMASS_AUTH_TOKEN,
    },
    tls: { ca: v.AIMASS_TLS_CA, cert: v.AIMASS_TLS_CERT, key: v.AIMASS_TLS_KEY },
    grpc: byService((s) => v[s.grpc.key]),
    http: byService((s) => v[s.http.key]),
    maxArtifactBytes: v.AIMASS_MAX_ARTIFACT_BYTES,
    maxExternalArtifactBytes: v.AIMASS_MAX_EXTERNAL_ARTIFACT_BYTES,
    maxDatasetBytes: v.AIMASS_MAX_DATASET_BYTES,
    registry: {
      maxNameLength: v.AIMASS_REGISTRY_MAX_NAME_LENGTH,
      namePattern: v.AIMASS_REGISTRY_NAME_PATTERN,
      defaultPageSize: v.AIMASS_REGISTRY_DEFAULT_PAGE_SIZE,
      maxPageSize: v.AIMASS_REGISTRY_MAX_PAGE_SIZE,
      conversionRows: v.AIMASS_REGISTRY_CONVERSION_ROWS,
      verifyTolerance: v.AIMASS_REGISTRY_VERIFY_TOLERANCE,
    },
    grpcMaxMessageBytes: v.AIMASS_GRPC_MAX_MESSAGE_BYTES,
    trainer: {
      pool: v.AIMASS_TRAINER_POOL,
      concurrency: v.AIMASS_TRAINER_CONCURRENCY,
      backend: v.AIMASS_TRAINER_BACKEND,
      allowCpuFallback: v.AIMASS_TRAINER_ALLOW_CPU_FALLBACK,
    },
    inference: {
      summaryIntervalMs: v.AIMASS_INFERENCE_SUMMARY_INTERVAL_MS,
      instances: v.AIMASS_INFERENCE_INSTANCES,
      execution: v.AIMASS_INFERENCE_EXECUTION,
      intraOpThreads: v.AIMASS_INFERENCE_INTRA_OP_THREADS,
      scratchDir: v.AIMASS_INFERENCE_SCRATCH_DIR,
      maxBatchSize: v.AIMASS_INFERENCE_MAX_BATCH_SIZE,
      maxQueueDelayUs: v.AIMASS_INFERENCE_MAX_QUEUE_DELAY_US,
      maxQueue: v.AIMASS_INFERENCE_MAX_QUEUE,
      memoryBudgetBytes: v.AIMASS_INFERENCE_MEMORY_BUDGET_BYTES,
      sketches: v.AIMASS_INFERENCE_SKETCHES,
      sketchRowsPerSecond: v.AIMASS_INFERENCE_SKETCH_ROWS_PER_SECOND,
      sketchValuesPerSecond: v.AIMASS_INFERENCE_SKETCH_VALUES_PER_SECOND,
      detectorSampleRate: v.AIMASS_INFERENCE_DETECTOR_SAMPLE_RATE,
      detectorQueueRows: v.AIMASS_INFERENCE_DETECTOR_QUEUE_ROWS,
    },
    monitor: {
      drift: {
        windowRows: v.AIMASS_MONITOR_DRIFT_WINDOW_ROWS,
        pValue: v.AIMASS_MONITOR_DRIFT_P_VALUE,
        driftShare: v.AIMASS_MONITOR_DRIFT_SHARE,
        psi: v.AIMASS_MONITOR_DRIFT_PSI,
        wasserstein: v.AIMASS_MONITOR_DRIFT_WASSERSTEIN,
      },
      anomaly: {
        windowRows: v.AIMASS_MONITOR_ANOMALY_WINDOW_ROWS,
        significance: v.AIMASS_MONITOR_ANOMALY_SIGNIFICANCE,
      },
      tracesUrlTemplate: v.AIMASS_MONITOR_TRACES_URL,
    },
  };
}

function byService(value: (spec: (typeof SERVICES)[number]) => string): Record<ServiceName, string> {
  return Object.fromEntries(SERVICES.map((s) => [s.name, value(s)])) as Record<ServiceName, string>;
}

/** The env key that holds a service's gRPC address, e.g. AIMASS_REGISTRY_GRPC. */
export function grpcKey(service: ServiceName): ServiceGrpcKey {
  return serviceSpec(service).grpc.key;
}

/** The env key that holds a service's HTTP base URL, e.g. AIMASS_INFERENCE_METRICS_HTTP. */
export function httpKey(service: ServiceName): ServiceHttpKey {
  return serviceSpec(service).http.key;
}
