import { InputSketch, type FeatureSketchWire } from '@aimass/drift';
import type { NamedTensor } from '../types.js';

const FLOAT_TYPES = new Set(['FP32', 'FP64']);

interface VersionSketch {
  sketch: InputSketch;
  /** Every `stride`-th row is folded; rows counts them all. */
  stride: number;
  rows: number;
  next: number;
  /** Made by take(): a sweep keeps it once, so a busy version keeps its stride into the next interval. */
  fresh: boolean;
}

/**
 * Per model version, the per-feature sketches of the first input's rows (a [rows, features] float
 * tensor) since the last flush. Folding is bounded by `rowsPerInterval` rows and `valuesPerInterval`
 * feature values (a DDSketch insert is ~0.3 µs, so the values bound is the CPU bound): past the
 * tighter of the two, every k-th row is folded, k set from the rows seen in the previous interval,
 * so a busy version costs no more than that much sketching per interval. The sketches are handed
 * over with each summary; a version that folded nothing for a whole interval (unloaded by a hot
 * swap, or idle) is forgotten by sweep(), so a process that hot-swaps for days does not keep a
 * sketch for every version it ever served.
 */
export class InputSketches {
  private readonly versions = new Map<string, VersionSketch>();

  constructor(
    private readonly rowsPerInterval: number,
    private readonly valuesPerInterval = Infinity,
  ) {}

  fold(model: string, version: string, input: NamedTensor | undefined): void {
    if (!input || !FLOAT_TYPES.has(input.datatype) || input.shape.length !== 2) return;
    const [rows, width] = input.shape as [number, number];
    if (!(rows > 0 && width > 0) || !ArrayBuffer.isView(input.data)) return;
    const key = `${model}\u0000${version}`;
    let v = this.versions.get(key);
    if (!v) {
      v = { sketch: new InputSketch(width), stride: 1, rows: 0, next: 0, fresh: false };
      this.versions.set(key, v);
    }
    const values = input.data as Float32Array | Float64Array;
    for (let r = 0; r < rows; r++, v.rows++) {
      if (v.rows < v.next) continue;
      v.sketch.foldRows(values.subarray(r * width, (r + 1) * width), 1, width);
      v.next = v.rows + v.stride;
    }
  }

  /** The sketch of this version since the last take, and a new empty one with a stride for the next interval. */
  take(model: string, version: string): FeatureSketchWire[] | undefined {
    const key = `${model}\u0000${version}`;
    const v = this.versions.get(key);
    if (!v || v.sketch.rows === 0) return undefined;
    const wire = v.sketch.toWire();
    const width = v.sketch.features.length;
    this.versions.set(key, {
      sketch: new InputSketch(width),
      stride: Math.max(
        1,
        Math.ceil(
          v.rows / Math.max(1, Math.min(this.rowsPerInterval, Math.floor(this.valuesPerInterval / width))),
        ),
      ),
      rows: 0,
      next: 0,
      fresh: true,
    });
    return wire;
  }

  /**
   * Once per interval, after its takes: forgets the versions that folded nothing since the sweep
   * before (their sketch was taken then, or they were never taken since); a version folding again
   * starts afresh, every row folded until its next take sets a stride.
   */
  sweep(): void {
    for (const [key, v] of this.versions) {
      if (v.rows === 0 && !v.fresh) this.versions.delete(key);
      else v.fresh = false;
    }
  }

  /** How many versions have a sketch (in progress or kept for its stride). */
  get size(): number {
    return this.versions.size;
  }
}
