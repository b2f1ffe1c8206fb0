import * as tf from '@tensorflow/tfjs';

/**
 * Reconstruction and KL losses with hand-written gradients. tfjs's gradient of `mean` or `sum`
 * builds `ones(x.shape)` in host memory every step and uploads it: for a 1024 × 784 batch that
 * is 3 MB per step, which on WebGPU cost more than the whole GPU step. Here each gradient is a
 * few element-wise kernels, and each full reduction sums rows first (a parallel pass) and then
 * the row sums, since a one-pass reduction to a scalar runs in a single GPU workgroup.
 *
 * `divisor` sets what the element sum is divided by: every element for a mean, the batch for a
 * per-sample sum averaged over the batch (the usual scale of the ELBO).
 */
export type LossScale = 'mean' | 'per-sample';

const EPSILON = 1e-7;

type GradientParts = {
  value: tf.Scalar;
  gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => tf.Tensor | tf.Tensor[];
};

/** tf.customGrad with typed inputs: its own signature types every input as Tensor | GradSaveFunc. */
function customGrad<A extends unknown[]>(
  f: (...args: A) => GradientParts,
): (...inputs: tf.Tensor[]) => tf.Scalar {
  return tf.customGrad(f as unknown as Parameters<typeof tf.customGrad>[0]) as unknown as (
    ...inputs: tf.Tensor[]
  ) => tf.Scalar;
}

function total(t: tf.Tensor2D): tf.Scalar {
  return tf.sum(tf.sum(t, 1)) as tf.Scalar;
}

function divisorOf(x: tf.Tensor2D, scale: LossScale): number {
  const [rows, cols] = x.shape;
  return scale === 'mean' ? rows * cols : rows;
}

/** Σ (x − r)² / divisor; its gradient flows to `recon` only (x is data). */
export function squaredError(x: tf.Tensor2D, recon: tf.Tensor2D, scale: LossScale): tf.Scalar {
  const divisor = divisorOf(x, scale);
  const loss = customGrad((r: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const diff = tf.sub(r, x) as tf.Tensor2D;
    save([diff]);
    return {
      value: tf.div(total(tf.square(diff) as tf.Tensor2D), divisor) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [saved]: tf.Tensor[]) => tf.mul(saved as tf.Tensor, tf.mul(dy, 2 / divisor)),
    };
  });
  return loss(recon);
}

/** Binary cross-entropy of probabilities `p` (clipped to [ε, 1 − ε] as Keras does) against x ∈ [0, 1]. */
export function binaryCrossEntropy(x: tf.Tensor2D, p: tf.Tensor2D, scale: LossScale): tf.Scalar {
  const divisor = divisorOf(x, scale);
  const loss = customGrad((prob: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const q = tf.clipByValue(prob, EPSILON, 1 - EPSILON);
    save([prob, q]);
    return {
      value: tf.div(total(bceElements(x, q)), divisor) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [probSaved, qSaved]: tf.Tensor[]) => {
        const qs = qSaved as tf.Tensor;
        // d/dq of −[x log q + (1 − x) log(1 − q)] is (q − x) / (q (1 − q)); the clip passes no gradient outside its range.
        const inside = tf.cast(
          tf.logicalAnd(
            tf.greaterEqual(probSaved as tf.Tensor, EPSILON),
            tf.lessEqual(probSaved as tf.Tensor, 1 - EPSILON),
          ),
          'float32',
        );
        return tf.mul(tf.div(tf.sub(qs, x), tf.mul(qs, tf.sub(1, qs))), tf.mul(inside, tf.div(dy, divisor)));
      },
    };
  });
  return loss(p);
}

/** Elementwise −[x log q + (1 − x) log(1 − q)] for q already in (0, 1). */
export function bceElements(x: tf.Tensor, q: tf.Tensor): tf.Tensor2D {
  return tf.neg(tf.add(tf.mul(x, tf.log(q)), tf.mul(tf.sub(1, x), tf.log(tf.sub(1, q))))) as tf.Tensor2D;
}

/** KL(N(μ, e^logVar) ‖ N(0, I)) summed over the latent and averaged over the batch. */
export function gaussianKl(mean: tf.Tensor2D, logVar: tf.Tensor2D): tf.Scalar {
  const rows = mean.shape[0];
  const loss = customGrad((m: tf.Tensor2D, lv: tf.Tensor2D, save: tf.GradSaveFunc) => {
    const variance = tf.exp(lv);
    save([m, variance]);
    const elements = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, lv), tf.square(m)), variance)) as tf.Tensor2D;
    return {
      value: tf.div(total(elements), rows) as tf.Scalar,
      gradFunc: (dy: tf.Tensor, [mSaved, varianceSaved]: tf.Tensor[]) => {
        const perRow = tf.div(dy, rows);
        return [
          tf.mul(mSaved as tf.Tensor, perRow),
          tf.mul(tf.mul(tf.sub(varianceSaved as tf.Tensor, 1), 0.5), perRow),
        ];
      },
    };
  });
  return loss(mean, logVar);
}
