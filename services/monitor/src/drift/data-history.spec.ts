import type { FeatureDrift } from '@aimass/drift';
import { describe, expect, it } from 'vitest';
import { VersionDataHistory } from './data-history.js';

const feature = (name: string, psi: number): FeatureDrift => ({
  feature: name,
  live_rows: 100,
  effective_rows: 100,
  ks_statistic: 0.1,
  ks_p_value: 0.5,
  psi,
  wasserstein_norm: 0.01,
  drifted: false,
  psi_exceeded: false,
  wasserstein_exceeded: false,
});
const at = (i: number) => new Date(Date.UTC(2025, 0, 1, 0, 0, i)).toISOString();

describe('VersionDataHistory', () => {
  it('keeps the newest windows up to its capacity, oldest first', () => {
    const h = new VersionDataHistory(20);
    for (let i = 0; i < 30; i++) h.addDrift(at(i), 100, false, [feature('a', i)], []);
    for (let i = 0; i < 25; i++) h.addAnomaly(at(i), 100, i / 100, 0.01);
    const view = h.view(100);
    expect(view.drift_windows).toBe(20);
    expect(view.features[0]!.psi.y).toEqual(Array.from({ length: 20 }, (_, i) => i + 10));
    expect(view.features[0]!.psi.x[0]).toBe(Date.parse(at(10)));
    expect(view.anomaly_windows).toBe(20);
    expect(view.anomaly_observed_rate.y[0]).toBe(0.05);
  });

  it('keeps fewer windows of a wide model, so its scores stay bounded', () => {
    const h = new VersionDataHistory(1000);
    const wide = Array.from({ length: 5000 }, (_, f) => feature(`f${f}`, 0));
    for (let i = 0; i < 60; i++) h.addDrift(at(i), 100, false, wide, []);
    expect(h.view(500).drift_windows).toBe(50);
  });

  it('shows the latest window’s live histograms with its rows and end', () => {
    const h = new VersionDataHistory(10);
    h.addDrift(
      at(1),
      100,
      true,
      [feature('a', 1)],
      [{ edges: [0, 1, 2], counts: [60, 30], below: 4, above: 6 }],
    );
    expect(h.view(10).features[0]!.live).toEqual({
      edges: [0, 1, 2],
      counts: [60, 30],
      below: 4,
      above: 6,
      rows: 100,
      window_end: at(1),
    });
    expect(h.view(10).drifted.y).toEqual([1]);
  });
});
