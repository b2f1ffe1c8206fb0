import { onnx } from '@aimass/tensors';
import { OnnxGraphBuilder } from '@aimass/onnx';
import { type GmmModel, checkModel, isFullLayout, precisionLogDets } from './gmm-model.js';

export const GMM_TENSORS = {
  input: 'input',
  logLikelihood: 'log_likelihood',
  responsibilities: 'responsibilities',
  score: 'score',
  isAnomaly: 'is_anomaly',
} as const;

export interface GmmExportOptions {
  /** When set, the graph also outputs `is_anomaly` = score > threshold, score being −log p(x). */
  readonly threshold?: number;
}

const LOG_2PI = Math.log(2 * Math.PI);
const Attr = onnx.AttributeProto.AttributeType;

/**
 * Writes a fitted mixture as an FP32 ONNX graph (opset 13): `input` [batch, D] →
 * `log_likelihood` [batch] (log p(x)), `responsibilities` [batch, K] (p(k | x)), `score` [batch]
 * (−log p(x), the anomaly score) and, with a threshold, `is_anomaly` [batch] (BOOL, score > threshold).
 *
 * Each row is centred on every component's mean before anything scales it, (x − μ_k) as a
 * [batch, K, D] broadcast, and only then multiplied by the precision's Cholesky factor and squared.
 * The expanded form a·x² + b·x + c is cheaper but cancels in float32 where a variance is tiny
 * (blank pixels, with regCovar 1e-6, have precisions near 1e6). The constant terms (log weights,
 * log-determinants) are computed in float64.
 * - full: ((x − μ_k) U_k)² summed over D, as one batched MatMul over the K components;
 * - diag: ((x − μ_k) ⊙ u_k)² summed over D.
 */
export function exportGmm(model: GmmModel, options: GmmExportOptions = {}): Uint8Array {
  checkModel(model);
  const { components: kk, dims: d, covariance, weights, means, precisionsCholesky: u } = model;
  const logDet = precisionLogDets(model);
  const logConst = logDet.map((ld, k) => Math.log(weights[k] as number) + ld - 0.5 * d * LOG_2PI);

  const g = new OnnxGraphBuilder(`aimass_gmm_${covariance}`);
  const input = g.input(GMM_TENSORS.input, d);
  const rows = g.op('Reshape', [input, g.int64Constant('gmm.row_shape', [3], [-1, 1, d])], 'gmm.rows');
  const centred = g.op(
    'Sub',
    [rows, g.constant('gmm.means', [kk, d], Float32Array.from(means))],
    'gmm.centred',
  );
  // full: [batch, K, D] → [K, batch, D] · [K, D, D], each component's rows times its own factor.
  const whitened = isFullLayout(covariance)
    ? g.op(
        'MatMul',
        [
          g.op('Transpose', [centred], 'gmm.by_component', [
            { name: 'perm', type: Attr.INTS, ints: [1, 0, 2] },
          ]),
          g.constant('gmm.precision_cholesky', [kk, d, d], Float32Array.from(u)),
        ],
        'gmm.whitened',
      )
    : g.op('Mul', [centred, g.constant('gmm.precision_sqrt', [kk, d], Float32Array.from(u))], 'gmm.whitened');
  const squared = g.op('Mul', [whitened, whitened], 'gmm.squared');
  let mahalanobis = g.op(
    'ReduceSum',
    [squared, g.int64Constant('gmm.last_axis', [1], [2])],
    'gmm.mahalanobis',
    [{ name: 'keepdims', type: Attr.INT, i: 0 }],
  );
  if (isFullLayout(covariance))
    mahalanobis = g.op('Transpose', [mahalanobis], 'gmm.mahalanobis_by_row', [
      { name: 'perm', type: Attr.INTS, ints: [1, 0] },
    ]);
  const halfMaha = g.op(
    'Mul',
    [mahalanobis, g.constant('gmm.minus_half', [], Float32Array.of(-0.5))],
    'gmm.neg_half_mahalanobis',
  );
  const logProb = g.op(
    'Add',
    [halfMaha, g.constant('gmm.log_const', [kk], Float32Array.from(logConst))],
    'gmm.weighted_log_prob',
  );
  const ll = g.op('ReduceLogSumExp', [logProb], 'gmm.log_likelihood', [
    { name: 'axes', type: Attr.INTS, ints: [1] },
    { name: 'keepdims', type: Attr.INT, i: 0 },
  ]);
  const resp = g.op('Softmax', [logProb], 'gmm.responsibilities', [{ name: 'axis', type: Attr.INT, i: 1 }]);
  g.output(ll, GMM_TENSORS.logLikelihood, undefined);
  g.output(resp, GMM_TENSORS.responsibilities, kk);
  const score = g.op('Neg', [ll], 'gmm.score');
  g.output(score, GMM_TENSORS.score, undefined);
  if (options.threshold !== undefined) g.flagAbove(score, options.threshold, GMM_TENSORS.isAnomaly);
  return g.encode(
    `aimass Gaussian mixture (${kk} ${covariance} components, ${d} dims): ` +
      'log_likelihood is log p(x) per row, responsibilities is p(component | x), score is −log p(x)' +
      (options.threshold !== undefined ? ', is_anomaly is score > the training threshold' : ''),
  );
}
