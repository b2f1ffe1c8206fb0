import type { Client } from '@grpc/grpc-js';
import os from 'node:os';
import type { NatsConnection } from '@nats-io/transport-node';
import type { oip, registryv1, trainerv1, tunerv1 } from '@aimass/contracts';
import type { CliIo } from './cli-io.js';
import { meshAddresses, type MeshAddresses } from './stack-env.js';

/** Long enough for `train --wait` on a long job; each invocation mints its own. */
const CLI_TOKEN_SECONDS = 24 * 3600;

/** The services the CLI dials over gRPC. */
export type MeshService = 'registry' | 'inference' | 'trainer' | 'tuner';

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
  private bearer: Promise<string | undefined> | undefined;

  constructor(readonly io: CliIo) {}

  setOverrides(overrides: AddressOverrides): void {
    this.overrides = overrides;
  }

  address(service: MeshService): string {
    const override = service === 'registry' || service === 'inference' ? this.overrides[service] : undefined;
    if (override) return override;
    this.addresses ??= meshAddresses(this.io.env);
    return this.addresses[service];
  }

  /** Base URLs of the HTTP endpoints people look at (monitor dashboard, inference metrics). */
  httpEndpoints(): { monitor: string; inferenceMetrics: string } {
    this.addresses ??= meshAddresses(this.io.env);
    return { monitor: this.addresses.monitorHttp, inferenceMetrics: this.addresses.inferenceMetricsHttp };
  }

  /** The running stack's signing key file (stack.env), when it has one. */
  signingKeyFile(): string | undefined {
    this.addresses ??= meshAddresses(this.io.env);
    return this.addresses.signingKeyFile;
  }

  /**
   * The bearer token calls carry: AIMASS_AUTH_TOKEN (environment or stack.env), else one minted for
   * this invocation with the local stack's signing key (whoever can read .aimass owns that stack),
   * else none.
   */
  token(): Promise<string | undefined> {
    this.bearer ??= (async () => {
      this.addresses ??= meshAddresses(this.io.env);
      if (this.addresses.token) return this.addresses.token;
      const key = this.addresses.signingKeyFile;
      if (!key) return undefined;
      const { mintWithKeyFile } = await import('@aimass/auth');
      return mintWithKeyFile(key, `cli:${os.userInfo().username}`, ['admin'], CLI_TOKEN_SECONDS);
    })();
    return this.bearer;
  }

  async registry(): Promise<registryv1.RegistryServiceClient> {
    return this.client<registryv1.RegistryServiceClient>('registry');
  }

  async inference(): Promise<oip.GRPCInferenceServiceClient> {
    return this.client<oip.GRPCInferenceServiceClient>('inference');
  }

  async trainer(): Promise<trainerv1.TrainerServiceClient> {
    return this.client<trainerv1.TrainerServiceClient>('trainer');
  }

  async tuner(): Promise<tunerv1.TunerServiceClient> {
    return this.client<tunerv1.TunerServiceClient>('tuner');
  }

  private async client<T extends Client>(service: MeshService): Promise<T> {
    const address = this.address(service);
    // An address given on the command line is not the stack's: only AIMASS_AUTH_TOKEN applies to it.
    const overridden =
      (service === 'registry' || service === 'inference') && this.overrides[service] !== undefined;
    const token = overridden ? this.io.env.AIMASS_AUTH_TOKEN || undefined : await this.token();
    const { createMeshClient } = await import('@aimass/grpc/client');
    return this.track(createMeshClient<T>(service, address, {}, token));
  }

  /** One NATS connection per invocation, opened on first use (only commands that follow jobs). */
  nats(): Promise<NatsConnection> {
    this.addresses ??= meshAddresses(this.io.env);
    const { nats: servers, natsCredentials: credentials } = this.addresses;
    this.natsConnection ??= import('@aimass/nats').then(({ connectNats }) =>
      connectNats(servers, 'aimass-cli', { credentials, user: 'client' }),
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
