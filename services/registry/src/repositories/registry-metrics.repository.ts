import { METRICS_REGISTRY } from '@aimass/runtime';
import { Inject, Injectable } from '@nestjs/common';
import { Counter, Gauge, type Registry } from 'prom-client';

/**
 * The registry's Prometheus series, in the process-wide registry that RuntimeModule serves on
 * /metrics. The only place in the registry that writes metrics.
 */
@Injectable()
export class RegistryMetricsRepository {
  private readonly published: Counter;
  private readonly publishFailures: Counter;
  private awaitingNow: () => number = () => 0;

  constructor(@Inject(METRICS_REGISTRY) registry: Registry) {
    this.published = new Counter({
      name: 'aimass_registry_announcements_published_total',
      help: 'Events and audit records the registry published after committing the change they announce.',
      registers: [registry],
    });
    this.publishFailures = new Counter({
      name: 'aimass_registry_announcement_failures_total',
      help: "Attempts to publish a committed record's announcements that failed; they are retried.",
      registers: [registry],
    });
    const awaitingNow = () => this.awaitingNow();
    new Gauge({
      name: 'aimass_registry_records_awaiting_announcement',
      help: 'Committed records whose events or audit records this registry could not publish yet (alert when it stays above 0).',
      registers: [registry],
      collect() {
        this.set(awaitingNow());
      },
    });
  }

  announcementPublished(): void {
    this.published.inc();
  }

  announcementFailed(): void {
    this.publishFailures.inc();
  }

  /** Where the awaiting-records gauge reads its value at scrape time. */
  readAwaitingFrom(read: () => number): void {
    this.awaitingNow = read;
  }
}
