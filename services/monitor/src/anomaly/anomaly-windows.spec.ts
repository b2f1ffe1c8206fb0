import { describe, expect, it } from 'vitest';
import { AnomalyWindows } from './anomaly-windows.js';

const counts = (scored: number, anomalous: number, detector = 'gmm@1', expected_rate = 0.01) => ({
  detector,
  threshold: 12.5,
  expected_rate,
  scored,
  anomalous,
});

describe('AnomalyWindows', () => {
  it('adds summaries until the window holds windowRows scored rows, then closes it and starts anew', () => {
    const w = new AnomalyWindows(100);
    expect(w.add('m', '1', counts(40, 1), 't0', 't1')).toBeUndefined();
    expect(w.add('m', '1', counts(40, 2), 't1', 't2')).toBeUndefined();
    const closed = w.add('m', '1', counts(40, 3), 't2', 't3');
    expect(closed).toEqual({
      model: 'm',
      version: '1',
      detector: 'gmm@1',
      threshold: 12.5,
      expectedRate: 0.01,
      start: 't0',
      end: 't3',
      scored: 120,
      anomalous: 6,
    });
    expect(w.add('m', '1', counts(40, 0), 't3', 't4')).toBeUndefined();
  });

  it('keeps versions apart', () => {
    const w = new AnomalyWindows(50);
    expect(w.add('m', '1', counts(30, 0), 'a', 'b')).toBeUndefined();
    expect(w.add('m', '2', counts(30, 0), 'a', 'b')).toBeUndefined();
    expect(w.add('m', '1', counts(30, 0), 'b', 'c')?.scored).toBe(60);
  });

  it('another detector (the tag moved) starts a new window rather than mixing flags', () => {
    const w = new AnomalyWindows(50);
    expect(w.add('m', '1', counts(30, 30, 'gmm@1'), 'a', 'b')).toBeUndefined();
    expect(w.add('m', '1', counts(30, 0, 'ae@4'), 'b', 'c')).toBeUndefined();
    const closed = w.add('m', '1', counts(30, 0, 'ae@4'), 'c', 'd');
    expect(closed).toMatchObject({ detector: 'ae@4', start: 'b', scored: 60, anomalous: 0 });
  });

  it('never counts more flagged rows than scored ones from a summary', () => {
    const w = new AnomalyWindows(10);
    expect(w.add('m', '1', counts(10, 99), 'a', 'b')?.anomalous).toBe(10);
  });
});
