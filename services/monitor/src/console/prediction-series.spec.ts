import { LATENCY_BUCKETS_MS, type PredictionWindow } from '@aimass/contracts';
import { describe, expect, it } from 'vitest';
import { PredictionSeries } from './prediction-series.js';

const window = (extra: Partial<PredictionWindow>): PredictionWindow => ({
  model: 'm',
  version: '1',
  requests: 10,
  failures: 0,
  latency_ms_sum: 10,
  latency_ms_max: 1,
  latency_buckets: new Array<number>(LATENCY_BUCKETS_MS.length + 1).fill(0),
  ...extra,
});
const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString();

describe('PredictionSeries', () => {
  it('plots the mean batch size of each window, and none for a window that ran no execution', () => {
    const series = new PredictionSeries();
    expect(series.add(window({ executions: 4, execution_rows: 10 }), at(0), at(1)).batch_size).toBe(2.5);
    expect(
      series.add(window({ requests: 0, executions: 0, execution_rows: 0 }), at(1), at(2)).batch_size,
    ).toBe(null);
    // A summary from an instance that does not report executions.
    expect(series.add(window({}), at(2), at(3)).batch_size).toBe(null);
    const [v] = series.series('m', 500);
    expect(v!.series.batch_size).toEqual({
      x: [at(1), at(2), at(3)].map(Date.parse),
      y: [2.5, null, null],
    });
  });

  it('thins each field on the server to the points asked for, keeping the extremes', () => {
    const series = new PredictionSeries();
    for (let i = 0; i < 1000; i++)
      series.add(window({ executions: 1, execution_rows: i === 500 ? 64 : 1 }), at(i), at(i + 1));
    const [v] = series.series('', 100);
    expect(v!.series.batch_size.x.length).toBeLessThanOrEqual(100);
    expect(Math.max(...(v!.series.batch_size.y as number[]))).toBe(64);
  });
});
