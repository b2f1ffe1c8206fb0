import type { AimassConfig } from '@aimass/config';
import type { tunerv1 } from '@aimass/contracts';
import { peerClient } from '@aimass/grpc';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { unaryCall } from './peer-calls.js';

/**
 * The tuner's read API as the Studies view uses it (studies, their trials, parameter importance).
 * Every call carries the monitor's own token (AIMASS_AUTH_TOKEN), which needs `studies:read`.
 */
@Injectable()
export class TunerStudiesRepository implements OnModuleDestroy {
  private readonly client: tunerv1.TunerServiceClient;

  constructor(@Inject(AIMASS_CONFIG) config: AimassConfig) {
    this.client = peerClient<tunerv1.TunerServiceClient>('tuner', config);
  }

  async listStudies(): Promise<tunerv1.Study__Output[]> {
    const list = await unaryCall<tunerv1.ListStudiesResponse__Output>(
      'tuner',
      'list studies',
      (md, o, done) => this.client.ListStudies({ state: '' }, md, o, done),
    );
    return list.studies;
  }

  getStudy(studyId: string): Promise<tunerv1.Study__Output> {
    return unaryCall('tuner', `read study ${studyId}`, (md, o, done) =>
      this.client.GetStudy({ study_id: studyId }, md, o, done),
    );
  }

  /** FailedPreconditionError while the study has fewer than two complete trials. */
  getImportance(studyId: string): Promise<tunerv1.ImportanceResponse__Output> {
    return unaryCall('tuner', `estimate the parameter importance of study ${studyId}`, (md, o, done) =>
      this.client.GetImportance({ study_id: studyId }, md, o, done),
    );
  }

  onModuleDestroy(): void {
    this.client.close();
  }
}
