import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { TrainingEventsController } from './controllers/training.events.controller.js';
import { TunerGrpcController } from './controllers/tuner.grpc.controller.js';
import { ModelAliasRepository } from './repositories/model-alias.repository.js';
import { StudyStoreRepository } from './repositories/study-store.repository.js';
import { TrainerJobsRepository } from './repositories/trainer-jobs.repository.js';
import { TunerEventsRepository } from './repositories/tuner-events.repository.js';
import { StudyService } from './services/study.service.js';
import { TrainingTrialsService } from './services/training-trials.service.js';
import { TrialService } from './services/trial.service.js';
import { TunerService } from './services/tuner.service.js';

@Module({
  imports: [RuntimeModule.forRoot('tuner')],
  controllers: [TunerGrpcController, TrainingEventsController],
  providers: [
    TunerService,
    StudyService,
    TrialService,
    TrainingTrialsService,
    StudyStoreRepository,
    TunerEventsRepository,
    TrainerJobsRepository,
    ModelAliasRepository,
  ],
})
export class AppModule {}
