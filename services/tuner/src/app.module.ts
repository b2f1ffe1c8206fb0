import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { TunerGrpcController } from './controllers/tuner.grpc.controller.js';
import { StudyStoreRepository } from './repositories/study-store.repository.js';
import { TunerEventsRepository } from './repositories/tuner-events.repository.js';
import { StudyService } from './services/study.service.js';
import { TrialService } from './services/trial.service.js';
import { TunerService } from './services/tuner.service.js';

@Module({
  imports: [RuntimeModule.forRoot('tuner')],
  controllers: [TunerGrpcController],
  providers: [TunerService, StudyService, TrialService, StudyStoreRepository, TunerEventsRepository],
})
export class AppModule {}
