import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { TrainerGrpcController } from './controllers/trainer.grpc.controller.js';
import { TrainingEventsController } from './controllers/training.events.controller.js';
import { JobQueueRepository } from './repositories/job-queue.repository.js';
import { TrainerNodeService } from './services/trainer-node.service.js';
import { TrainingJobService } from './services/training-job.service.js';

@Module({
  imports: [RuntimeModule.forRoot('trainer')],
  controllers: [TrainerGrpcController, TrainingEventsController],
  providers: [TrainerNodeService, TrainingJobService, JobQueueRepository],
})
export class AppModule {}
