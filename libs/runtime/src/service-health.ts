import { createHealth, setServing, type HealthImplementation, type MeshService } from '@aimass/grpc';

/**
 * Whether this process serves. One per process: gRPC health (grpc.health.v1) and HTTP /healthz
 * both read it; the bootstrap flips it after every transport listens, and back at shutdown.
 */
export class ServiceHealth {
  readonly grpc: HealthImplementation;
  private serving = false;

  constructor(readonly service: MeshService) {
    this.grpc = createHealth(service);
  }

  get isServing(): boolean {
    return this.serving;
  }

  set(serving: boolean): void {
    this.serving = serving;
    setServing(this.grpc, this.service, serving);
  }
}
