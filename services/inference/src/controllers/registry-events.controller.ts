import type { Envelope } from '@aimass/contracts';
import { subjects } from '@aimass/contracts';
import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { hostname } from 'node:os';
import { ModelVersionStore } from '../services/model-version-store.service.js';

/**
 * Alias moves reach every inference process (one consumer per process, new messages only, removed
 * by the server a minute after its process is gone), so a moved alias is hot-swapped at once
 * instead of after its cache expires.
 */
@Controller()
export class RegistryEventsController {
  constructor(private readonly store: ModelVersionStore) {}

  @EventPattern<Record<string, Envelope<'registry.alias.moved'>>>(subjects.event('registry.alias.moved'), {
    durable: `inference-${hostname()}-${process.pid}-aliases`.replace(/[.*>\s]/g, '_'),
    newOnly: true,
    expireWhenIdleMs: 60_000,
  })
  aliasMoved(@Payload() event: Envelope<'registry.alias.moved'>): Promise<void> {
    return this.store.aliasMoved(
      event.data.model,
      event.data.alias,
      event.data.version,
      event.data.previous_version,
    );
  }
}
