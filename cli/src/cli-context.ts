import type { Client } from '@grpc/grpc-js';
import type { NatsConnection } from '@nats-io/transport-node';
import type { oip, registryv1, trainerv1 } from '@aimass/contracts';
import type { CliIo } from './cli-io.js';
import { meshAddresses, type MeshAddresses } from './stack-env.js';

/** --registry / --inference as given on the command line (they beat stack.env and AIMASS_*). */
export interface AddressOverrides {
  registry?: string | undefined;
  inference?: string | undefined;
}

/**
 * What one invocation shares between commands: the io, the resolved addresses and the gRPC clients.
 * Clients are created on first use, so `--help` and usage errors never read stack.env, dial, or
 * load the gRPC protos. The context owns the
 * clients until `close`.
 */
export class CliContext {
  private overrides: AddressOverrides = {};
  private addresses: MeshAddresses | undefined;
  private readonly clients: Client[] = [];
  private natsConnection: Promise<NatsConnection> | undefined;

  constructor(readonly io: CliIo) {}

  setOverrides(overrides: AddressOverrides): void {
    this.overrides = overrides;
  }

  address(service: 'registry' | 'inference' | 'trainer'): string {
    const override = service === 'trainer' ? undefined : this.overrides[service];
    if (override) return override;
    this.addresses ??= meshAddresses(this.io.env);
    return this.addresses[service];
  }

  /** Base URLs of the HTTP endpoints people look at (monitor dashboard, inference metrics). */
  httpEndpoints(): { monitor: string; inferenceMetrics: string } {
    this.addresses ??= meshAddresses(this.io.env);
    return { monitor: this.addresses.monitorHttp, inferenceMetrics: this.addresses.inferenceMetricsHttp };
  }

  async registry(): Promise<registryv1.RegistryServiceClient> {
    const address = this.address('registry');
    const { createMeshClient } = await import('@aimass/grpc/client');
    return this.track(createMeshClient<registryv1.RegistryServiceClient>('registry', address));
  }

  async inference(): Promise<oip.GRPCInferenceServiceClient> {
    const address = this.address('inference');
    const { createMeshClient } = await import('@aimass/grpc/client');
    return this.track(createMeshClient<oip.GRPCInferenceServiceClient>('inference', address));
  }

  async trainer(): Promise<trainerv1.TrainerServiceClient> {
    const address = this.address('trainer');
    const { createMeshClient } = await import('@aimass/grpc/client');
    return this.track(createMeshClient<trainerv1.TrainerServiceClient>('trainer', address));
  }

  /** One NATS connection per invocation, opened on first use (only commands that follow jobs). */
  nats(): Promise<NatsConnection> {
    this.addresses ??= meshAddresses(this.io.env);
    const servers = this.addresses.nats;
    this.natsConnection ??= import('@aimass/nats').then(({ connectNats }) =>
      connectNats(servers, 'aimass-cli'),
    );
    return this.natsConnection;
  }

  async close(): Promise<void> {
    for (const client of this.clients.splice(0)) client.close();
    const nats = this.natsConnection;
    this.natsConnection = undefined;
    if (nats) await nats.then((nc) => nc.close()).catch(() => undefined);
  }

  private track<T extends Client>(client: T): T {
    this.clients.push(client);
    return client;
  }
}
