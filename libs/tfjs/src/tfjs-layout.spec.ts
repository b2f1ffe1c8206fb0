import { describe, expect, it } from 'vitest';
import {
  isTfjsModelJson,
  pickTfjsModelJson,
  TfjsLayoutError,
  tfjsEntryName,
  tfjsShards,
} from './tfjs-layout.js';

describe('the tfjs artifact layout', () => {
  it.each([
    ['./model.json', 'model.json', true],
    ['m//model.json', 'm/model.json', true],
    ['a/b/model.json', 'a/b/model.json', false],
    ['model.json.bak', 'model.json.bak', false],
  ])('names %s %s, a model.json candidate: %s', (tarName, entry, candidate) => {
    expect(tfjsEntryName(tarName)).toBe(entry);
    expect(isTfjsModelJson(entry)).toBe(candidate);
  });

  it('picks the shallowest model.json and refuses two at the same depth or none', () => {
    expect(pickTfjsModelJson(['m/model.json', 'model.json'])).toBe('model.json');
    expect(() => pickTfjsModelJson(['a/model.json', 'b/model.json'])).toThrow(
      /several model.json files \(a\/model.json, b\/model.json\)/,
    );
    expect(() => pickTfjsModelJson([])).toThrow(TfjsLayoutError);
  });

  it('finds the shards beside model.json, in manifest order, and names a missing one', () => {
    const files = new Map([
      ['m/s1.bin', 1],
      ['m/s2.bin', 2],
    ]);
    expect(tfjsShards('m/model.json', ['s2.bin', './s1.bin'], files)).toEqual([2, 1]);
    expect(() => tfjsShards('model.json', ['s1.bin'], files)).toThrow(
      'model.json names the weight file "s1.bin", which is not in the tar',
    );
  });
});
