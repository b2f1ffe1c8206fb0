import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, type RunCurve, type RunDetail, type RunSummary } from '../api.js';
import { Chart, lineColor, type Line } from '../chart.js';
import { num, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { useLive } from '../live.js';
import { href, type Route } from '../router.js';

const DEFAULT_SELECTED = 5;
const POINTS = 400;

type Curves = Map<string, RunCurve[]>;

/** Curve keys: losses first, then metrics, each alphabetical. */
function orderKeys(keys: Iterable<string>): string[] {
  return [...new Set(keys)].sort((a, b) =>
    a.startsWith('loss.') === b.startsWith('loss.') ? a.localeCompare(b) : a.startsWith('loss.') ? -1 : 1,
  );
}

function select(route: Route, jobs: string[]): void {
  location.hash = href('training', [], { ...Object.fromEntries(route.query), runs: jobs.join(',') });
}

/**
 * Training: every run with its state and latest values; the selected runs' curves on shared
 * charts (one per loss or metric), growing live with each epoch; the focused run's attempts
 * (start and resumes from checkpoints) and log.
 */
export function TrainingView({ route }: { route: Route }) {
  const runsLoad = useLoad(() => api.runs(), []);
  const [runs, setRuns] = useState<RunSummary[]>([]);
  useEffect(() => runsLoad.value && setRuns(runsLoad.value.runs), [runsLoad.value]);

  const asked = route.query.get('runs');
  const selected = useMemo(
    () =>
      asked !== null
        ? asked.split(',').filter((j) => j !== '')
        : runs.slice(0, DEFAULT_SELECTED).map((r) => r.job_id),
    [asked, runs.length > 0],
  );
  const focus = route.query.get('focus') ?? selected[0] ?? '';

  const [curves, setCurves] = useState<Curves>(new Map());
  useEffect(() => {
    if (selected.length === 0) return setCurves(new Map());
    let current = true;
    api.curves(selected, POINTS).then(
      (body) => current && setCurves(new Map(body.runs.map((r) => [r.job_id, r.curves]))),
      () => undefined,
    );
    return () => {
      current = false;
    };
  }, [selected.join(',')]);

  // Live: append each new epoch of a selected run; update every run's row.
  const selectedSet = useRef(new Set<string>());
  selectedSet.current = new Set(selected);
  useLive((update) => {
    if (update.epochs.length > 0 || update.runs.length > 0) {
      setRuns((previous) => {
        const byId = new Map(previous.map((r) => [r.job_id, r]));
        for (const e of update.epochs) {
          const run = byId.get(e.job_id);
          if (run)
            byId.set(e.job_id, {
              ...run,
              epoch: e.epoch,
              last: { ...run.last, ...e.values },
              state: run.state === 'queued' ? 'running' : run.state,
            });
        }
        // Summaries last: they are the server's whole view (a job that finished in this batch).
        for (const run of update.runs) byId.set(run.job_id, run);
        return [...byId.values()].sort((a, b) => b.updated_at.localeCompare(a.updated_at));
      });
    }
    const mine = update.epochs.filter((e) => selectedSet.current.has(e.job_id));
    if (mine.length === 0) return;
    setCurves((previous) => {
      const next: Curves = new Map(previous);
      for (const e of mine) {
        const list = [...(next.get(e.job_id) ?? [])];
        for (const [key, value] of Object.entries(e.values)) {
          const at = list.findIndex((c) => c.key === key);
          const curve = at >= 0 ? list[at]! : { key, x: [], y: [] };
          const grown = { key, x: [...curve.x, e.epoch], y: [...curve.y, value] };
          if (at >= 0) list[at] = grown;
          else list.push(grown);
        }
        next.set(e.job_id, list);
      }
      return next;
    });
  }, []);

  const keys = orderKeys([...curves.values()].flatMap((list) => list.map((c) => c.key)));
  const charts = keys.map((key) => ({
    key,
    lines: selected.map((job): Line => {
      const curve = curves.get(job)?.find((c) => c.key === key);
      return { label: job, x: curve?.x ?? [], y: curve?.y ?? [] };
    }),
  }));

  // First paint: every chart has drawn its data once (bench/console reads this mark).
  const drawnCharts = useRef(new Set<string>());
  const onDraw = (key: string) => () => {
    if (drawnCharts.current.size === charts.length) return;
    drawnCharts.current.add(key);
    if (drawnCharts.current.size === charts.length) {
      performance.mark('console:training-painted');
      document.body.dataset.painted = 'training';
    }
  };

  const toggle = (job: string) =>
    select(route, selected.includes(job) ? selected.filter((j) => j !== job) : [...selected, job]);

  return (
    <div class="training">
      <section class="panel runs-panel">
        <h2>
          Runs <span class="dim">{runs.length}</span>
        </h2>
        {runsLoad.error && <p class="error">{runsLoad.error}</p>}
        <div class="scroll">
          <table class="grid" data-testid="runs">
            <thead>
              <tr>
                <th />
                <th>job</th>
                <th>family</th>
                <th>state</th>
                <th class="num">epoch</th>
                <th class="num">loss</th>
              </tr>
            </thead>
            <tbody>
              {runs.map((run) => {
                const i = selected.indexOf(run.job_id);
                const loss =
                  run.last['loss.total'] ?? run.last[run.keys.find((k) => k.startsWith('loss.')) ?? ''];
                return (
                  <tr key={run.job_id} class={run.job_id === focus ? 'focus' : ''} data-job={run.job_id}>
                    <td>
                      <input
                        type="checkbox"
                        checked={i >= 0}
                        onChange={() => toggle(run.job_id)}
                        aria-label={`compare ${run.job_id}`}
                      />
                      {i >= 0 && <span class="swatch" style={{ background: lineColor(i) }} />}
                    </td>
                    <td>
                      <a
                        href={href('training', [], { runs: selected.join(','), focus: run.job_id })}
                        class="mono"
                      >
                        {run.job_id}
                      </a>
                    </td>
                    <td>{run.family}</td>
                    <td>
                      <span class={`badge ${run.state}`}>{run.state}</span>
                    </td>
                    <td class="num" data-testid="run-epoch">
                      {run.epoch}/{run.epochs}
                    </td>
                    <td class="num" data-testid="run-loss">
                      {num(loss)}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      </section>
      <section class="panel curves-panel">
        <h2>
          Curves <span class="dim">{selected.length} runs compared</span>
        </h2>
        {selected.length === 0 && <p class="dim">Select runs on the left to compare their curves.</p>}
        <div class="charts">
          {charts.map((c) => (
            <Chart
              key={c.key}
              title={c.key}
              lines={c.lines}
              testId={`curve-${c.key}`}
              onDraw={onDraw(c.key)}
            />
          ))}
        </div>
        {focus && <RunPanel job={focus} runs={runs} />}
      </section>
    </div>
  );
}

function RunPanel({ job, runs }: { job: string; runs: RunSummary[] }) {
  const summary = runs.find((r) => r.job_id === job);
  const detail = useLoad<RunDetail>(() => api.run(job), [job, summary?.state, summary?.updated_at]);
  const run = detail.value;
  if (!run) return detail.error ? <p class="error">{detail.error}</p> : null;
  return (
    <div class="run-detail" data-testid="run-detail">
      <h3>
        <span class="mono">{run.job_id}</span> <span class={`badge ${run.state}`}>{run.state}</span>
        {run.model && (
          <a class="pill" href={href('models', [run.model])}>
            {run.model}@{run.version}
          </a>
        )}
      </h3>
      <div class="two">
        <div>
          <h4>Attempts (start and resumes)</h4>
          <table class="grid compact" data-testid="attempts">
            <thead>
              <tr>
                <th>time</th>
                <th>node</th>
                <th>backend</th>
                <th class="num">from checkpoint</th>
              </tr>
            </thead>
            <tbody>
              {run.attempts.map((a) => (
                <tr>
                  <td>{time(a.time)}</td>
                  <td class="mono">{a.node_id}</td>
                  <td>{a.backend}</td>
                  <td class="num">
                    {a.resumed_from_epoch > 0 ? `epoch ${a.resumed_from_epoch}` : 'fresh start'}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h4>Log</h4>
          <ol class="log" data-testid="run-log">
            {run.log.map((line) => (
              <li class={line.level}>
                <span class="dim">{time(line.time)}</span> {line.text}
              </li>
            ))}
          </ol>
        </div>
      </div>
    </div>
  );
}
