import { RuntimeModule } from '@aimass/runtime';
import { Module } from '@nestjs/common';
import { TunerGrpcController } from './controllers/tuner.grpc.controller.js';
import { TunerService } from './services/tuner.service.js';

@Module({
  imports: [RuntimeModule.forRoot('tuner')],
  controllers: [TunerGrpcController],
  providers: [TunerService],
})
export class AppModule {}
