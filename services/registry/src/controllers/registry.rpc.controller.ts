import { subjects } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { VersionView } from '../records/records.js';
import type { ReferenceStatistics } from '../dtos/registry.dto.js';
import { RegistryService } from '../services/registry.service.js';

/** Request/reply for the other services of the mesh (NATS `aimass.rpc.registry.*`). */
@Controller()
export class RegistryRpcController {
  constructor(private readonly registry: RegistryService) {}

  @MessagePattern(subjects.rpc('registry', 'GetVersion'))
  getVersion(@Payload() req: { model: string; version?: string }): Promise<VersionView> {
    return this.registry.getVersion(req.model, req.version ?? '');
  }

  /** For the monitor's drift checks. */
  @MessagePattern(subjects.rpc('registry', 'GetReferenceStatistics'))
  getReferenceStatistics(@Payload() req: { model: string; version?: string }): Promise<ReferenceStatistics> {
    return this.registry.getReferenceStatistics(req.model, req.version ?? '');
  }
}
