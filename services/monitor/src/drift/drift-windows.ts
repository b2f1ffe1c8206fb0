import { InputSketch, type FeatureSketchWire } from '@aimass/drift';

/** A full tumbling window of one version's live inputs. */
export interface ClosedWindow {
  readonly model: string;
  readonly version: string;
  readonly start: string;
  readonly end: string;
  readonly sketch: InputSketch;
}

interface OpenWindow {
  start: string;
  end: string;
  sketch: InputSketch;
}

/**
 * Tumbling windows of live inputs per model version, by rows: summaries' sketches are merged until
 * a window holds at least `windowRows` rows, then it closes and the next starts empty. A summary is
 * never split (its sketch is already a summary), so a window may hold a little more than windowRows.
 */
export class DriftWindows {
  private readonly open = new Map<string, OpenWindow>();

  constructor(private readonly windowRows: number) {}

  add(
    model: string,
    version: string,
    sketch: readonly FeatureSketchWire[],
    start: string,
    end: string,
  ): ClosedWindow | undefined {
    const key = JSON.stringify([model, version]);
    const incoming = InputSketch.fromWire(sketch);
    let w = this.open.get(key);
    if (!w || w.sketch.features.length !== incoming.features.length) {
      w = { start, end, sketch: incoming };
      this.open.set(key, w);
    } else {
      w.sketch.merge(incoming);
      w.end = end;
    }
    if (w.sketch.rows < this.windowRows) return undefined;
    this.open.delete(key);
    return { model, version, start: w.start, end: w.end, sketch: w.sketch };
  }

  /** Rows in the open window of a version, for the gauge and the console. */
  rows(model: string, version: string): number {
    return this.open.get(JSON.stringify([model, version]))?.sketch.rows ?? 0;
  }
}
