import type { AimassConfig } from '@aimass/config';
import type { registryv1 } from '@aimass/contracts';
import { InvalidArgumentError, NotFoundError, UnavailableError } from '@aimass/errors';
import { peerClient } from '@aimass/grpc/client';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { createHash } from 'node:crypto';

export interface Registration {
  readonly model: string;
  readonly onnx: Uint8Array;
  readonly alias?: string | undefined;
  readonly description: string;
  /** Short `aimass.*` facts (family, role, dataset name, backend); each value at most 1 KiB. */
  readonly tags: Record<string, string>;
  readonly lineage: registryv1.Lineage;
  readonly referenceStatistics: registryv1.ReferenceStatistics;
  readonly framework: string;
  /** The generated card (see generated-card.ts); the registry keeps a hand-written one instead. */
  readonly modelCard: string;
  /** The job that produced it: a version already tagged with it is returned instead of pushing again. */
  readonly jobId: string;
}

export const JOB_TAG = 'aimass.job_id';
const CHUNK = 1024 * 1024;

/** The registry's gRPC API, as the trainer uses it: push an ONNX version once per job, read registered datasets. */
@Injectable()
export class ModelRegistryRepository implements OnModuleDestroy {
  private readonly client: registryv1.RegistryServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = peerClient<registryv1.RegistryServiceClient>('registry', config);
  }

  /** Registers the artifact, or returns the version this job registered before (a redelivered job). */
  async register(registration: Registration): Promise<number> {
    const existing = await this.versionOfJob(registration.model, registration.jobId);
    if (existing !== undefined) return existing;
    const bytes = Buffer.from(registration.onnx);
    const version = await new Promise<registryv1.ModelVersion__Output>((resolve, reject) => {
      const call = this.client.PushVersion((err, v) =>
        err || !v ? reject(translate(err, `push ${registration.model}`)) : resolve(v),
      );
      call.write({
        header: {
          model: registration.model,
          format: 'onnx',
          size_bytes: String(bytes.length),
          sha256: createHash('sha256').update(bytes).digest('hex'),
          alias: registration.alias ?? '',
          description: registration.description,
          tags: { ...registration.tags, [JOB_TAG]: registration.jobId },
          lineage: registration.lineage,
          reference_statistics: registration.referenceStatistics,
          framework: registration.framework,
          model_card: registration.modelCard,
        },
      });
      for (let at = 0; at < bytes.length; at += CHUNK) call.write({ chunk: bytes.subarray(at, at + CHUNK) });
      call.end();
    });
    return version.version;
  }

  /** A dataset pushed with `data push`; version 0 is the latest. NotFoundError when there is none. */
  getDataset(name: string, version = 0): Promise<registryv1.Dataset__Output> {
    return new Promise((resolve, reject) =>
      this.client.GetDataset({ name, version }, (err, d) =>
        err || !d ? reject(translate(err, `read dataset ${name}`)) : resolve(d),
      ),
    );
  }

  private async versionOfJob(model: string, jobId: string): Promise<number | undefined> {
    try {
      const list = await new Promise<registryv1.ListVersionsResponse__Output>((resolve, reject) =>
        this.client.ListVersions({ model }, (err, r) =>
          err || !r ? reject(translate(err, `list versions of ${model}`)) : resolve(r),
        ),
      );
      return list.versions.find((v) => v.tags[JOB_TAG] === jobId)?.version;
    } catch (err) {
      if (err instanceof NotFoundError) return undefined;
      throw err;
    }
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}

/** A refusal (bad name, tag or artifact) fails the job; anything else is an outage worth retrying. */
function translate(err: ServiceError | null, what: string): Error {
  if (err?.code === GrpcStatus.NOT_FOUND) return new NotFoundError(err.details);
  if (err?.code === GrpcStatus.INVALID_ARGUMENT || err?.code === GrpcStatus.FAILED_PRECONDITION)
    return new InvalidArgumentError(`the registry refused to ${what}: ${err.details}`);
  return new UnavailableError(`registry could not ${what}: ${err?.details ?? err?.message ?? 'no answer'}`, {
    cause: err,
  });
}
