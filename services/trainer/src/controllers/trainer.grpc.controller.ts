import type { trainerv1 } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { GrpcMethod } from '@nestjs/microservices';
import { TrainerNodeService } from '../services/trainer-node.service.js';

@Controller()
export class TrainerGrpcController {
  constructor(private readonly node: TrainerNodeService) {}

  @GrpcMethod('TrainerService', 'GetNode')
  getNode(): trainerv1.TrainerNode {
    return this.node.describe();
  }
}
