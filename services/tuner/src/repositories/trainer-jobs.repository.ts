import type { AimassConfig } from '@aimass/config';
import type { trainerv1 } from '@aimass/contracts';
import { InvalidArgumentError, UnavailableError } from '@aimass/errors';
import { peerClient } from '@aimass/grpc/client';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { status as GrpcStatus, type ServiceError } from '@grpc/grpc-js';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';

/** The trainer's gRPC API, as the tuner uses it: submit a trial's job by id, cancel a pruned one. */
@Injectable()
export class TrainerJobsRepository implements OnModuleDestroy {
  private readonly client: trainerv1.TrainerServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = peerClient<trainerv1.TrainerServiceClient>('trainer', config);
  }

  /** Queues the job; the same id submitted again returns the first job, so a retry never runs it twice. */
  submit(jobId: string, spec: unknown): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.SubmitJob({ job_id: jobId, spec_json: JSON.stringify(spec) }, (err) =>
        err ? reject(translate(err, `submit job ${jobId}`)) : resolve(),
      ),
    );
  }

  /** Asks the job to stop; a job that already finished is left as it is. */
  cancel(jobId: string): Promise<void> {
    return new Promise((resolve, reject) =>
      this.client.CancelJob({ job_id: jobId }, (err) =>
        !err || err.code === GrpcStatus.FAILED_PRECONDITION || err.code === GrpcStatus.NOT_FOUND
          ? resolve()
          : reject(translate(err, `cancel job ${jobId}`)),
      ),
    );
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}

/** A refused spec fails the trial's attempt; anything else is an outage worth retrying. */
function translate(err: ServiceError, what: string): Error {
  if (err.code === GrpcStatus.INVALID_ARGUMENT || err.code === GrpcStatus.FAILED_PRECONDITION)
    return new InvalidArgumentError(`the trainer refused to ${what}: ${err.details}`);
  return new UnavailableError(`trainer could not ${what}: ${err.details || err.message}`, { cause: err });
}
