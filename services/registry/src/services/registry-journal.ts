import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { Journaled, OutboxEntry, RecordRef, Revisioned } from '../records/records.js';
import { ModelMetadataRepository } from '../repositories/model-metadata.repository.js';
import { RegistryEventsRepository } from '../repositories/registry-events.repository.js';
import { RegistryMetricsRepository } from '../repositories/registry-metrics.repository.js';

const FIRST_RETRY_MS = 500;
const MAX_RETRY_MS = 30_000;

/**
 * Announces committed changes, lifecycle events and audit records, with a transactional outbox in
 * the changed record itself:
 *  1. `stage` adds the prepared announcements (and rows the change adds beside its record, such as
 *     alias history) to the record the commit writes, so the change and its announcements are one
 *     KV compare-and-set: neither exists without the other.
 *  2. `flush`, after the commit, creates those rows, publishes everything the record holds, then
 *     takes it out with another compare-and-set. A later write of the record carries what is still
 *     there along.
 *  3. What fails to publish is retried in the background with backoff, and at start every record
 *     that still holds announcements (a registry stopped between 1 and 2) is flushed.
 * Delivery is at least once: an announcement republished inside the stream's duplicate window is
 * stored once (its envelope id is the Nats-Msg-Id); after a longer outage a consumer may see an
 * envelope id twice.
 */
@Injectable()
export class RegistryJournal implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(RegistryJournal.name);
  /** Records whose announcements could not be published yet, by record. */
  private readonly behind = new Map<string, RecordRef>();
  private sweepNeeded = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private retryDelayMs = FIRST_RETRY_MS;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    readonly events: RegistryEventsRepository,
    private readonly metadata: ModelMetadataRepository,
    private readonly metrics: RegistryMetricsRepository,
  ) {
    metrics.readAwaitingFrom(() => this.behind.size);
  }

  /** `record` with `entries` added to what its outbox already holds: the value a commit writes. */
  stage<R extends Journaled>(record: R, ...entries: OutboxEntry[]): R {
    return { ...record, outbox: [...(record.outbox ?? []), ...entries] };
  }

  /**
   * After a commit: publishes what the committed record holds and removes it from the record. Never
   * throws: the change is committed and the caller must learn that; a failure is retried later.
   */
  async flush(ref: RecordRef, committed: Revisioned<Journaled>): Promise<void> {
    try {
      await this.deliver(ref, committed);
    } catch (err) {
      this.metrics.announcementFailed();
      this.logger.error(
        { err },
        `could not publish the announcements of ${describe(ref)} (${String(err)}); retrying in the background`,
      );
      this.behind.set(describe(ref), ref);
      this.schedule();
    }
  }

  onApplicationBootstrap(): void {
    this.sweepNeeded = true;
    this.running = this.catchUp();
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    await this.running;
    if (this.behind.size > 0) {
      this.logger.warn(
        `stopping with the announcements of ${this.behind.size} record(s) unpublished; the next start publishes them`,
      );
    }
  }

  private async deliver(ref: RecordRef, record: Revisioned<Journaled>): Promise<void> {
    const outbox = record.value.outbox ?? [];
    if (outbox.length === 0) return;
    // Rows first: they are the registry's own state (alias history) and should not wait on the bus.
    for (const { row } of outbox) if (row) await this.metadata.createRow(row);
    for (const announcement of outbox) {
      await this.events.publish(announcement);
      this.metrics.announcementPublished();
    }
    const removed = await this.metadata.removeAnnounced(
      ref,
      new Set(outbox.map((a) => a.envelope.id)),
      record,
    );
    if (!removed)
      throw new Error(`${describe(ref)} kept changing while its published announcements were taken out`);
  }

  /** Publishes what every record left behind holds: all of them after a start, else the ones that failed. */
  private async catchUp(): Promise<void> {
    if (this.sweepNeeded) {
      try {
        const refs = await this.metadata.journaledRecords();
        this.sweepNeeded = false;
        for (const ref of refs) this.behind.set(describe(ref), ref);
        if (refs.length > 0)
          this.logger.warn(
            `${refs.length} record(s) hold announcements an earlier run did not publish; publishing them`,
          );
      } catch (err) {
        this.logger.error(
          { err },
          `could not look for unpublished announcements (${String(err)}); trying again`,
        );
      }
    }
    let failed = false;
    for (const [key, ref] of [...this.behind]) {
      if (this.stopped) return;
      // Taken out before the read: a flush that fails meanwhile puts it back, and it is tried again.
      this.behind.delete(key);
      try {
        const current = await this.metadata.readJournaled(ref);
        if (current) await this.deliver(ref, current);
      } catch (err) {
        this.behind.set(key, ref);
        this.metrics.announcementFailed();
        this.logger.error(
          { err },
          `still cannot publish the announcements of ${describe(ref)} (${String(err)})`,
        );
        failed = true;
        break;
      }
    }
    if (failed || this.sweepNeeded) {
      this.retryDelayMs = Math.min(MAX_RETRY_MS, this.retryDelayMs * 2);
      this.schedule();
    } else {
      this.retryDelayMs = FIRST_RETRY_MS;
    }
  }

  private schedule(): void {
    if (this.retryTimer || this.stopped) return;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      this.running = (this.running ?? Promise.resolve()).then(() => this.catchUp());
    }, this.retryDelayMs);
  }
}

function describe(ref: RecordRef): string {
  return ref.version === undefined ? `model "${ref.model}"` : `version ${ref.version} of "${ref.model}"`;
}
