import type { AnomalyCounts } from '@aimass/contracts';

export interface VersionAnomalyCounts {
  readonly model: string;
  readonly version: string;
  readonly counts: AnomalyCounts;
}

/**
 * Per served version, the rows its detector scored and flagged since the last take, for the next
 * prediction summary. A different detector (the tag moved) replaces the counts rather than mixing.
 */
export class AnomalyCountsByVersion {
  private counts = new Map<string, AnomalyCounts>();

  add(
    model: string,
    version: string,
    detector: Omit<AnomalyCounts, 'scored' | 'anomalous'>,
    scored: number,
    anomalous: number,
  ): void {
    const key = `${model}\u0000${version}`;
    const c = this.counts.get(key);
    if (c && c.detector === detector.detector)
      this.counts.set(key, { ...c, scored: c.scored + scored, anomalous: c.anomalous + anomalous });
    else this.counts.set(key, { ...detector, scored, anomalous });
  }

  /** Every version's counts since the last take; the counts start again from zero. */
  takeAll(): VersionAnomalyCounts[] {
    const out = [...this.counts.entries()].map(([key, counts]) => {
      const [model, version] = key.split('\u0000') as [string, string];
      return { model, version, counts };
    });
    this.counts = new Map();
    return out;
  }
}
