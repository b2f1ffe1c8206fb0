import type { tunerv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { StudyService } from '../services/study.service.js';
import { TrialService } from '../services/trial.service.js';
import { TunerService } from '../services/tuner.service.js';
import { toStudyMessage, toTrialMessage } from './study.mapping.js';

@Controller()
export class TunerGrpcController {
  constructor(
    private readonly tuner: TunerService,
    private readonly studies: StudyService,
    private readonly trials: TrialService,
  ) {}

  @GrpcMethod('TunerService', 'GetStatus')
  getStatus(): Promise<tunerv1.TunerStatus> {
    return this.tuner.status();
  }

  @GrpcMethod('TunerService', 'CreateStudy')
  async createStudy(req: tunerv1.CreateStudyRequest__Output): Promise<tunerv1.Study> {
    return toStudyMessage(await this.studies.create(req));
  }

  @GrpcMethod('TunerService', 'GetStudy')
  async getStudy(req: tunerv1.GetStudyRequest__Output): Promise<tunerv1.Study> {
    return toStudyMessage(await this.studies.get(req));
  }

  @GrpcMethod('TunerService', 'ListStudies')
  async listStudies(req: tunerv1.ListStudiesRequest__Output): Promise<tunerv1.ListStudiesResponse> {
    return { studies: (await this.studies.list(req)).map((s) => toStudyMessage(s, false)) };
  }

  @GrpcMethod('TunerService', 'Ask')
  async ask(req: tunerv1.AskRequest__Output): Promise<tunerv1.Trial> {
    return toTrialMessage(await this.trials.ask(req));
  }

  @GrpcMethod('TunerService', 'Report')
  report(req: tunerv1.ReportRequest__Output): Promise<tunerv1.ReportResponse> {
    return this.trials.report(req);
  }

  @GrpcMethod('TunerService', 'Tell')
  async tell(req: tunerv1.TellRequest__Output): Promise<tunerv1.Trial> {
    return toTrialMessage(await this.trials.tell(req));
  }

  @GrpcMethod('TunerService', 'GetImportance')
  async getImportance(req: tunerv1.GetImportanceRequest__Output): Promise<tunerv1.ImportanceResponse> {
    const { importances, trials } = await this.studies.importance(req);
    return { importances: importances.map(([name, importance]) => ({ name, importance })), trials };
  }

  @GrpcMethod('TunerService', 'StopStudy')
  async stopStudy(req: tunerv1.StopStudyRequest__Output): Promise<tunerv1.Study> {
    return toStudyMessage(await this.studies.stop(req));
  }
}
