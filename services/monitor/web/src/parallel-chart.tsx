import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type Options } from 'uplot';
import type { ParallelAxis, ParallelLine } from './api.js';
import { num } from './format.js';

export interface ParallelChartProps {
  readonly title: string;
  readonly axes: readonly ParallelAxis[];
  /** Values in [0, 1] per axis (the server places them: log axes in log space, choices evenly). */
  readonly lines: readonly ParallelLine[];
  /** Whether a lower objective is better (darker lines are better either way). */
  readonly minimize: boolean;
  readonly height?: number;
  readonly testId?: string;
}

const PRUNED = 'rgba(224, 122, 31, 0.55)';
const BEST = '#d63b2f';

/**
 * Parameters against the objective, one polyline per trial over one vertical axis per parameter
 * and one for the objective, drawn with uPlot like every other chart: x is the axis index, y the
 * position on it. Complete trials run from light (worse) to dark blue (better), the best in red;
 * pruned ones are dashed orange and stop before the objective, which they never reached.
 */
export function ParallelChart({ title, axes, lines, minimize, height = 300, testId }: ParallelChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const drawnAxes = useRef(axes);
  drawnAxes.current = axes;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    plot.current?.destroy();
    plot.current = null;
    if (axes.length < 2) return;
    const objectives = lines.flatMap((l) => (l.objective === null ? [] : [l.objective]));
    const bestObjective =
      objectives.length === 0 ? null : minimize ? Math.min(...objectives) : Math.max(...objectives);
    const xs = axes.map((_, i) => i);
    const goodness = (l: ParallelLine) => {
      const t = l.values[l.values.length - 1];
      return t === null || t === undefined ? 0 : minimize ? 1 - t : t;
    };
    const options: Options = {
      width: el.clientWidth || 600,
      height,
      legend: { show: false },
      cursor: { show: false },
      scales: {
        x: { time: false, range: () => [-0.08, axes.length - 1 + 0.25] },
        y: { range: () => [-0.06, 1.06] },
      },
      axes: [
        {
          stroke: '#1d2330',
          font: '600 12px system-ui, sans-serif',
          grid: { stroke: '#9aa3b2', width: 1.5 },
          ticks: { show: false },
          splits: () => xs,
          values: (_u, splits) => splits.map((i) => axes[i]?.name ?? ''),
        },
        { show: false },
      ],
      series: [
        {},
        ...lines.map((l) => {
          const best = l.objective !== null && l.objective === bestObjective;
          return {
            stroke: l.state === 'PRUNED' ? PRUNED : best ? BEST : `hsl(220 75% ${78 - 48 * goodness(l)}%)`,
            width: best ? 2.5 : 1.25,
            spanGaps: false,
            points: { show: false },
            ...(l.state === 'PRUNED' ? { dash: [5, 4] } : {}),
          };
        }),
      ],
      hooks: { draw: [(u) => drawTicks(u, drawnAxes.current)] },
    };
    // The server orders the lines pruned first, then complete from worst to best: the best is drawn on top.
    plot.current = new uPlot(options, [xs, ...lines.map((l) => [...l.values])], el);
  }, [axes, lines, minimize, height]);

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const resize = new ResizeObserver(() => {
      if (plot.current && el.clientWidth > 0) plot.current.setSize({ width: el.clientWidth, height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  return (
    <figure class="chart" data-testid={testId} data-lines={lines.length} data-axes={axes.length}>
      <figcaption>{title}</figcaption>
      <div ref={host} class="chart-canvas" />
    </figure>
  );
}

/** Each axis's labelled values, beside its line, on a white backing so crossing lines do not hide them. */
function drawTicks(u: uPlot, axes: readonly ParallelAxis[]): void {
  const { ctx } = u;
  const px = devicePixelRatio;
  ctx.save();
  ctx.font = `${11 * px}px system-ui, sans-serif`;
  ctx.textBaseline = 'middle';
  axes.forEach((axis, i) => {
    const x = u.valToPos(i, 'x', true);
    for (const tick of axis.ticks) {
      const y = u.valToPos(tick.at, 'y', true);
      // A typographic minus: a hyphen beside the axis reads as a tick mark.
      const text =
        typeof tick.value === 'number' ? num(tick.value, 3).replace(/^-/, '\u2212') : String(tick.value);
      const w = ctx.measureText(text).width;
      ctx.fillStyle = 'rgba(255, 255, 255, 0.85)';
      ctx.fillRect(x + 6 * px, y - 7 * px, w + 4 * px, 14 * px);
      ctx.fillStyle = '#3b4456';
      ctx.fillText(text, x + 8 * px, y);
      ctx.beginPath();
      ctx.arc(x, y, 2 * px, 0, 2 * Math.PI);
      ctx.fill();
    }
  });
  ctx.restore();
}
