// @aimass/testing: the real-server harness behind every integration/e2e test and the stack launcher
// (tools/stack).
export { freePort, portIsFree } from './ports.js';
export { eventually, type EventuallyOptions } from './eventually.js';
export { repoRoot } from './repo-root.js';
export { makeScratchDir } from './scratch-dir.js';
export { SupervisedChild, type ChildExit, type SpawnSupervisedOptions } from './child-process.js';
export { processAlive, processStartTime } from './process-table.js';
export { startNatsServer, type NatsServer, type StartNatsServerOptions } from './nats-server.js';
export { localTls, type LocalTls } from './local-tls.js';
export { natsAccounts, type NatsAccounts, type NatsAccountUser } from './nats-accounts.js';
export { startS3Server, type S3Server, type StartS3ServerOptions } from './s3-server.js';
export {
  checkGrpcHealth,
  waitForGrpcHealth,
  type HealthCheckOptions,
  type HealthStatus,
  type WaitForGrpcHealthOptions,
} from './grpc-health.js';
export {
  SERVICE_NAMES,
  grpcAddressKey,
  startService,
  type ServiceName,
  type ServiceProcess,
  type StartServiceOptions,
} from './service-process.js';
export { MESH_ENV_KEYS, startMesh, type Mesh, type MeshOptions } from './mesh.js';
// The stack.env reader lives in @aimass/config (the CLI reads the same file); tests import it from here.
export { readEnvFile } from '@aimass/config';
export {
  ExecutableNotFoundError,
  HarnessError,
  HealthTimeoutError,
  NotBuiltError,
  ProcessStartError,
} from './errors.js';
