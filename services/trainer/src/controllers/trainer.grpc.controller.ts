import type { trainerv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { Observable } from 'rxjs';
import { JobSubmissionService } from '../services/job-submission.service.js';
import { TrainerNodeService } from '../services/trainer-node.service.js';
import { toJobMessage } from './job.mapping.js';

@Controller()
export class TrainerGrpcController {
  constructor(
    private readonly node: TrainerNodeService,
    private readonly jobs: JobSubmissionService,
  ) {}

  @GrpcMethod('TrainerService', 'GetNode')
  getNode(): trainerv1.TrainerNode {
    return this.node.describe();
  }

  @GrpcMethod('TrainerService', 'SubmitJob')
  async submitJob(req: trainerv1.SubmitJobRequest__Output): Promise<trainerv1.Job> {
    return toJobMessage(await this.jobs.submit(req));
  }

  @GrpcMethod('TrainerService', 'GetJob')
  async getJob(req: trainerv1.GetJobRequest__Output): Promise<trainerv1.Job> {
    return toJobMessage(await this.jobs.get(req));
  }

  @GrpcMethod('TrainerService', 'ListJobs')
  async listJobs(req: trainerv1.ListJobsRequest__Output): Promise<trainerv1.ListJobsResponse> {
    return { jobs: (await this.jobs.list(req)).map(toJobMessage) };
  }

  @GrpcMethod('TrainerService', 'CancelJob')
  async cancelJob(req: trainerv1.CancelJobRequest__Output): Promise<trainerv1.Job> {
    return toJobMessage(await this.jobs.cancel(req));
  }

  /** Ends when the job is finished; a caller that hangs up stops the watch. */
  @GrpcMethod('TrainerService', 'StreamProgress')
  streamProgress(req: trainerv1.StreamProgressRequest__Output): Observable<trainerv1.Job> {
    return new Observable<trainerv1.Job>((subscriber) => {
      const abort = new AbortController();
      void (async () => {
        for await (const record of this.jobs.progress(req, abort.signal))
          subscriber.next(toJobMessage(record));
        subscriber.complete();
      })().catch((err: unknown) => subscriber.error(err));
      return () => abort.abort();
    });
  }
}
