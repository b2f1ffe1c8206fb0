import { useMemo } from 'preact/hooks';
import { api, type ImportanceView, type StudyDetail, type StudyRow } from '../api.js';
import { Chart, type Line } from '../chart.js';
import { num, time } from '../format.js';
import { useLoad } from '../hooks.js';
import { useLive } from '../live.js';
import { ParallelChart } from '../parallel-chart.js';
import { href, type Route } from '../router.js';

const COMPLETE = 'hsl(220 75% 45%)';
const PRUNED = 'hsl(28 85% 50%)';
const BEST = 'hsl(145 60% 35%)';

/**
 * Studies: the tuner's studies; for the selected one, the objective of each trial with the best so
 * far (pruned trials hollow, at the value that stopped them), parameters against the objective,
 * and each parameter's importance. A study is read again whenever the tuner's events say it changed.
 */
export function StudiesView({ route }: { route: Route }) {
  const studies = useLoad(() => api.studies(), []);
  // The study named in the route, else the newest.
  const shown = route.parts[0] ?? studies.value?.studies[0]?.study_id;
  const detail = useLoad(() => (shown ? api.study(shown) : Promise.resolve(undefined)), [shown]);
  useLive(
    (update) => {
      if (update.studies.length === 0) return;
      studies.reload();
      if (shown && update.studies.includes(shown)) detail.reload();
    },
    [shown],
  );
  return (
    <>
      <section class="panel">
        <h2>Studies</h2>
        {studies.error && <p class="error">{studies.error}</p>}
        <StudyList studies={studies.value?.studies ?? []} selected={shown} />
        {studies.value?.studies.length === 0 && <p class="dim">No studies yet.</p>}
      </section>
      {shown && (
        <section class="panel">
          {detail.error && <p class="error">{detail.error}</p>}
          {detail.value && <Study detail={detail.value} />}
        </section>
      )}
    </>
  );
}

function StudyList({ studies, selected }: { studies: readonly StudyRow[]; selected: string | undefined }) {
  return (
    <table class="grid" data-testid="studies">
      <thead>
        <tr>
          <th>study</th>
          <th>state</th>
          <th>mode</th>
          <th>sampler / pruner</th>
          <th class="num">trials</th>
          <th class="num">complete</th>
          <th class="num">pruned</th>
          <th class="num">failed</th>
          <th class="num">best</th>
          <th>updated</th>
        </tr>
      </thead>
      <tbody>
        {studies.map((s) => (
          <tr data-study={s.study_id} class={s.study_id === selected ? 'focus' : ''}>
            <td>
              <a href={href('studies', [s.study_id])}>{s.name}</a>
              <span class="dim mono"> {s.study_id}</span>
            </td>
            <td>
              <span class={`badge ${s.state.toLowerCase()}`}>{s.state}</span>
            </td>
            <td>{s.mode}</td>
            <td>
              {s.sampler} / {s.pruner}
            </td>
            <td class="num" data-testid="study-trials">
              {s.trials_started}
              {s.max_trials > 0 && <span class="dim">/{s.max_trials}</span>}
            </td>
            <td class="num">{s.complete}</td>
            <td class="num">{s.pruned}</td>
            <td class="num">{s.failed}</td>
            <td class="num" data-testid="study-best">
              {num(s.best_value)}
            </td>
            <td>{time(s.updated_at)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Study({ detail }: { detail: StudyDetail }) {
  const { study, history, parallel, importance } = detail;
  const lines = useMemo<Line[]>(
    () => [
      { label: 'complete', ...history.complete, draw: 'points', color: COMPLETE },
      { label: 'pruned (last report)', ...history.pruned, draw: 'points', hollow: true, color: PRUNED },
      { label: 'best so far', ...history.best, draw: 'step', color: BEST },
    ],
    [history],
  );
  return (
    <>
      <h2 data-testid="study-name">
        {study.name} <span class={`badge ${study.state.toLowerCase()}`}>{study.state}</span>
      </h2>
      <p class="facts">
        <span>
          <b data-testid="detail-trials">{study.trials_started}</b> trials
          {study.max_trials > 0 && <span class="dim"> of {study.max_trials}</span>}
        </span>
        <span>
          {study.complete} complete, <span data-testid="detail-pruned">{study.pruned}</span> pruned,{' '}
          {study.failed} failed, {study.running} running
        </span>
        <span>
          best {study.metric} <b data-testid="detail-best">{num(study.best_value)}</b>
          {study.best_trial !== null && <span class="dim"> (trial {study.best_trial})</span>}
        </span>
        <span class="dim">
          {study.direction} · {study.sampler} · {study.pruner} · {study.mode}
        </span>
      </p>
      <div class="study-charts">
        <Chart
          title={study.metric === 'value' ? 'objective per trial' : `objective (${study.metric}) per trial`}
          lines={lines}
          xLabel="trial"
          height={260}
          testId="chart-trials"
        />
        <Importance importance={importance} />
      </div>
      <ParallelChart
        title="parameters → objective (darker is better, best in red, pruned dashed orange)"
        axes={parallel.axes}
        lines={parallel.lines}
        minimize={study.direction !== 'maximize'}
        testId="chart-parallel"
      />
    </>
  );
}

function Importance({ importance }: { importance: ImportanceView }) {
  return (
    <figure class="chart importance" data-testid="importance">
      <figcaption>
        parameter importance{' '}
        {importance.trials > 0 && <span class="dim">(over {importance.trials} complete trials)</span>}
      </figcaption>
      {importance.unavailable ? (
        <p class="dim">{importance.unavailable}</p>
      ) : (
        <table class="grid compact">
          <tbody>
            {importance.importances.map((p) => (
              <tr data-testid="importance-row" data-param={p.name}>
                <td class="mono">{p.name}</td>
                <td class="bar-cell">
                  <span class="bar" style={{ width: `${(p.importance * 100).toFixed(1)}%` }} />
                </td>
                <td class="num" data-testid="importance-share">
                  {(p.importance * 100).toFixed(1)} %
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </figure>
  );
}
