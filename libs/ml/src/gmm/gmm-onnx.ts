import { onnx } from '../onnx-proto.js';
import { OnnxGraphBuilder } from '../onnx-export/graph-builder.js';
import { type GmmModel, checkModel, precisionLogDets } from './gmm-model.js';

export const GMM_TENSORS = {
  input: 'input',
  logLikelihood: 'log_likelihood',
  responsibilities: 'responsibilities',
} as const;

const LOG_2PI = Math.log(2 * Math.PI);
const Attr = onnx.AttributeProto.AttributeType;

/**
 * Writes a fitted mixture as an FP32 ONNX graph (opset 13): `input` [batch, D] →
 * `log_likelihood` [batch] (log p(x)) and `responsibilities` [batch, K] (p(k | x)).
 *
 * Every per-component quantity is precomputed in float64 and stored as an initializer, so the
 * graph is a few MatMuls. The input is first centred on the mixture's mean, which keeps float32
 * rounding small when the data sit far from the origin.
 * - full: z = (x − c) W − b with W = [U_1 … U_K] (D × K·D) and b_k = (μ_k − c) U_k, then the
 *   squared blocks summed by one more MatMul;
 * - diag: the expanded quadratic −½Σ p²(x−μ)² = (x−c)² A + (x−c) B + const, two D × K MatMuls.
 */
export function exportGmm(model: GmmModel): Uint8Array {
  checkModel(model);
  const { components: kk, dims: d, covariance, weights, means, precisionsCholesky: u } = model;
  const centre = new Float64Array(d);
  for (let k = 0; k < kk; k++) for (let j = 0; j < d; j++) centre[j] = (centre[j] as number) + (weights[k] as number) * (means[k * d + j] as number);

  const logDet = precisionLogDets(model);
  const logConst = logDet.map((ld, k) => Math.log(weights[k] as number) + ld - 0.5 * d * LOG_2PI);

  const g = new OnnxGraphBuilder(`aimass_gmm_${covariance}`);
  const input = g.input(GMM_TENSORS.input, d);
  const centred = g.op('Sub', [input, g.constant('gmm.centre', [d], Float32Array.from(centre))], 'gmm.centred');
  let logProb: string;
  if (covariance === 'full') {
    const w = new Float32Array(d * kk * d);
    const bias = new Float32Array(kk * d);
    const sumBlocks = new Float32Array(kk * d * kk);
    for (let k = 0; k < kk; k++) {
      const uo = k * d * d;
      for (let i = 0; i < d; i++) {
        let b = 0;
        for (let j = 0; j < d; j++) {
          const uji = u[uo + j * d + i] as number;
          w[j * kk * d + k * d + i] = uji;
          b += ((means[k * d + j] as number) - (centre[j] as number)) * uji;
        }
        bias[k * d + i] = b;
        sumBlocks[(k * d + i) * kk + k] = -0.5;
      }
    }
    const projected = g.op('MatMul', [centred, g.constant('gmm.whiten', [d, kk * d], w)], 'gmm.projected');
    const z = g.op('Sub', [projected, g.constant('gmm.whitened_means', [kk * d], bias)], 'gmm.whitened');
    const squared = g.op('Mul', [z, z], 'gmm.squared');
    const halfMaha = g.op('MatMul', [squared, g.constant('gmm.block_sum', [kk * d, kk], sumBlocks)], 'gmm.neg_half_mahalanobis');
    logProb = g.op('Add', [halfMaha, g.constant('gmm.log_const', [kk], Float32Array.from(logConst))], 'gmm.weighted_log_prob');
  } else {
    const a = new Float32Array(d * kk);
    const b = new Float32Array(d * kk);
    const c = Float64Array.from(logConst);
    for (let k = 0; k < kk; k++) {
      for (let j = 0; j < d; j++) {
        const p2 = (u[k * d + j] as number) ** 2;
        const m = (means[k * d + j] as number) - (centre[j] as number);
        a[j * kk + k] = -0.5 * p2;
        b[j * kk + k] = p2 * m;
        c[k] = (c[k] as number) - 0.5 * p2 * m * m;
      }
    }
    const squared = g.op('Mul', [centred, centred], 'gmm.squared');
    const quadratic = g.op('MatMul', [squared, g.constant('gmm.quadratic', [d, kk], a)], 'gmm.quadratic_term');
    const linear = g.op('MatMul', [centred, g.constant('gmm.linear', [d, kk], b)], 'gmm.linear_term');
    const sum = g.op('Add', [quadratic, linear], 'gmm.terms');
    logProb = g.op('Add', [sum, g.constant('gmm.log_const', [kk], Float32Array.from(c))], 'gmm.weighted_log_prob');
  }
  const ll = g.op('ReduceLogSumExp', [logProb], 'gmm.log_likelihood', [
    { name: 'axes', type: Attr.INTS, ints: [1] },
    { name: 'keepdims', type: Attr.INT, i: 0 },
  ]);
  const resp = g.op('Softmax', [logProb], 'gmm.responsibilities', [{ name: 'axis', type: Attr.INT, i: 1 }]);
  g.output(ll, GMM_TENSORS.logLikelihood, undefined);
  g.output(resp, GMM_TENSORS.responsibilities, kk);
  return g.encode(
    `aimass Gaussian mixture (${kk} ${covariance} components, ${d} dims): ` +
      'log_likelihood is log p(x) per row, responsibilities is p(component | x)',
  );
}
