import { describe, expect, it } from 'vitest';
import { PredictionWindows } from './prediction-windows.js';

const counts = (scored: number) => ({
  detector: 'gmm@1',
  threshold: 3,
  expected_rate: 0.01,
  scored,
  anomalous: 1,
});

describe('PredictionWindows', () => {
  it("puts detector counts in their version's window, and gives late counts a window with no requests", () => {
    const w = new PredictionWindows();
    w.record('m', '1', 2, true);
    const summary = w.take(undefined, [
      { model: 'm', version: '1', counts: counts(5) },
      { model: 'm', version: '2', counts: counts(7) },
      { model: 'm', version: '3', counts: counts(0) },
    ])!;
    expect(summary.windows).toHaveLength(2);
    expect(summary.windows[0]).toMatchObject({ model: 'm', version: '1', requests: 1, anomaly: counts(5) });
    expect(summary.windows[1]).toMatchObject({ model: 'm', version: '2', requests: 0, anomaly: counts(7) });
    expect(w.take()).toBeUndefined();
  });

  it('counts each execution once, so executions and their rows give the mean batch size', () => {
    const w = new PredictionWindows();
    // An execution of 5 rows led by the first of its two requests, then one of 3 rows alone.
    w.record('m', '1', 2, true, 5);
    w.record('m', '1', 2, true);
    w.record('m', '1', 1, true, 3);
    w.record('m', '1', 1, false);
    const [window] = w.take()!.windows;
    expect(window).toMatchObject({ requests: 4, failures: 1, executions: 2, execution_rows: 8 });
  });
});
