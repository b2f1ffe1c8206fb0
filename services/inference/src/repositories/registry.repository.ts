import type { AimassConfig } from '@aimass/config';
import { subjects } from '@aimass/contracts';
import { createMeshClient } from '@aimass/grpc';
import { NatsRpcClient } from '@aimass/nats';
import { AIMASS_CONFIG } from '@aimass/runtime';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Client, ServiceError } from '@grpc/grpc-js';
import type { ServableVersion } from '../types.js';

type ListModels = (
  req: unknown,
  cb: (err: ServiceError | null, res: { models: { name: string }[]; next_page_token: string }) => void,
) => void;

/** Asks the registry which version a name plus selector means (NATS request/reply), and which models exist (gRPC). */
@Injectable()
export class RegistryRepository implements OnModuleDestroy {
  private client: (Client & { ListModels: ListModels }) | undefined;

  constructor(
    private readonly rpc: NatsRpcClient,
    @Inject(AIMASS_CONFIG) private readonly config: AimassConfig,
  ) {}

  resolve(model: string, selector: string): Promise<ServableVersion> {
    return this.rpc.request<ServableVersion>(subjects.rpc('registry', 'GetVersion'), {
      model,
      version: selector,
    });
  }

  /** Every model name the registry holds. */
  async listModels(): Promise<string[]> {
    this.client ??= createMeshClient('registry', this.config.grpc.registry);
    const names: string[] = [];
    let page_token = '';
    do {
      const res = await new Promise<{ models: { name: string }[]; next_page_token: string }>(
        (resolve, reject) =>
          this.client!.ListModels({ name_prefix: '', page_size: 500, page_token }, (err, r) =>
            err ? reject(err) : resolve(r),
          ),
      );
      names.push(...res.models.map((m) => m.name));
      page_token = res.next_page_token;
    } while (page_token);
    return names;
  }

  onModuleDestroy(): void {
    this.client?.close();
  }
}
