import { parseInput, type Envelope } from '@aimass/contracts';
import { FailedPreconditionError } from '@aimass/errors';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  studyDetail,
  studyRow,
  type ImportanceView,
  type StudyDetail,
  type StudyRow,
} from '../console/study-view.js';
import { StudyQuerySchema } from '../dtos/console-query.dto.js';
import { TunerEventsRepository } from '../repositories/tuner-events.repository.js';
import { TunerStudiesRepository } from '../repositories/tuner-studies.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

/**
 * The Studies view's data: read from the tuner when a console asks, and announced on the live
 * feed when the tuner's events say a study changed (a trial started, was pruned or ended).
 */
@Injectable()
export class StudiesConsoleService implements OnModuleInit {
  constructor(
    private readonly tuner: TunerStudiesRepository,
    private readonly events: TunerEventsRepository,
    private readonly updates: ConsoleUpdatesService,
  ) {}

  onModuleInit(): void {
    this.events.follow((envelope) => this.record(envelope));
  }

  record(envelope: Envelope): void {
    const studyId = (envelope.data as { study_id?: unknown }).study_id;
    if (typeof studyId === 'string') this.updates.study(studyId);
  }

  async list(): Promise<{ studies: StudyRow[] }> {
    return { studies: (await this.tuner.listStudies()).map(studyRow) };
  }

  /** One study: its trials over time, parameters against the objective, and parameter importance. */
  async detail(query: unknown): Promise<StudyDetail> {
    const { study: id, points } = parseInput(StudyQuerySchema, query, 'study query');
    const [study, importance] = await Promise.all([this.tuner.getStudy(id), this.importance(id)]);
    return studyDetail(study, importance, points);
  }

  private async importance(studyId: string): Promise<ImportanceView> {
    try {
      const { importances, trials } = await this.tuner.getImportance(studyId);
      return {
        importances: importances.map((i) => ({ name: i.name, importance: i.importance })),
        trials,
        unavailable: '',
      };
    } catch (err) {
      if (err instanceof FailedPreconditionError)
        return { importances: [], trials: 0, unavailable: err.message };
      throw err;
    }
  }
}
