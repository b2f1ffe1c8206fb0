import { Injectable, type OnModuleInit } from '@nestjs/common';
import { TrainerNodes, type TrainerNodeView } from '../console/trainer-nodes.js';
import { MeshHealthRepository, type ServiceProbe } from '../repositories/mesh-health.repository.js';
import { NodeHeartbeatsRepository } from '../repositories/node-heartbeats.repository.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

/** The Mesh view's data: each service's health, and each trainer node from its heartbeats. */
@Injectable()
export class MeshConsoleService implements OnModuleInit {
  private readonly nodes = new TrainerNodes();

  constructor(
    private readonly health: MeshHealthRepository,
    private readonly heartbeats: NodeHeartbeatsRepository,
    private readonly updates: ConsoleUpdatesService,
  ) {}

  onModuleInit(): void {
    this.heartbeats.follow((beat, time) => this.updates.node(this.nodes.beat(beat, time)));
  }

  async mesh(): Promise<{ services: ServiceProbe[]; nodes: TrainerNodeView[] }> {
    return { services: await this.health.probeAll(), nodes: this.nodes.list() };
  }
}
