import { makeScratchDir, startMesh, type Mesh } from '@aimass/testing';
import { genericOipClient, type OipClient } from './oip-client.js';
import { registryClient } from './registry-push.js';

/** What the inference e2e tests run against: a real registry and inference on nats-server and s3rver. */
export interface ServingMesh {
  readonly mesh: Mesh;
  /** Test setup's way in (pushes, aliases); not part of the client under test. */
  readonly registry: ReturnType<typeof registryClient>;
  /** The generic OIP v2 client under test. */
  readonly oip: OipClient;
  /** Closes both clients and stops every process; the state directory goes when the test process exits. */
  stop(): Promise<void>;
}

export interface ServingOptions {
  /** Merged over AIMASS_LOG_LEVEL=warn for both services. */
  readonly env?: Readonly<Record<string, string>>;
  readonly otlpEndpoint?: string;
  /** grpc-js channel options of the OIP client. */
  readonly oipOptions?: Record<string, unknown>;
}

export async function startServing(options: ServingOptions = {}): Promise<ServingMesh> {
  const mesh = await startMesh({
    stateDir: makeScratchDir('inference-e2e'),
    services: ['registry', 'inference'],
    ...(options.otlpEndpoint ? { otlpEndpoint: options.otlpEndpoint } : {}),
    extraEnv: { AIMASS_LOG_LEVEL: 'warn', ...options.env },
  });
  const registry = registryClient(mesh.env.AIMASS_REGISTRY_GRPC!);
  const oip = genericOipClient(mesh.env.AIMASS_INFERENCE_GRPC!, options.oipOptions);
  return {
    mesh,
    registry,
    oip,
    async stop() {
      oip.close();
      (registry as unknown as { close(): void }).close();
      await mesh.stop();
    },
  };
}
