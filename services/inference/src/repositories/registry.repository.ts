import { RPC } from '@aimass/contracts';
import { NatsRpcClient } from '@aimass/nats';
import { Injectable } from '@nestjs/common';
import type { ServableVersion } from '../types.js';

/** Asks the registry (NATS request/reply) which version a name plus selector means, and which models exist. */
@Injectable()
export class RegistryRepository {
  constructor(private readonly rpc: NatsRpcClient) {}

  resolve(model: string, selector: string): Promise<ServableVersion> {
    return this.rpc.call(RPC.registry.getVersion, { model, version: selector });
  }

  /** Every model name the registry holds. */
  async listModels(): Promise<string[]> {
    const names: string[] = [];
    let page_token = '';
    do {
      const page = await this.rpc.call(RPC.registry.listModels, { page_size: 500, page_token });
      names.push(...page.names);
      page_token = page.next_page_token;
    } while (page_token);
    return names;
  }
}
