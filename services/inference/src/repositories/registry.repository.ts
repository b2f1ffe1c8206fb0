import { subjects } from '@aimass/contracts';
import { NatsRpcClient } from '@aimass/nats';
import { Injectable } from '@nestjs/common';
import type { ServableVersion } from '../inference/types.js';

/** Asks the registry (NATS request/reply) which version a name plus selector means. */
@Injectable()
export class RegistryRepository {
  constructor(private readonly rpc: NatsRpcClient) {}

  resolve(model: string, selector: string): Promise<ServableVersion> {
    return this.rpc.request<ServableVersion>(subjects.rpc('registry', 'GetVersion'), { model, version: selector });
  }
}
