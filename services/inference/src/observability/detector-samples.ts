import type { NamedTensor } from '../types.js';

const FLOAT_TYPES = new Set(['FP32', 'FP64']);

/** Sampled rows of one served version, waiting for one detector. */
export interface SampledRows {
  /** The served version whose inputs these are. */
  readonly model: string;
  readonly version: number;
  /** The `monitor.detector` value that named the detector. */
  readonly tag: string;
  readonly width: number;
  /** `rows` × `width` values, row-major, copied out of the requests. */
  readonly values: Float32Array;
  readonly rows: number;
}

interface Pending {
  readonly model: string;
  readonly version: number;
  readonly tag: string;
  readonly width: number;
  readonly chunks: Float32Array[];
  rows: number;
}

/**
 * A bounded queue of sampled input rows, between the request path (which copies a share `rate` of
 * each request's rows in, systematically: every row adds `rate` of credit and a full unit takes one)
 * and the detector scoring that drains it in the background. Past `capacityRows` rows waiting,
 * sampled rows are dropped and counted, so a slow or stuck detector never holds up serving. The
 * queue owns the copied rows until they are drained.
 */
export class DetectorSamples {
  private pending = new Map<string, Pending>();
  private queued = 0;
  private credit = 0;
  /** Sampled rows dropped because the queue was full, since the process started. */
  dropped = 0;

  constructor(
    private readonly rate: number,
    private readonly capacityRows: number,
  ) {}

  get size(): number {
    return this.queued;
  }

  /**
   * Copies the sampled rows of `input` (a [rows, features] float tensor; anything else is not
   * sampled) for the detector `tag` names. Returns how many rows were queued.
   */
  offer(model: string, version: number, tag: string, input: NamedTensor | undefined): number {
    if (!input || !FLOAT_TYPES.has(input.datatype) || input.shape.length !== 2) return 0;
    const [rows, width] = input.shape as [number, number];
    if (!(rows > 0 && width > 0) || !ArrayBuffer.isView(input.data)) return 0;
    const values = input.data as Float32Array | Float64Array;
    const taken: number[] = [];
    for (let r = 0; r < rows; r++) {
      this.credit += this.rate;
      if (this.credit < 1) continue;
      this.credit -= 1;
      if (this.queued + taken.length >= this.capacityRows) this.dropped++;
      else taken.push(r);
    }
    if (taken.length === 0) return 0;
    const copy = new Float32Array(taken.length * width);
    taken.forEach((r, i) => copy.set(values.subarray(r * width, (r + 1) * width), i * width));
    const key = `${model}\u0000${version}\u0000${tag}\u0000${width}`;
    let p = this.pending.get(key);
    if (!p) {
      p = { model, version, tag, width, chunks: [], rows: 0 };
      this.pending.set(key, p);
    }
    p.chunks.push(copy);
    p.rows += taken.length;
    this.queued += taken.length;
    return taken.length;
  }

  /** Hands over everything queued, one entry per version and detector; the caller owns it. */
  drain(): SampledRows[] {
    const out = [...this.pending.values()].map((p): SampledRows => {
      const values = new Float32Array(p.rows * p.width);
      let at = 0;
      for (const c of p.chunks) {
        values.set(c, at);
        at += c.length;
      }
      return { model: p.model, version: p.version, tag: p.tag, width: p.width, values, rows: p.rows };
    });
    this.pending = new Map();
    this.queued = 0;
    return out;
  }
}
