import {
  aic,
  bic,
  exportGmm,
  fitGmm,
  GmmError,
  type GmmModel,
  meanLogLikelihood,
  scoreSamples,
} from '@aimass/gmm';
import type { PreparedData } from '../datasets/preprocessing.js';
import { THRESHOLD_ROWS, thresholdOf } from './anomaly-scoring.js';
import type { EpochSummary } from './checkpoint.js';
import { auprc, auroc, DEFAULT_METRICS, type MetricName } from './metric-registry.js';
import type { MixtureSpec } from './training-spec.js';

export interface GmmOutcome {
  /** One entry per EM iteration of the winning initialisation; `epoch` is the iteration. */
  readonly iterations: EpochSummary[];
  readonly final: EpochSummary;
  readonly graphs: { mixture: Uint8Array };
  /** The fitted mixture its graph was built from. */
  readonly model: GmmModel;
  /** The anomaly threshold on score = −log p(x): a percentile of the training rows' scores. */
  readonly threshold: number;
  readonly seconds: number;
}

/** The mixture could not be fitted to this data; the message says what to change. */
export class GmmFitError extends Error {
  override readonly name = 'GmmFitError';
}

/**
 * Fits a Gaussian mixture by EM (libs/gmm fitGmm: k-means++ starts, n_init restarts, full or diagonal
 * covariances). `epochs` bounds the EM iterations. The data arrive unscaled (a mixture's ONNX graph
 * takes raw features), and the fit is one synchronous call: progress is reported per iteration once
 * it returns, and a cancel takes effect before or after it, not inside.
 */
export function trainGmm(spec: MixtureSpec, data: PreparedData): GmmOutcome {
  const curves = new Map<number, number[]>();
  const began = performance.now();
  let model;
  try {
    model = fitGmm(data.train, data.trainRows, data.features, {
      components: spec.architecture.components,
      covariance: spec.architecture.covariance,
      nInit: spec.architecture.n_init,
      maxIter: spec.epochs,
      regCovar: spec.architecture.reg_covar,
      tol: spec.architecture.tol,
      init: spec.architecture.init === 'k-means++' ? 'kmeans++' : spec.architecture.init,
      seed: spec.preprocessing.seed,
      onIteration: (p) => {
        const curve = curves.get(p.init) ?? [];
        curve.push(p.lowerBound);
        curves.set(p.init, curve);
      },
    });
  } catch (err) {
    if (err instanceof GmmError) throw new GmmFitError(`the mixture cannot be fitted: ${err.message}`);
    throw err;
  }
  const seconds = (performance.now() - began) / 1000;
  const evalRows = data.validationRows > 0 ? data.validationRows : data.trainRows;
  const evalData = data.validationRows > 0 ? data.validation : data.train;
  const values: Record<string, number> = {
    log_likelihood: meanLogLikelihood(model, evalData, evalRows),
    bic: bic(model, data.train, data.trainRows),
    aic: aic(model, data.train, data.trainRows),
  };
  const wanted = (spec.metrics.length > 0 ? spec.metrics : DEFAULT_METRICS.gmm) as MetricName[];
  const metrics: Record<string, number> = {};
  for (const name of wanted) {
    if (name === 'auroc' || name === 'auprc') {
      const labels = data.validationLabels;
      const scores = scoreSamples(model, evalData, evalRows).map((ll) => -ll);
      metrics[name] = labels
        ? name === 'auroc'
          ? auroc(scores, labels)
          : auprc(scores, labels)
        : Number.NaN;
    } else {
      metrics[name] = values[name] ?? Number.NaN;
    }
  }
  const final: EpochSummary = {
    epoch: model.iterations,
    losses: { loss: -model.lowerBound, val_loss: -(values.log_likelihood as number) },
    metrics,
  };
  // The winning initialisation's curve; earlier restarts are not reported.
  const iterations = (curves.get(model.bestInit) ?? [])
    .slice(0, model.iterations)
    .map((lb, i): EpochSummary => ({ epoch: i + 1, losses: { loss: -lb }, metrics: {} }));
  if (iterations.length > 0) iterations[iterations.length - 1] = final;
  const thresholdRows = Math.min(THRESHOLD_ROWS, data.trainRows);
  const threshold = thresholdOf(
    scoreSamples(model, data.train.subarray(0, thresholdRows * data.features), thresholdRows).map(
      (ll) => -ll,
    ),
    spec.threshold_percentile,
  );
  return {
    iterations: iterations.length > 0 ? iterations : [final],
    final,
    graphs: { mixture: exportGmm(model, { threshold }) },
    model,
    threshold,
    seconds,
  };
}
