import type { AimassConfig } from '@aimass/config';
import type { trainerv1 } from '@aimass/contracts';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { hostname } from 'node:os';
import { NO_BACKEND } from '../trainer/backend.js';

/**
 * What this trainer node is. No training engine exists in this build yet, so it reports no backend
 * and no model families, and it never holds a job: each one fails as soon as it is pulled.
 */
@Injectable()
export class TrainerNodeService {
  private readonly id = `${hostname()}-${process.pid}`;

  constructor(@Inject(AIMASS_CONFIG) private readonly config: AimassConfig) {}

  describe(): trainerv1.TrainerNode {
    return {
      id: this.id,
      pool: this.config.trainer.pool,
      backend: NO_BACKEND,
      concurrency: this.config.trainer.concurrency,
      active_jobs: 0,
      families: [],
    };
  }
}
