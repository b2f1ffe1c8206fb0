import { Injectable, Logger } from '@nestjs/common';
import { RegistryEventsRepository } from '../repositories/registry-events.repository.js';

/**
 * Announces committed changes: lifecycle events and audit records. They are published after the KV
 * commit, and a failed publish is logged, not thrown: the write happened and the caller must learn
 * that. (A transactional outbox closes this gap later.)
 */
@Injectable()
export class RegistryJournal {
  private readonly logger = new Logger(RegistryJournal.name);

  constructor(readonly events: RegistryEventsRepository) {}

  async announce(what: string, send: (events: RegistryEventsRepository) => Promise<void>): Promise<void> {
    try {
      await send(this.events);
    } catch (err) {
      this.logger.error({ err }, `could not publish ${what}`);
    }
  }

  audit(actor: string, action: string, resource: string, details: Record<string, unknown> = {}): Promise<void> {
    return this.announce(`audit ${action}`, (e) => e.audit(actor, action, resource, details));
  }
}
