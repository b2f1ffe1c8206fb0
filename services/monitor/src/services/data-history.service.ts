import type { DatasetDrift, InputSketch, ReferenceDistribution } from '@aimass/drift';
import { Injectable } from '@nestjs/common';
import { VersionDataHistory, type VersionLiveView } from '../drift/data-history.js';
import { ConsoleUpdatesService } from './console-updates.service.js';

/** Closed windows kept per version and kind: a window of 1000 rows a second is 17 minutes of them. */
const WINDOWS_PER_VERSION = 1000;

/**
 * The Data view's live side: per model version, the closed drift windows (scores per feature, the
 * live histograms of the latest) and anomaly windows (rates), bounded. DriftService and
 * AnomalyService report each window they evaluate; open consoles hear of it over the live feed.
 */
@Injectable()
export class DataHistoryService {
  private readonly versions = new Map<string, VersionDataHistory>();

  constructor(private readonly updates: ConsoleUpdatesService) {}

  drift(
    model: string,
    version: string,
    end: string,
    references: readonly ReferenceDistribution[],
    sketch: InputSketch,
    drift: DatasetDrift,
  ): void {
    const histograms = drift.features.map((_, f) => {
      const { edges } = references[f]!.binProportions();
      return { edges, ...sketch.features[f]!.histogram(edges) };
    });
    this.history(model, version).addDrift(end, sketch.rows, drift.drifted, drift.features, histograms);
    this.updates.dataWindow(model, version);
  }

  anomaly(
    model: string,
    version: string,
    end: string,
    scored: number,
    observedRate: number,
    expectedRate: number,
  ): void {
    this.history(model, version).addAnomaly(end, scored, observedRate, expectedRate);
    this.updates.dataWindow(model, version);
  }

  /** The version's history thinned to `points` per series; undefined when no window closed yet. */
  view(model: string, version: string, points: number): VersionLiveView | undefined {
    return this.versions.get(JSON.stringify([model, version]))?.view(points);
  }

  private history(model: string, version: string): VersionDataHistory {
    const key = JSON.stringify([model, version]);
    let h = this.versions.get(key);
    if (!h) {
      h = new VersionDataHistory(WINDOWS_PER_VERSION);
      this.versions.set(key, h);
    }
    return h;
  }
}
