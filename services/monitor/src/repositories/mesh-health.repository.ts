import { SERVICES, type AimassConfig, type ServiceName } from '@aimass/config';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';

export interface ServiceProbe {
  readonly service: ServiceName;
  readonly grpc: string;
  readonly http: string;
  /** SERVING, NOT_SERVING, or UNREACHABLE when /healthz did not answer in time. */
  readonly status: 'SERVING' | 'NOT_SERVING' | 'UNREACHABLE';
  readonly latency_ms: number;
  readonly detail: string;
}

const PROBE_TIMEOUT_MS = 2_000;

/** Every service's /healthz (the endpoint orchestrators use; it mirrors grpc.health.v1). */
@Injectable()
export class MeshHealthRepository {
  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  probeAll(): Promise<ServiceProbe[]> {
    return Promise.all(SERVICES.map((s) => this.probe(s.name)));
  }

  private async probe(service: ServiceName): Promise<ServiceProbe> {
    const http = this.config.http[service];
    const base = { service, grpc: this.config.grpc[service], http };
    const started = performance.now();
    try {
      const response = await fetch(new URL('/healthz', http), {
        signal: AbortSignal.timeout(PROBE_TIMEOUT_MS),
      });
      const latency_ms = performance.now() - started;
      return {
        ...base,
        status: response.ok ? 'SERVING' : 'NOT_SERVING',
        latency_ms,
        detail: `HTTP ${response.status}`,
      };
    } catch (err) {
      return {
        ...base,
        status: 'UNREACHABLE',
        latency_ms: performance.now() - started,
        detail: errorText(err),
      };
    }
  }
}

function errorText(err: unknown): string {
  const cause = (err as { cause?: { code?: string } }).cause;
  return cause?.code ?? (err as Error).message;
}
