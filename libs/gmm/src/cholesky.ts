// Dense Cholesky helpers for the small D×D blocks of a full-covariance mixture. Matrices are
// row-major slices of a larger Float64Array, addressed by offset, so no block is ever copied out.

/**
 * Writes P = L⁻¹ (lower triangular, zeros above the diagonal) at `out[outOffset..]`, where L is the
 * Cholesky factor of the symmetric matrix at `a[aOffset..]` (Σ = L Lᵀ, so Σ⁻¹ = Pᵀ P). `work` holds
 * at least D×D values and receives L. Returns log det P = −½ log det Σ, or NaN when Σ is not
 * positive definite.
 */
export function inverseCholesky(
  a: Float64Array,
  aOffset: number,
  d: number,
  out: Float64Array,
  outOffset: number,
  work: Float64Array,
): number {
  for (let i = 0; i < d; i++) {
    const ri = i * d;
    for (let j = 0; j <= i; j++) {
      const rj = j * d;
      let s = a[aOffset + ri + j] as number;
      for (let m = 0; m < j; m++) s -= (work[ri + m] as number) * (work[rj + m] as number);
      if (i === j) {
        if (!(s > 0)) return Number.NaN;
        work[ri + i] = Math.sqrt(s);
      } else {
        work[ri + j] = s / (work[rj + j] as number);
      }
    }
  }
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    // Column c of L⁻¹ by forward substitution on L x = e_c; entries above row c are zero.
    for (let i = 0; i < c; i++) out[outOffset + i * d + c] = 0;
    const diag = 1 / (work[c * d + c] as number);
    out[outOffset + c * d + c] = diag;
    logDet += Math.log(diag);
    for (let i = c + 1; i < d; i++) {
      let s = 0;
      for (let m = c; m < i; m++) s -= (work[i * d + m] as number) * (out[outOffset + m * d + c] as number);
      out[outOffset + i * d + c] = s / (work[i * d + i] as number);
    }
  }
  return logDet;
}

/** Transposes each of `count` D×D blocks of `src` into `dst` (both row-major). */
export function transposeBlocks(src: Float64Array, count: number, d: number, dst: Float64Array): void {
  for (let b = 0; b < count; b++) {
    const o = b * d * d;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) dst[o + j * d + i] = src[o + i * d + j] as number;
  }
}
