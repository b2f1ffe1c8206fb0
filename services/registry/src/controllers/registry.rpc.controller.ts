import { RPC, type RpcParsedRequest, type RpcResult } from '@aimass/contracts';
import { RpcEndpoint } from '@aimass/nats';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { RegistryService } from '../services/registry.service.js';

type GetVersion = typeof RPC.registry.getVersion;

/** Request/reply for the other services of the mesh (NATS `aimass.rpc.registry.*`). */
@Controller()
export class RegistryRpcController {
  constructor(private readonly registry: RegistryService) {}

  @RpcEndpoint(RPC.registry.getVersion)
  getVersion(@Payload() req: RpcParsedRequest<GetVersion>): Promise<RpcResult<GetVersion>> {
    return this.registry.getVersion(req.model, req.version);
  }
}
