import { parseInput, type PredictionWindow } from '@aimass/contracts';
import { Injectable } from '@nestjs/common';
import { ModelStatsQuerySchema } from '../dtos/model-stats-query.dto.js';
import { PredictionSummaryEventSchema, type PredictionSummaryEvent } from '../dtos/prediction-summary.dto.js';
import { addBuckets, bucketTotal, emptyBuckets, latencyQuantile } from '../latency/latency-buckets.js';
import type { ModelVersionStats } from '../predictions/model-version-stats.js';
import { RecentIds } from '../predictions/recent-ids.js';
import { MetricsRepository } from '../repositories/metrics.repository.js';

interface Aggregate {
  readonly model: string;
  readonly version: string;
  requests: number;
  failures: number;
  latencySumMs: number;
  latencyMaxMs: number;
  readonly buckets: number[];
  lastSeen: string;
}

const REMEMBERED_SUMMARIES = 10_000;

/**
 * Aggregates inference's prediction summaries per model version. PredictionFeedService feeds it
 * every summary AIMASS_PREDICTIONS holds, from the first, so after a restart the totals are rebuilt
 * whole (over the stream's retention, AIMASS_PREDICTIONS max age); a summary id seen before is not
 * counted twice. The Prometheus counters start from those rebuilt totals.
 */
@Injectable()
export class ModelStatsService {
  private readonly aggregates = new Map<string, Aggregate>();
  private readonly seen = new RecentIds(REMEMBERED_SUMMARIES);

  constructor(private readonly metrics: MetricsRepository) {}

  /** Counts a summary; returns it when it is new, undefined when it was counted already. */
  recordSummary(event: unknown): PredictionSummaryEvent | undefined {
    const summary = parseInput(PredictionSummaryEventSchema, event, 'prediction summary');
    if (!this.seen.add(summary.id)) return undefined;
    for (const window of summary.data.windows) {
      this.merge(window, summary.data.window_end);
      this.metrics.recordWindow(window);
    }
    return summary;
  }

  getModelStats(query: unknown): { stats: ModelVersionStats[] } {
    const { model } = parseInput(ModelStatsQuerySchema, query ?? {}, 'model stats query');
    return { stats: this.list(model) };
  }

  /** Every model version (or those of `model`), by model name then version. */
  list(model = ''): ModelVersionStats[] {
    return [...this.aggregates.values()]
      .filter((a) => model === '' || a.model === model)
      .sort(
        (a, b) =>
          a.model.localeCompare(b.model) || a.version.localeCompare(b.version, undefined, { numeric: true }),
      )
      .map(toStats);
  }

  private merge(window: PredictionWindow, windowEnd: string): void {
    const key = JSON.stringify([window.model, window.version]);
    let aggregate = this.aggregates.get(key);
    if (!aggregate) {
      aggregate = {
        model: window.model,
        version: window.version,
        requests: 0,
        failures: 0,
        latencySumMs: 0,
        latencyMaxMs: 0,
        buckets: emptyBuckets(),
        lastSeen: windowEnd,
      };
      this.aggregates.set(key, aggregate);
    }
    aggregate.requests += window.requests;
    aggregate.failures += window.failures;
    aggregate.latencySumMs += window.latency_ms_sum;
    aggregate.latencyMaxMs = Math.max(aggregate.latencyMaxMs, window.latency_ms_max);
    addBuckets(aggregate.buckets, window.latency_buckets);
    if (Date.parse(windowEnd) > Date.parse(aggregate.lastSeen)) aggregate.lastSeen = windowEnd;
  }
}

function toStats(a: Aggregate): ModelVersionStats {
  // The mean is over what the histogram holds: latency_ms_sum and the buckets count the same observations.
  const observed = bucketTotal(a.buckets);
  return {
    model: a.model,
    version: a.version,
    requests: a.requests,
    failures: a.failures,
    latency_mean_ms: observed === 0 ? 0 : a.latencySumMs / observed,
    latency_p50_ms: latencyQuantile(a.buckets, 0.5, a.latencyMaxMs),
    latency_p99_ms: latencyQuantile(a.buckets, 0.99, a.latencyMaxMs),
    last_seen: a.lastSeen,
  };
}
