/** f(x) and its gradient. */
export type Objective = (x: Float64Array) => { value: number; grad: Float64Array };

/**
 * Minimises a smooth unconstrained function with L-BFGS and a backtracking (Armijo) line search:
 * enough for a handful of GP hyperparameters; stops after `maxIter` steps or when progress stalls.
 */
export function lbfgs(
  f: Objective,
  x0: Float64Array,
  maxIter = 40,
  memory = 6,
): { x: Float64Array; value: number } {
  const n = x0.length;
  let x = Float64Array.from(x0);
  let { value, grad } = f(x);
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  for (let iter = 0; iter < maxIter && Number.isFinite(value); iter++) {
    // Two-loop recursion: d = -H g.
    const q = Float64Array.from(grad);
    const alphas: number[] = [];
    for (let i = ss.length - 1; i >= 0; i--) {
      const rho = 1 / dot(ys[i]!, ss[i]!);
      const a = rho * dot(ss[i]!, q);
      alphas[i] = a;
      for (let k = 0; k < n; k++) q[k]! -= a * ys[i]![k]!;
    }
    if (ss.length > 0) {
      const last = ss.length - 1;
      const gamma = dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!);
      for (let k = 0; k < n; k++) q[k]! *= gamma;
    } else {
      const gn = Math.sqrt(dot(grad, grad));
      if (gn < 1e-8) break;
      for (let k = 0; k < n; k++) q[k]! /= Math.max(1, gn);
    }
    for (let i = 0; i < ss.length; i++) {
      const rho = 1 / dot(ys[i]!, ss[i]!);
      const b = rho * dot(ys[i]!, q);
      for (let k = 0; k < n; k++) q[k]! += ss[i]![k]! * (alphas[i]! - b);
    }
    const d = q.map((v) => -v);
    let slope = dot(d, grad);
    if (!(slope < 0)) {
      // Not a descent direction: restart from steepest descent.
      ss.length = 0;
      ys.length = 0;
      for (let k = 0; k < n; k++) d[k] = -grad[k]!;
      slope = dot(d, grad);
    }
    let step = 1;
    let next: { value: number; grad: Float64Array } | undefined;
    let xn = x;
    for (let tries = 0; tries < 20; tries++) {
      xn = x.map((v, k) => v + step * d[k]!);
      next = f(xn);
      if (Number.isFinite(next.value) && next.value <= value + 1e-4 * step * slope) break;
      next = undefined;
      step *= 0.5;
    }
    if (!next) break;
    const s = xn.map((v, k) => v - x[k]!);
    const y = next.grad.map((v, k) => v - grad[k]!);
    if (dot(s, y) > 1e-12) {
      ss.push(s);
      ys.push(y);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
      }
    }
    const improvement = value - next.value;
    x = xn;
    value = next.value;
    grad = next.grad;
    if (improvement < 1e-7 * Math.max(1, Math.abs(value))) break;
  }
  return { x, value };
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}
