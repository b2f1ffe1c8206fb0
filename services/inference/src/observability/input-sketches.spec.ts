import { FeatureSketchSchema } from '@aimass/contracts';
import { InputSketch } from '@aimass/drift';
import { describe, expect, it } from 'vitest';
import { InputSketches } from './input-sketches.js';

const tensor = (rows: number, width: number, at = 0) => ({
  name: 'input',
  datatype: 'FP32' as const,
  shape: [rows, width],
  data: Float32Array.from({ length: rows * width }, (_, i) => at + (i % width) * 10 + Math.floor(i / width)),
});

describe('InputSketches', () => {
  it('folds every feature of a [rows, features] input and hands the sketch over once', () => {
    const s = new InputSketches(1000);
    s.fold('m', '1', tensor(4, 3));
    const wire = s.take('m', '1')!;
    expect(wire).toHaveLength(3);
    const sketch = InputSketch.fromWire(wire);
    expect(sketch.features.map((f) => [f.count, f.min, f.max])).toEqual([
      [4, 0, 3],
      [4, 10, 13],
      [4, 20, 23],
    ]);
    expect(s.take('m', '1')).toBeUndefined();
  });

  it('hands over sketches the summary contract accepts (keys below zero included)', () => {
    const s = new InputSketches(1000);
    s.fold('m', '1', { ...tensor(3, 2), data: Float32Array.of(0.001, -0.5, 0.2, -7, 0, 3) });
    const wire = s.take('m', '1')!;
    expect(FeatureSketchSchema.array().parse(wire)).toEqual(wire);
    expect(InputSketch.fromWire(wire).features[0]!.quantile(0)).toBeCloseTo(0, 2);
  });

  it('folds every k-th row in the interval after one with more rows than its bound', () => {
    const s = new InputSketches(100);
    s.fold('m', '1', tensor(1000, 2));
    expect(InputSketch.fromWire(s.take('m', '1')!).rows).toBe(1000);
    s.fold('m', '1', tensor(1000, 2));
    expect(InputSketch.fromWire(s.take('m', '1')!).rows).toBe(100);
  });

  it('bounds the values folded too, so a wide model folds fewer rows', () => {
    const s = new InputSketches(1000, 500);
    s.fold('m', '1', tensor(1000, 50));
    expect(InputSketch.fromWire(s.take('m', '1')!).rows).toBe(1000);
    // 500 values per interval at 50 features: 10 rows, every 100th.
    s.fold('m', '1', tensor(1000, 50));
    expect(InputSketch.fromWire(s.take('m', '1')!).rows).toBe(10);
  });

  it("forgets a version that folded nothing for a whole interval, and keeps a busy one's stride", () => {
    const s = new InputSketches(100);
    s.fold('m', '1', tensor(1000, 2));
    s.fold('m', '2', tensor(1000, 2));
    s.take('m', '1');
    s.take('m', '2');
    s.sweep();
    expect(s.size).toBe(2);
    // Interval 2: version 2 was swapped out and gets nothing; version 1 keeps its stride of 10.
    s.fold('m', '1', tensor(1000, 2));
    expect(InputSketch.fromWire(s.take('m', '1')!).rows).toBe(100);
    s.sweep();
    expect(s.size).toBe(1);
    // Interval 3: nothing at all.
    s.sweep();
    expect(s.size).toBe(0);
    // A version that folds again starts with every row folded.
    s.fold('m', '1', tensor(1000, 2));
    expect(InputSketch.fromWire(s.take('m', '1')!).rows).toBe(1000);
  });

  it('ignores inputs that are not a 2-D float tensor', () => {
    const s = new InputSketches(100);
    s.fold('m', '1', { name: 'x', datatype: 'INT64', shape: [2, 2], data: new BigInt64Array(4) });
    s.fold('m', '1', { ...tensor(2, 2), shape: [4] });
    expect(s.take('m', '1')).toBeUndefined();
  });
});
