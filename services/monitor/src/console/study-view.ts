import type { tunerv1 } from '@aimass/contracts';
import { parseSearchSpace, type ParamSpec, type ParamValue, type SearchSpace } from '@aimass/tuning';
import { downsampleMinMax, type Series } from './downsample.js';

/** One study as the Studies view lists it. */
export interface StudyRow {
  readonly study_id: string;
  readonly name: string;
  readonly state: string;
  readonly mode: string;
  readonly direction: string;
  readonly metric: string;
  readonly sampler: string;
  readonly pruner: string;
  readonly trials_started: number;
  /** 0: no limit on the count. */
  readonly max_trials: number;
  readonly running: number;
  readonly complete: number;
  readonly pruned: number;
  readonly failed: number;
  readonly best_value: number | null;
  readonly best_trial: number | null;
  readonly created_at: string;
  readonly updated_at: string;
}

/** One vertical axis of the parallel-coordinates chart; lines give values on it in [0, 1]. */
export interface ParallelAxis {
  readonly name: string;
  readonly kind: 'float' | 'int' | 'categorical' | 'objective';
  readonly log: boolean;
  /** Where to label the axis: position in [0, 1] and the value there. */
  readonly ticks: readonly { readonly at: number; readonly value: ParamValue }[];
}

export interface ParallelLine {
  readonly trial: number;
  readonly state: string;
  /** The trial's value on each axis, in [0, 1]; null where a parameter was inactive (or a pruned trial's objective). */
  readonly values: readonly (number | null)[];
  /** The objective of a complete trial (the line's colour). */
  readonly objective: number | null;
}

export interface ImportanceView {
  /** Most important first. */
  readonly importances: readonly { readonly name: string; readonly importance: number }[];
  /** Complete trials the estimate rests on. */
  readonly trials: number;
  /** Why there is no estimate yet (the tuner needs two complete trials). */
  readonly unavailable: string;
}

export interface StudyDetail {
  readonly study: StudyRow;
  /**
   * Objective per trial by trial number: complete trials' values, pruned trials' last reported
   * value, and the best so far; each thinned to the points asked for.
   */
  readonly history: { readonly complete: Series; readonly pruned: Series; readonly best: Series };
  readonly parallel: { readonly axes: readonly ParallelAxis[]; readonly lines: readonly ParallelLine[] };
  readonly importance: ImportanceView;
}

/** Lines on the parallel-coordinates chart: the best complete trials and the latest pruned ones. */
const MAX_COMPLETE_LINES = 300;
const MAX_PRUNED_LINES = 100;

export function studyRow(study: tunerv1.Study__Output): StudyRow {
  return {
    study_id: study.study_id,
    name: study.name,
    state: study.state,
    mode: study.mode,
    direction: study.direction,
    metric: study.metric,
    sampler: study.sampler,
    pruner: study.pruner,
    trials_started: study.trials_started,
    max_trials: study.max_trials,
    running: study.running,
    complete: study.complete,
    pruned: study.pruned,
    failed: study.failed,
    best_value: study.has_best && study.best_trial ? study.best_trial.value : null,
    best_trial: study.has_best && study.best_trial ? study.best_trial.number : null,
    created_at: study.created_at,
    updated_at: study.updated_at,
  };
}

/** The Studies view's data for one study (GetStudy with its trials, and GetImportance's answer). */
export function studyDetail(
  study: tunerv1.Study__Output,
  importance: ImportanceView,
  maxPoints: number,
): StudyDetail {
  const trials = [...study.trials].sort((a, b) => a.number - b.number);
  const minimize = study.direction !== 'maximize';
  const x = trials.map((t) => t.number);
  let best: number | null = null;
  const bestY = trials.map((t) => {
    if (t.state === 'COMPLETE' && (best === null || (minimize ? t.value < best : t.value > best)))
      best = t.value;
    return best;
  });
  const thin = (y: (number | null)[]) => downsampleMinMax({ x, y }, maxPoints);
  return {
    study: studyRow(study),
    history: {
      complete: thin(trials.map((t) => (t.state === 'COMPLETE' ? t.value : null))),
      pruned: thin(trials.map((t) => (t.state === 'PRUNED' ? lastReport(t) : null))),
      best: thin(bestY),
    },
    parallel: parallelCoordinates(spaceOf(study.spec_json), trials, minimize),
    importance,
  };
}

/** The value a pruned trial last reported (the one that stopped it), if it reported any. */
function lastReport(trial: tunerv1.Trial__Output): number | null {
  const steps = Object.keys(trial.intermediate).map(Number);
  if (steps.length === 0) return null;
  return trial.intermediate[Math.max(...steps)] ?? null;
}

function spaceOf(specJson: string): SearchSpace {
  return parseSearchSpace((JSON.parse(specJson) as { space: unknown }).space);
}

function parallelCoordinates(
  space: SearchSpace,
  trials: readonly tunerv1.Trial__Output[],
  minimize: boolean,
): StudyDetail['parallel'] {
  const complete = trials
    .filter((t) => t.state === 'COMPLETE')
    .sort((a, b) => (minimize ? a.value - b.value : b.value - a.value))
    .slice(0, MAX_COMPLETE_LINES);
  const pruned = trials.filter((t) => t.state === 'PRUNED').slice(-MAX_PRUNED_LINES);
  const names = Object.keys(space);
  const values = complete.map((t) => t.value);
  const low = values.length > 0 ? Math.min(...values) : 0;
  const high = values.length > 0 ? Math.max(...values) : 1;
  const axes: ParallelAxis[] = [
    ...names.map((name) => paramAxis(name, space[name]!)),
    {
      name: 'objective',
      kind: 'objective',
      log: false,
      ticks:
        low === high
          ? [{ at: 0.5, value: low }]
          : [
              { at: 0, value: low },
              { at: 1, value: high },
            ],
    },
  ];
  const line = (t: tunerv1.Trial__Output): ParallelLine => {
    const params = JSON.parse(t.params_json) as Record<string, ParamValue>;
    const objective = t.state === 'COMPLETE' ? t.value : null;
    return {
      trial: t.number,
      state: t.state,
      values: [
        ...names.map((name) => position(space[name]!, params[name])),
        objective === null ? null : low === high ? 0.5 : (objective - low) / (high - low),
      ],
      objective,
    };
  };
  // Pruned lines first, so the complete ones are drawn over them.
  return { axes, lines: [...pruned.map(line), ...[...complete].reverse().map(line)] };
}

function paramAxis(name: string, spec: ParamSpec): ParallelAxis {
  if (spec.type === 'categorical')
    return {
      name,
      kind: 'categorical',
      log: false,
      ticks: spec.choices.map((value, i) => ({ at: choiceAt(i, spec.choices.length), value })),
    };
  const mid = spec.log ? Math.sqrt(spec.low * spec.high) : (spec.low + spec.high) / 2;
  return {
    name,
    kind: spec.type,
    log: spec.log ?? false,
    ticks: [
      { at: 0, value: spec.low },
      { at: 0.5, value: spec.type === 'int' ? Math.round(mid) : mid },
      { at: 1, value: spec.high },
    ],
  };
}

/** Where a parameter's value sits on its axis (log axes in log space); null when it is absent. */
function position(spec: ParamSpec, value: ParamValue | undefined): number | null {
  if (value === undefined) return null;
  if (spec.type === 'categorical') {
    const i = spec.choices.indexOf(value);
    return i < 0 ? null : choiceAt(i, spec.choices.length);
  }
  if (typeof value !== 'number') return null;
  const [lo, hi, v] = spec.log
    ? [Math.log(spec.low), Math.log(spec.high), Math.log(value)]
    : [spec.low, spec.high, value];
  return Math.min(1, Math.max(0, (v - lo) / (hi - lo)));
}

function choiceAt(i: number, n: number): number {
  return n === 1 ? 0.5 : i / (n - 1);
}
