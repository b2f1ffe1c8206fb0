import { useEffect, useRef } from 'preact/hooks';
import uPlot, { type AlignedData, type Options } from 'uplot';

export interface Line {
  readonly label: string;
  readonly x: readonly number[];
  readonly y: readonly (number | null)[];
  readonly dash?: boolean;
  /** How the values are drawn: a line (default), a step line, or points only (a scatter). */
  readonly draw?: 'line' | 'step' | 'points';
  /** Points only: hollow markers (drawn distinctly from filled ones on the same chart). */
  readonly hollow?: boolean;
  /** The line's colour, instead of the colour of its index. */
  readonly color?: string;
}

export interface ChartProps {
  readonly title: string;
  readonly lines: readonly Line[];
  /** x is epoch milliseconds (drawn as time) rather than a count such as the epoch. */
  readonly time?: boolean;
  readonly height?: number;
  readonly bars?: boolean;
  readonly testId?: string;
  /** The x value's name in the legend (time charts say Time). */
  readonly xLabel?: string;
  /** Vertical marks on the x axis (alerts on a time chart): x in the lines' units. */
  readonly marks?: readonly { readonly x: number; readonly color: string }[];
  /** Called after every draw (the Training view marks its first paint with it). */
  readonly onDraw?: () => void;
}

/** A stable, distinct colour per line index (golden-angle hues). */
export function lineColor(i: number): string {
  return `hsl(${(i * 137.508 + 210) % 360} 70% 45%)`;
}

function padded(min: number, max: number, n: number): [number, number] {
  const half = n > 1 ? (max - min) / (n - 1) / 2 : 1;
  return [min - half, max + half];
}

/** Lines with their own x values, joined onto one x axis (uPlot's aligned form; gaps are null). */
function align(lines: readonly Line[], time: boolean): AlignedData {
  if (lines.length === 0) return [[]];
  const tables = lines.map((l) => [time ? l.x.map((t) => t / 1000) : [...l.x], [...l.y]]);
  return uPlot.join(tables as never);
}

/**
 * One uPlot chart. uPlot draws on canvas and keeps its own state, so this component owns the
 * instance: new data goes in with setData, a different set of lines rebuilds it.
 */
export function Chart({
  title,
  lines,
  time = false,
  height = 220,
  bars = false,
  testId,
  xLabel = 'epoch',
  marks,
  onDraw,
}: ChartProps) {
  const host = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);
  const shape = useRef('');
  const drawn = useRef(onDraw);
  drawn.current = onDraw;
  const marked = useRef(marks);
  marked.current = marks;

  useEffect(() => {
    const el = host.current;
    if (!el) return;
    const data = align(lines, time);
    const key = JSON.stringify([time, bars, lines.map((l) => [l.label, l.draw, l.hollow, l.color])]);
    if (plot.current && shape.current === key) {
      plot.current.setData(data);
      return;
    }
    plot.current?.destroy();
    shape.current = key;
    const options: Options = {
      width: el.clientWidth || 600,
      height,
      legend: { show: !bars && lines.length <= 12 },
      cursor: { drag: { x: true, y: false } },
      scales: {
        x: {
          time,
          // Bars are centred on their x: widen the range by half a bar so the outer ones show whole.
          ...(bars
            ? { range: (_u: uPlot, min: number, max: number) => padded(min, max, lines[0]?.x.length ?? 1) }
            : {}),
        },
      },
      axes: [
        { stroke: '#5b6473', grid: { stroke: '#eef0f3' } },
        { stroke: '#5b6473', grid: { stroke: '#eef0f3' }, size: 60 },
      ],
      series: [
        time ? {} : { label: xLabel },
        ...lines.map((l, i) => ({
          label: l.label,
          stroke: l.color ?? lineColor(i),
          width: 1.5,
          spanGaps: true,
          points: { show: false },
          ...(l.dash ? { dash: [6, 4] } : {}),
          ...(l.draw === 'step' ? { paths: uPlot.paths.stepped!({ align: 1 }) } : {}),
          ...(l.draw === 'points'
            ? {
                paths: () => null,
                points: {
                  show: true,
                  size: 8,
                  width: 1.5,
                  stroke: l.color ?? lineColor(i),
                  fill: l.hollow ? '#fff' : (l.color ?? lineColor(i)),
                },
              }
            : {}),
          ...(bars
            ? {
                fill: `${lineColor(i).replace(')', ' / 0.35)')}`,
                paths: uPlot.paths.bars!({ size: [0.9, 80] }),
              }
            : {}),
        })),
      ],
      hooks: {
        draw: [
          (u) => {
            drawMarks(u, marked.current ?? [], time);
            drawn.current?.();
          },
        ],
      },
    };
    plot.current = new uPlot(options, data, el);
  }, [lines, time, height, bars, xLabel, marks]);

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

  const points = lines.reduce((n, l) => n + l.x.length, 0);
  return (
    <figure class="chart" data-testid={testId} data-points={points} data-marks={marks?.length ?? 0}>
      <figcaption>{title}</figcaption>
      <div ref={host} class="chart-canvas" />
    </figure>
  );
}

/** A dashed vertical line per mark, across the plotting area. */
function drawMarks(u: uPlot, marks: readonly { x: number; color: string }[], time: boolean): void {
  const { ctx, bbox } = u;
  ctx.save();
  ctx.lineWidth = 1.5 * devicePixelRatio;
  ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
  for (const m of marks) {
    const x = u.valToPos(time ? m.x / 1000 : m.x, 'x', true);
    if (x < bbox.left || x > bbox.left + bbox.width) continue;
    ctx.strokeStyle = m.color;
    ctx.beginPath();
    ctx.moveTo(x, bbox.top);
    ctx.lineTo(x, bbox.top + bbox.height);
    ctx.stroke();
  }
  ctx.restore();
}
