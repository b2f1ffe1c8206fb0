import { Injectable } from '@nestjs/common';
import { StudyStoreRepository } from '../repositories/study-store.repository.js';

export const SAMPLERS = ['random', 'grid', 'tpe', 'gp'] as const;
export const PRUNERS = ['none', 'median', 'asha', 'hyperband'] as const;

/** What this tuner offers and holds. */
@Injectable()
export class TunerService {
  constructor(private readonly store: StudyStoreRepository) {}

  async status(): Promise<{
    studies: number;
    running_studies: number;
    samplers: string[];
    pruners: string[];
  }> {
    const studies = await this.store.list();
    return {
      studies: studies.length,
      running_studies: studies.filter((s) => s.state === 'RUNNING').length,
      samplers: [...SAMPLERS],
      pruners: [...PRUNERS],
    };
  }
}
