import type { AnomalyCounts } from '@aimass/contracts';

/** A full tumbling window of one version's detector counts. */
export interface ClosedAnomalyWindow {
  readonly model: string;
  readonly version: string;
  readonly detector: string;
  readonly threshold: number;
  readonly expectedRate: number;
  readonly start: string;
  readonly end: string;
  readonly scored: number;
  readonly anomalous: number;
}

interface OpenWindow {
  detector: string;
  threshold: number;
  expectedRate: number;
  start: string;
  end: string;
  scored: number;
  anomalous: number;
}

/**
 * Tumbling windows of detector counts per model version, by scored rows: the counts of the
 * prediction summaries add up until a window holds at least `windowRows` scored rows, then it
 * closes and the next starts empty. Counts from another detector (the tag moved) start a new window:
 * two detectors' flags are not the same measurement.
 */
export class AnomalyWindows {
  private readonly open = new Map<string, OpenWindow>();

  constructor(private readonly windowRows: number) {}

  add(
    model: string,
    version: string,
    counts: AnomalyCounts,
    start: string,
    end: string,
  ): ClosedAnomalyWindow | undefined {
    const key = JSON.stringify([model, version]);
    let w = this.open.get(key);
    if (!w || w.detector !== counts.detector || w.expectedRate !== counts.expected_rate) {
      w = {
        detector: counts.detector,
        threshold: counts.threshold,
        expectedRate: counts.expected_rate,
        start,
        end,
        scored: 0,
        anomalous: 0,
      };
      this.open.set(key, w);
    }
    w.scored += counts.scored;
    w.anomalous += Math.min(counts.anomalous, counts.scored);
    w.end = end;
    if (w.scored < this.windowRows) return undefined;
    this.open.delete(key);
    return {
      model,
      version,
      detector: w.detector,
      threshold: w.threshold,
      expectedRate: w.expectedRate,
      start: w.start,
      end: w.end,
      scored: w.scored,
      anomalous: w.anomalous,
    };
  }
}
