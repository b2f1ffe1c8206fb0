import { GmmError } from './gmm-error.js';

// Hard labels that start EM: k-means++ seeding (scikit-learn's greedy variant: several candidate
// centres per step, keeping the one that lowers the potential most), then optional Lloyd rounds.

/** Fills `labels` with the index of each row's nearest centre after seeding and `lloydIterations` rounds. */
export function kmeansLabels(
  x: Float64Array,
  rows: number,
  d: number,
  k: number,
  random: () => number,
  lloydIterations: number,
  labels: Int32Array,
): void {
  const centres = seedCentres(x, rows, d, k, random);
  assign(x, rows, d, k, centres, labels);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let it = 0; it < lloydIterations; it++) {
    sums.fill(0);
    counts.fill(0);
    for (let n = 0; n < rows; n++) {
      const c = labels[n] as number;
      counts[c] = (counts[c] as number) + 1;
      for (let j = 0; j < d; j++) sums[c * d + j] = (sums[c * d + j] as number) + (x[n * d + j] as number);
    }
    // An emptied cluster keeps its centre; EM's mass floor copes with it.
    for (let c = 0; c < k; c++) {
      const m = counts[c] as number;
      if (m > 0) for (let j = 0; j < d; j++) centres[c * d + j] = (sums[c * d + j] as number) / m;
    }
    if (assign(x, rows, d, k, centres, labels) === 0) break;
  }
}

function seedCentres(
  x: Float64Array,
  rows: number,
  d: number,
  k: number,
  random: () => number,
): Float64Array {
  const centres = new Float64Array(k * d);
  const closest = new Float64Array(rows);
  const candidate = new Float64Array(rows);
  const best = new Float64Array(rows);
  const cumulative = new Float64Array(rows);
  const trials = 2 + Math.floor(Math.log(k));

  let first = Math.floor(random() * rows);
  if (first >= rows) first = rows - 1;
  centres.set(x.subarray(first * d, first * d + d), 0);
  let potential = distancesTo(x, rows, d, first, null, closest);

  for (let c = 1; c < k; c++) {
    if (!(potential > 0)) {
      throw new GmmError(
        'too_few_distinct_rows',
        `the data has only ${c} distinct row(s) but ${k} components were asked for; use at most ${c} components or more varied data`,
      );
    }
    let acc = 0;
    for (let n = 0; n < rows; n++) {
      acc += closest[n] as number;
      cumulative[n] = acc;
    }
    let bestPotential = Infinity;
    let bestRow = -1;
    for (let t = 0; t < trials; t++) {
      const row = sampleRow(cumulative, closest, random() * acc);
      const p = distancesTo(x, rows, d, row, closest, candidate);
      if (p < bestPotential) {
        bestPotential = p;
        bestRow = row;
        best.set(candidate);
      }
    }
    closest.set(best);
    potential = bestPotential;
    centres.set(x.subarray(bestRow * d, bestRow * d + d), c * d);
  }
  return centres;
}

/** The first row whose cumulative weight exceeds `target`; rows of zero weight are never chosen. */
function sampleRow(cumulative: Float64Array, weights: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((cumulative[mid] as number) > target) hi = mid;
    else lo = mid + 1;
  }
  while (lo > 0 && !((weights[lo] as number) > 0)) lo--;
  return lo;
}

/** out[n] = min(bound[n], |x_n − x_row|²) (no bound when null); returns the sum. */
function distancesTo(
  x: Float64Array,
  rows: number,
  d: number,
  row: number,
  bound: Float64Array | null,
  out: Float64Array,
): number {
  const ro = row * d;
  let total = 0;
  for (let n = 0; n < rows; n++) {
    const xo = n * d;
    let s = 0;
    for (let j = 0; j < d; j++) {
      const t = (x[xo + j] as number) - (x[ro + j] as number);
      s += t * t;
    }
    if (bound !== null && (bound[n] as number) < s) s = bound[n] as number;
    out[n] = s;
    total += s;
  }
  return total;
}

/** Nearest-centre labels; returns how many changed. */
function assign(
  x: Float64Array,
  rows: number,
  d: number,
  k: number,
  centres: Float64Array,
  labels: Int32Array,
): number {
  let changed = 0;
  for (let n = 0; n < rows; n++) {
    const xo = n * d;
    let best = 0;
    let bestDist = Infinity;
    for (let c = 0; c < k; c++) {
      const co = c * d;
      let s = 0;
      for (let j = 0; j < d; j++) {
        const t = (x[xo + j] as number) - (centres[co + j] as number);
        s += t * t;
      }
      if (s < bestDist) {
        bestDist = s;
        best = c;
      }
    }
    if (labels[n] !== best) {
      labels[n] = best;
      changed++;
    }
  }
  return changed;
}
