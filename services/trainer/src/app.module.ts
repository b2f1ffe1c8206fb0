import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { TrainerGrpcController } from './controllers/trainer.grpc.controller.js';
import { TrainingEventsController } from './controllers/training.events.controller.js';
import { CheckpointRepository } from './repositories/checkpoint.repository.js';
import { ComputeBackendRepository } from './repositories/compute-backend.repository.js';
import { DatasetRepository } from './repositories/dataset.repository.js';
import { JobQueueRepository } from './repositories/job-queue.repository.js';
import { JobStoreRepository } from './repositories/job-store.repository.js';
import { ModelRegistryRepository } from './repositories/model-registry.repository.js';
import { OnnxRuntimeRepository } from './repositories/onnx-runtime.repository.js';
import { WorkQueueRepository } from './repositories/work-queue.repository.js';
import { JobRunnerService } from './services/job-runner.service.js';
import { JobSubmissionService } from './services/job-submission.service.js';
import { TrainerNodeService } from './services/trainer-node.service.js';

@Module({
  imports: [RuntimeModule.forRoot('trainer', { storage: true })],
  controllers: [TrainerGrpcController, TrainingEventsController],
  providers: [
    TrainerNodeService,
    JobSubmissionService,
    JobRunnerService,
    JobQueueRepository,
    JobStoreRepository,
    WorkQueueRepository,
    CheckpointRepository,
    DatasetRepository,
    ModelRegistryRepository,
    OnnxRuntimeRepository,
    ComputeBackendRepository,
  ],
})
export class AppModule {}
