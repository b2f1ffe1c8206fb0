import type { tunerv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { TunerService } from '../services/tuner.service.js';

@Controller()
export class TunerGrpcController {
  constructor(private readonly tuner: TunerService) {}

  @GrpcMethod('TunerService', 'GetStatus')
  getStatus(): tunerv1.TunerStatus {
    return this.tuner.status();
  }
}
