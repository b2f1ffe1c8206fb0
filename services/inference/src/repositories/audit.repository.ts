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

/**
 * Inference's audit records on AIMASS_AUDIT (`aimass.audit.inference`). The actor is this service:
 * it, not the caller whose request triggered the load, refused the artifact.
 */
@Injectable()
export class AuditRepository {
  constructor(private readonly bus: EventBus) {}

  async digestMismatch(m: DigestMismatch): Promise<void> {
    const resource = `models/${m.model}/versions/${m.version}`;
    const traceId = currentTraceId();
    await this.bus.publish(subjects.audit('inference'), 'audit.record', resource, {
      actor: 'inference',
      action: 'artifact.digest_mismatch',
      resource,
      details: {
        model: m.model,
        version: m.version,
        artifact_key: m.artifactKey,
        expected_sha256: m.expectedSha256,
        actual_sha256: m.actualSha256,
      },
      ...(traceId ? { trace_id: traceId } : {}),
    });
  }
}
