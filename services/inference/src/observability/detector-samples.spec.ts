import { describe, expect, it } from 'vitest';
import type { NamedTensor } from '../types.js';
import { DetectorSamples } from './detector-samples.js';

const input = (rows: number, width: number, datatype: 'FP32' | 'FP64' | 'INT32' = 'FP32'): NamedTensor => ({
  name: 'input',
  datatype,
  shape: [rows, width],
  data:
    datatype === 'FP64'
      ? Float64Array.from({ length: rows * width }, (_, i) => i)
      : datatype === 'INT32'
        ? Int32Array.from({ length: rows * width }, (_, i) => i)
        : Float32Array.from({ length: rows * width }, (_, i) => i),
});

describe('DetectorSamples', () => {
  it('takes exactly the sample rate of rows, spread over requests, and copies them', () => {
    const q = new DetectorSamples(0.25, 1000);
    const req = input(10, 3);
    let queued = 0;
    for (let i = 0; i < 10; i++) queued += q.offer('m', 1, 'd@1', req);
    expect(queued).toBe(25);
    const [batch] = q.drain();
    expect(batch).toMatchObject({ model: 'm', version: 1, tag: 'd@1', width: 3, rows: 25 });
    // Every fourth row: rows 3, 7 of the first request, then 1, 5, 9 of the second, ...
    expect(Array.from(batch!.values.subarray(0, 6))).toEqual([9, 10, 11, 21, 22, 23]);
    (req.data as Float32Array).fill(-1);
    expect(batch!.values[0]).toBe(9);
    expect(q.size).toBe(0);
    expect(q.drain()).toEqual([]);
  });

  it('rate 1 takes every row, FP64 rows become FP32', () => {
    const q = new DetectorSamples(1, 100);
    expect(q.offer('m', 1, 'd@1', input(4, 2, 'FP64'))).toBe(4);
    expect(Array.from(q.drain()[0]!.values)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });

  it('drops and counts rows past the capacity, until drained', () => {
    const q = new DetectorSamples(1, 10);
    expect(q.offer('m', 1, 'd@1', input(8, 2))).toBe(8);
    expect(q.offer('m', 2, 'd@1', input(8, 2))).toBe(2);
    expect(q.dropped).toBe(6);
    expect(q.drain().map((b) => b.rows)).toEqual([8, 2]);
    expect(q.offer('m', 1, 'd@1', input(8, 2))).toBe(8);
    expect(q.dropped).toBe(6);
  });

  it.each([
    ['an integer input', input(4, 2, 'INT32')],
    ['a 1-D input', { name: 'x', datatype: 'FP32', shape: [4], data: new Float32Array(4) } as NamedTensor],
    ['no input', undefined],
  ])('samples nothing from %s', (_, tensor) => {
    const q = new DetectorSamples(1, 100);
    expect(q.offer('m', 1, 'd@1', tensor)).toBe(0);
    expect(q.size).toBe(0);
  });
});
