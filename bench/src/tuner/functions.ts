// The test functions of `npm run bench -- tuner`, as in the BO literature; bench/tuner_optuna.py holds
// the same definitions for Optuna's side, and functions.spec.ts checks each one's known minimum.

export interface TestFunction {
  readonly name: string;
  readonly bounds: readonly (readonly [number, number])[];
  /** The global minimum, for regret. */
  readonly minimum: number;
  readonly f: (x: readonly number[]) => number;
}

const H_ALPHA = [1.0, 1.2, 3.0, 3.2];
const H_A = [
  [10, 3, 17, 3.5, 1.7, 8],
  [0.05, 10, 17, 0.1, 8, 14],
  [3, 3.5, 1.7, 10, 17, 8],
  [17, 8, 0.05, 10, 0.1, 14],
];
const H_P = [
  [1312, 1696, 5569, 124, 8283, 5886],
  [2329, 4135, 8307, 3736, 1004, 9991],
  [2348, 1451, 3522, 2883, 3047, 6650],
  [4047, 8828, 8732, 5743, 1091, 381],
];

export const TEST_FUNCTIONS: readonly TestFunction[] = [
  {
    name: 'branin',
    bounds: [
      [-5, 10],
      [0, 15],
    ],
    minimum: 0.397887357729739,
    f: ([x0, x1]) => {
      const b = 5.1 / (4 * Math.PI ** 2);
      const c = 5 / Math.PI;
      const t = 1 / (8 * Math.PI);
      return (x1! - b * x0! ** 2 + c * x0! - 6) ** 2 + 10 * (1 - t) * Math.cos(x0!) + 10;
    },
  },
  {
    name: 'hartmann6',
    bounds: Array.from({ length: 6 }, () => [0, 1] as const),
    minimum: -3.322368011415515,
    f: (x) =>
      -H_ALPHA.reduce(
        (s, a, i) =>
          s + a * Math.exp(-x.reduce((e, v, j) => e + H_A[i]![j]! * (v - H_P[i]![j]! * 1e-4) ** 2, 0)),
        0,
      ),
  },
  {
    name: 'rosenbrock5',
    bounds: Array.from({ length: 5 }, () => [-5, 10] as const),
    minimum: 0,
    f: (x) => {
      let s = 0;
      for (let i = 0; i < x.length - 1; i++) s += 100 * (x[i + 1]! - x[i]! ** 2) ** 2 + (1 - x[i]!) ** 2;
      return s;
    },
  },
  {
    name: 'ackley5',
    bounds: Array.from({ length: 5 }, () => [-32.768, 32.768] as const),
    minimum: 0,
    f: (x) => {
      const d = x.length;
      const sq = x.reduce((s, v) => s + v * v, 0) / d;
      const cs = x.reduce((s, v) => s + Math.cos(2 * Math.PI * v), 0) / d;
      return -20 * Math.exp(-0.2 * Math.sqrt(sq)) - Math.exp(cs) + 20 + Math.E;
    },
  },
];
