import { z } from 'zod';
import { defaultGrpcAddress, defaultHttpUrl, SERVICES } from './services.js';

/**
 * Every AIMASS_* setting, with its default and a description. This table is the single source for
 * the loader, the README's settings table (checked by a test) and the stack launcher; the services'
 * addresses come from SERVICES (services.ts).
 */
export interface SettingSpec {
  readonly key: string;
  readonly default: string;
  readonly description: string;
  readonly schema: z.ZodType<unknown>;
}

const hostPort = z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:50051');
const url = z.string().url();
/** One NATS server: [scheme://][user[:pass]@]host[:port], scheme nats, tls, ws or wss. */
const NATS_SERVER =
  /^(?:(?:nats|tls|ws|wss):\/\/)?(?:[^\s:@/,]+(?::[^\s@/,]*)?@)?(?:\[[0-9a-fA-F:]+\]|[^\s:@/,[\]]+)(?::\d{1,5})?$/;
const natsServers = z
  .string()
  .refine(
    (v) => v.split(',').every((server) => NATS_SERVER.test(server.trim())),
    'expected NATS servers separated by commas, e.g. nats://127.0.0.1:4222',
  );
const optionalUrl = z.union([z.literal(''), z.string().url()]);
const positiveInt = z.coerce.number().int().positive();
const probability = z.coerce
  .number()
  .gt(0, 'expected a number in (0, 1)')
  .lt(1, 'expected a number in (0, 1)');
const flag = z.enum(['true', 'false'], { error: 'expected true or false' }).transform((v) => v === 'true');
const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

function setting<K extends string>(
  key: K,
  def: string,
  schema: z.ZodType<unknown>,
  description: string,
): SettingSpec & { readonly key: K } {
  return { key, default: def, schema, description };
}

export const SETTINGS = [
  setting(
    'AIMASS_NATS_URL',
    'nats://127.0.0.1:4222',
    natsServers,
    'NATS server(s) with JetStream, comma-separated.',
  ),
  setting(
    'AIMASS_NATS_CREDENTIALS',
    '',
    z.string(),
    "This process's NATS identity: a file holding an nkey seed (`SU...`) or a `.creds` file (a user JWT and its seed). Empty: connect without credentials. `scripts/stack` writes one per service, with publish/subscribe permissions limited to the service's own subjects.",
  ),
  setting(
    'AIMASS_S3_ENDPOINT',
    'http://127.0.0.1:9000',
    url,
    'S3-compatible endpoint (MinIO) for artifacts and checkpoints.',
  ),
  setting('AIMASS_S3_ACCESS_KEY', 'S3RVER', z.string().min(1), 'S3 access key.'),
  setting('AIMASS_S3_SECRET_KEY', 'S3RVER', z.string().min(1), 'S3 secret key.'),
  setting('AIMASS_S3_REGION', 'us-east-1', z.string().min(1), 'S3 region.'),
  setting(
    'AIMASS_S3_BUCKET',
    'aimass-artifacts',
    z.string().regex(/^[a-z0-9][a-z0-9.-]{2,62}$/),
    'Bucket holding model artifacts.',
  ),
  setting(
    'AIMASS_S3_TIMEOUT_MS',
    '30000',
    positiveInt,
    'How long one S3 request may go without progress (no connection, no answer, no bytes moving) before it fails and the call gets UNAVAILABLE; a frozen endpoint holds a push or a load no longer than this.',
  ),
  setting(
    'AIMASS_ENCRYPTION',
    'false',
    flag,
    'Encryption at rest (docs/encryption.md): every object the registry and trainer store (artifacts, datasets, statistics, checkpoints) is sealed with AES-256-GCM under its own data key, wrapped by the master key; reads decrypt in memory and refuse tampered, truncated or unsealed objects. Needs AIMASS_MASTER_KEY or AIMASS_MASTER_KEY_FILE.',
  ),
  setting(
    'AIMASS_MASTER_KEY',
    '',
    z.union([
      z.literal(''),
      z
        .string()
        .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64')
        .refine(
          (v) => Buffer.from(v, 'base64').length === 32,
          'expected 32 bytes in base64 (openssl rand -base64 32)',
        ),
    ]),
    "The master key that wraps each object's data key: 32 random bytes in base64. The registry, trainer and inference must share it; a sealed object read with another key is refused. Also read when AIMASS_ENCRYPTION is off, so sealed objects stay readable.",
  ),
  setting(
    'AIMASS_MASTER_KEY_FILE',
    '',
    z.string(),
    'A file holding the master key (base64 text or the 32 raw bytes), instead of AIMASS_MASTER_KEY.',
  ),
  setting(
    'AIMASS_OTLP_ENDPOINT',
    '',
    optionalUrl,
    'OTLP/HTTP collector base URL (e.g. http://127.0.0.1:4318). Empty: spans are not exported.',
  ),
  setting('AIMASS_LOG_LEVEL', 'info', logLevel, 'pino log level.'),
  setting(
    'AIMASS_AUTH_JWKS',
    '',
    z.string(),
    "Where the token issuer publishes its public keys: a JWKS file path, or an OIDC provider's jwks_uri (https). Empty: no authentication (scripts/stack sets it to the key it generates).",
  ),
  setting('AIMASS_AUTH_ISSUER', 'aimass-local', z.string().min(1), 'Required `iss` of bearer tokens.'),
  setting('AIMASS_AUTH_AUDIENCE', 'aimass', z.string().min(1), 'Required `aud` of bearer tokens.'),
  setting(
    'AIMASS_AUTH_TOKEN',
    '',
    z.string(),
    "The bearer token this process presents when it calls another service (the CLI too). Empty: none; the CLI then mints one from the local stack's key when it can.",
  ),
  setting(
    'AIMASS_TLS_CA',
    '',
    z.string(),
    'PEM file of the certificate authority the mesh trusts. Set: every gRPC call and the NATS connection use TLS and verify the peer against it. Empty: plaintext.',
  ),
  setting(
    'AIMASS_TLS_CERT',
    '',
    z.string(),
    "PEM certificate (chain) this service's gRPC server presents; needed by services when AIMASS_TLS_CA is set.",
  ),
  setting('AIMASS_TLS_KEY', '', z.string(), 'PEM private key of AIMASS_TLS_CERT.'),
  ...SERVICES.map((s) => setting(s.grpc.key, defaultGrpcAddress(s), hostPort, s.grpc.about)),
  ...SERVICES.map((s) => setting(s.http.key, defaultHttpUrl(s), url, s.http.about)),
  setting(
    'AIMASS_MAX_ARTIFACT_BYTES',
    String(2 * 1024 ** 3),
    positiveInt,
    'Largest artifact the registry accepts, in bytes (onnx and tfjs; a single ONNX file cannot pass 2 GiB anyway).',
  ),
  setting(
    'AIMASS_MAX_EXTERNAL_ARTIFACT_BYTES',
    String(64 * 1024 ** 3),
    positiveInt,
    'Largest onnx-external artifact (a graph plus its external-data shards) the registry accepts, in bytes.',
  ),
  setting(
    'AIMASS_MAX_DATASET_BYTES',
    String(512 * 1024 ** 2),
    positiveInt,
    'Largest dataset file the registry accepts, in bytes (it is parsed in memory to describe it).',
  ),
  setting(
    'AIMASS_REGISTRY_MAX_NAME_LENGTH',
    '128',
    z.coerce.number().int().min(1).max(200),
    'Longest model name the registry accepts (at most 200).',
  ),
  setting(
    'AIMASS_REGISTRY_NAME_PATTERN',
    '',
    z.string().refine((p) => {
      try {
        new RegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'not a valid regular expression'),
    "Extra rule model names must also match (a regular expression, e.g. ^[a-z]+-); empty: none. Names are always letters, digits, '-' and '_'.",
  ),
  setting(
    'AIMASS_REGISTRY_CONVERSION_ROWS',
    '256',
    z.coerce.number().int().min(1).max(100_000),
    'Rows ConvertModelVersion runs source and compressed copy on (and calibrates int8-static with): the first rows of the named dataset, or rows drawn from the reference statistics.',
  ),
  setting(
    'AIMASS_REGISTRY_VERIFY_TOLERANCE',
    '0.01',
    z.coerce.number().min(0).max(1),
    'VerifyModelCard marks a declared result verified when the re-run value is within this fraction of it (relative; 1e-9 absolute at least).',
  ),
  setting(
    'AIMASS_REGISTRY_DEFAULT_PAGE_SIZE',
    '50',
    positiveInt,
    'Page size of registry listings when the caller names none.',
  ),
  setting(
    'AIMASS_REGISTRY_MAX_PAGE_SIZE',
    '1000',
    positiveInt,
    'Largest page size a registry listing accepts.',
  ),
  setting(
    'AIMASS_GRPC_MAX_MESSAGE_BYTES',
    String(64 * 1024 ** 2),
    positiveInt,
    'Largest gRPC message any service accepts, in bytes.',
  ),
  setting('AIMASS_TRAINER_POOL', 'cpu', z.enum(['cpu', 'gpu']), 'Pool this trainer node pulls jobs from.'),
  setting('AIMASS_TRAINER_CONCURRENCY', '1', positiveInt, 'Jobs one trainer node runs at once.'),
  setting(
    'AIMASS_TRAINER_BACKEND',
    'auto',
    z.enum(['auto', 'tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu']),
    'Compute backend of a trainer node: auto (tensorflow-gpu, then WebGPU on a hardware adapter, then tensorflow, wasm, cpu) or one of those by name; a named webgpu also takes a software adapter (Mesa llvmpipe).',
  ),
  setting(
    'AIMASS_TRAINER_ALLOW_CPU_FALLBACK',
    'false',
    flag,
    'Whether a gpu-pool trainer node may start without a GPU backend (it then trains on the CPU); false: it refuses to start and says why.',
  ),
  setting(
    'AIMASS_INFERENCE_SUMMARY_INTERVAL_MS',
    '1000',
    positiveInt,
    'How often inference publishes batched prediction summaries.',
  ),
  setting(
    'AIMASS_INFERENCE_SKETCHES',
    'true',
    flag,
    "Whether inference folds each version's inputs into per-feature sketches (DDSketch quantiles, moments) shipped in the prediction summaries for drift; false turns them off.",
  ),
  setting(
    'AIMASS_INFERENCE_SKETCH_ROWS_PER_SECOND',
    '200',
    positiveInt,
    'Upper bound on the input rows per second and model version folded into sketches; above it every k-th row is folded (k set from the previous interval), so sketching stays a small share of serving.',
  ),
  setting(
    'AIMASS_INFERENCE_SKETCH_VALUES_PER_SECOND',
    '25000',
    positiveInt,
    'Upper bound on the feature values per second and model version folded into sketches (rows times features): a wide model folds fewer rows (25,000 / 784 = 31 rows per second for MNIST), so sketching costs about the same CPU whatever the width.',
  ),
  setting(
    'AIMASS_INFERENCE_DETECTOR_SAMPLE_RATE',
    '0.1',
    z.coerce.number().gt(0, 'expected a number in (0, 1]').max(1, 'expected a number in (0, 1]'),
    'Share of the input rows of a version with a `monitor.detector` tag that its detector scores, off the request path; the counts ride in the prediction summaries.',
  ),
  setting(
    'AIMASS_INFERENCE_DETECTOR_QUEUE_ROWS',
    '4096',
    positiveInt,
    'Sampled rows waiting for their detector, all versions together; past it sampled rows are dropped and counted (aimass_inference_detector_dropped_rows_total), so a slow detector never slows serving.',
  ),
  setting(
    'AIMASS_MONITOR_ANOMALY_WINDOW_ROWS',
    '1000',
    positiveInt,
    'Detector-scored rows per tumbling anomaly window and model version.',
  ),
  setting(
    'AIMASS_MONITOR_ANOMALY_SIGNIFICANCE',
    '0.01',
    probability,
    "A window raises monitor.alert.anomaly when the one-sided binomial p-value of its flagged rows, against the detector's expected rate (1 − threshold_percentile/100), is below this.",
  ),
  setting(
    'AIMASS_MONITOR_DRIFT_WINDOW_ROWS',
    '1000',
    positiveInt,
    'Rows of live input per tumbling drift window and model version.',
  ),
  setting(
    'AIMASS_MONITOR_DRIFT_P_VALUE',
    '0.05',
    probability,
    "KS significance level for dataset drift (Evidently's 0.05); one feature drifts the dataset when its p-value is below this divided by the number of features (Bonferroni).",
  ),
  setting(
    'AIMASS_MONITOR_DRIFT_SHARE',
    '0.5',
    probability,
    "Share of features with KS p-value below AIMASS_MONITOR_DRIFT_P_VALUE that also makes the dataset drift (Evidently's drift_share).",
  ),
  setting(
    'AIMASS_MONITOR_DRIFT_PSI',
    '0.1',
    z.coerce.number().positive(),
    'PSI above which a feature is flagged (Evidently).',
  ),
  setting(
    'AIMASS_MONITOR_DRIFT_WASSERSTEIN',
    '0.1',
    z.coerce.number().positive(),
    'Wasserstein distance, divided by the reference standard deviation, above which a feature is flagged (Evidently).',
  ),
  setting(
    'AIMASS_INFERENCE_INSTANCES',
    '1',
    positiveInt,
    'onnxruntime sessions (execution slots) per loaded model version; they run in parallel with AIMASS_INFERENCE_EXECUTION=worker.',
  ),
  setting(
    'AIMASS_INFERENCE_EXECUTION',
    'event-loop',
    z.enum(['worker', 'event-loop']),
    'Where onnxruntime runs: event-loop (lowest latency for small models; each run blocks the event loop, so instances add no parallelism) or worker (one worker thread per session: the event loop stays free and instances run in parallel, for about 0.3 ms more per execution).',
  ),
  setting(
    'AIMASS_INFERENCE_SCRATCH_DIR',
    '',
    z.string(),
    "Folder where inference unpacks onnx-external models (graph plus weight shards) for onnxruntime to open by path; removed once they are loaded. Empty: the system's temporary folder. An encrypted one is unpacked only where this folder is a tmpfs (e.g. /dev/shm), so its plaintext never touches disk.",
  ),
  setting('AIMASS_INFERENCE_INTRA_OP_THREADS', '1', positiveInt, 'onnxruntime intra-op threads per session.'),
  setting(
    'AIMASS_INFERENCE_MAX_BATCH_SIZE',
    '64',
    positiveInt,
    'Default dynamic batching limit (rows per execution) for models with a batch dimension; 1 turns batching off. A version tag inference.max_batch_size overrides it.',
  ),
  setting(
    'AIMASS_INFERENCE_MAX_QUEUE_DELAY_US',
    '1000',
    z.coerce.number().int().nonnegative(),
    'Longest a request waits for a fuller batch, in µs (tag inference.max_queue_delay_us); it waits only while recent traffic filled bigger batches, so a lone caller never waits. 0: never wait.',
  ),
  setting(
    'AIMASS_INFERENCE_MAX_QUEUE',
    '1024',
    positiveInt,
    'Requests one model version may queue; beyond it requests get RESOURCE_EXHAUSTED.',
  ),
  setting(
    'AIMASS_INFERENCE_MEMORY_BUDGET_BYTES',
    String(2 * 1024 ** 3),
    positiveInt,
    'Artifact bytes of loaded models; past it the least recently used versions are unloaded.',
  ),
  setting(
    'AIMASS_MONITOR_TRACES_URL',
    'http://127.0.0.1:16686/search?service=aimass-inference&tags=%7B%22aimass.model%22%3A%22{model}%22%2C%22aimass.model_version%22%3A%22{version}%22%7D',
    z
      .string()
      .refine((v) => v === '' || URL.canParse(v.replaceAll(/\{(model|version)\}/g, 'x')), 'expected a URL'),
    "Where the console links a model version's traces: a URL with {model} and {version} (Jaeger's search by default). Empty: no links.",
  ),
] as const satisfies readonly SettingSpec[];

export type SettingKey = (typeof SETTINGS)[number]['key'];
