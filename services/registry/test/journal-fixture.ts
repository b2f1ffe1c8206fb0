import { EventBus, type NatsConnection } from '@aimass/nats';
import { strictMock } from '@aimass/testing/strict-mock';
import { Registry } from 'prom-client';
import { vi } from 'vitest';
import { ModelMetadataRepository } from '../src/repositories/model-metadata.repository.js';
import { RegistryEventsRepository } from '../src/repositories/registry-events.repository.js';
import { RegistryMetricsRepository } from '../src/repositories/registry-metrics.repository.js';
import { RegistryJournal } from '../src/services/registry-journal.js';

/**
 * For service specs: the metadata repository mocked with `metadata` (taking out announcements and
 * creating rows succeed unless a spec says otherwise), and a real journal over it, so announcements
 * are really prepared and staged. `published` records what would have gone to NATS.
 */
export function journalOver(metadata: Partial<ModelMetadataRepository>) {
  const repo = strictMock<ModelMetadataRepository>(
    {
      removeAnnounced: vi.fn().mockResolvedValue(true),
      createRow: vi.fn().mockResolvedValue(undefined),
      aliasChangeRow: ModelMetadataRepository.prototype.aliasChangeRow,
      ...metadata,
    },
    'ModelMetadataRepository',
  );
  const events = new RegistryEventsRepository(
    new EventBus(strictMock<NatsConnection>({}, 'NatsConnection'), 'aimass/registry'),
  );
  const published = vi.spyOn(events, 'publish').mockResolvedValue(undefined);
  const journal = new RegistryJournal(events, repo, new RegistryMetricsRepository(new Registry()));
  return { repo, journal, published };
}
