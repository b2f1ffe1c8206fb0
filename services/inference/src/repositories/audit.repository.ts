import { subjects } from '@aimass/contracts';
import { EventBus } from '@aimass/nats';
import { currentTraceId } from '@aimass/telemetry';
import { Injectable } from '@nestjs/common';

/** What inference found when an artifact's bytes did not hash to the digest the registry recorded. */
export interface DigestMismatch {
  readonly model: string;
  readonly version: number;
  readonly artifactKey: string;
  readonly expectedSha256: string;
  readonly actualSha256: string;
}

/** What inference found when an artifact's stored bytes failed decryption (encryption at rest). */
export interface IntegrityFailure {
  readonly model: string;
  readonly version: number;
  readonly artifactKey: string;
  /** ObjectIntegrityError.reason: tampered, truncated, wrong-key, no-key or not-sealed. */
  readonly reason: string;
  readonly message: string;
}

/**
 * Inference's audit records on AIMASS_AUDIT (`aimass.audit.inference`). The actor is this service:
 * it, not the caller whose request triggered the load, refused the artifact.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly bus: EventBus) {}

  digestMismatch(m: DigestMismatch): Promise<void> {
    return this.record(m.model, m.version, 'artifact.digest_mismatch', {
      artifact_key: m.artifactKey,
      expected_sha256: m.expectedSha256,
      actual_sha256: m.actualSha256,
    });
  }

  integrityFailure(f: IntegrityFailure): Promise<void> {
    return this.record(f.model, f.version, 'artifact.integrity_failure', {
      artifact_key: f.artifactKey,
      reason: f.reason,
      message: f.message,
    });
  }

  private async record(
    model: string,
    version: number,
    action: string,
    details: Record<string, unknown>,
  ): Promise<void> {
    const resource = `models/${model}/versions/${version}`;
    const traceId = currentTraceId();
    await this.bus.publish(subjects.audit('inference'), 'audit.record', resource, {
      actor: 'inference',
      action,
      resource,
      details: { model, version, ...details },
      ...(traceId ? { trace_id: traceId } : {}),
    });
  }
}
