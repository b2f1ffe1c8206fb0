import { RPC, type RpcParsedRequest, type RpcResult } from '@aimass/contracts';
import { RpcEndpoint } from '@aimass/nats';
import { Controller } from '@nestjs/common';
import { Payload } from '@nestjs/microservices';
import { ModelCatalogService } from '../services/model-catalog.service.js';
import { RegistryService } from '../services/registry.service.js';

type GetVersion = typeof RPC.registry.getVersion;
type ListModels = typeof RPC.registry.listModels;

/** Request/reply for the other services of the mesh (NATS `aimass.rpc.registry.*`). */
@Controller()
export class RegistryRpcController {
  constructor(
    private readonly registry: RegistryService,
    private readonly catalog: ModelCatalogService,
  ) {}

  @RpcEndpoint(RPC.registry.getVersion)
  getVersion(@Payload() req: RpcParsedRequest<GetVersion>): Promise<RpcResult<GetVersion>> {
    return this.registry.getVersion(req.model, req.version);
  }

  @RpcEndpoint(RPC.registry.listModels)
  async listModels(@Payload() req: RpcParsedRequest<ListModels>): Promise<RpcResult<ListModels>> {
    const page = await this.catalog.listModels(req);
    return { names: page.models.map((m) => m.name), next_page_token: page.next_page_token };
  }
}
