"""Optuna baseline for `npm run bench -- tuner`: runs one sampler on one test function for several
seeds and prints, as JSON, the best value of each seed and the seconds each study.ask took, as CPU
time of this process (the benchmark machine is shared; wall time measures the neighbours) and as wall
time.

The parameters are passed to study.ask as fixed distributions, so the timed call includes the
sampling itself (with define-by-run suggest_* calls Optuna samples outside ask)."""
import json
import math
import sys
import time

import optuna
from optuna.distributions import FloatDistribution


def branin(x):
    a, b, c = 1.0, 5.1 / (4 * math.pi ** 2), 5 / math.pi
    r, s, t = 6.0, 10.0, 1 / (8 * math.pi)
    return a * (x[1] - b * x[0] ** 2 + c * x[0] - r) ** 2 + s * (1 - t) * math.cos(x[0]) + s


H_ALPHA = [1.0, 1.2, 3.0, 3.2]
H_A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
H_P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991],
       [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(x):
    return -sum(H_ALPHA[i] * math.exp(-sum(H_A[i][j] * (x[j] - H_P[i][j] * 1e-4) ** 2 for j in range(6)))
                for i in range(4))


def rosenbrock(x):
    return sum(100 * (x[i + 1] - x[i] ** 2) ** 2 + (1 - x[i]) ** 2 for i in range(len(x) - 1))


def ackley(x):
    d = len(x)
    return (-20 * math.exp(-0.2 * math.sqrt(sum(v * v for v in x) / d))
            - math.exp(sum(math.cos(2 * math.pi * v) for v in x) / d) + 20 + math.e)


FUNCTIONS = {
    'branin': (branin, [(-5, 10), (0, 15)]),
    'hartmann6': (hartmann6, [(0, 1)] * 6),
    'rosenbrock5': (rosenbrock, [(-5, 10)] * 5),
    'ackley5': (ackley, [(-32.768, 32.768)] * 5),
}


def main():
    fn_name, sampler_name, trials, seeds = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    fn, bounds = FUNCTIONS[fn_name]
    dists = {f'x{i}': FloatDistribution(lo, hi) for i, (lo, hi) in enumerate(bounds)}
    best, ask_s, ask_wall_s = [], [], []
    for seed in range(seeds):
        sampler = optuna.samplers.TPESampler(seed=seed) if sampler_name == 'tpe' else \
            optuna.samplers.RandomSampler(seed=seed)
        study = optuna.create_study(sampler=sampler, direction='minimize')
        for _ in range(trials):
            c0, t0 = time.process_time(), time.perf_counter()
            trial = study.ask(fixed_distributions=dists)
            ask_s.append(time.process_time() - c0)
            ask_wall_s.append(time.perf_counter() - t0)
            study.tell(trial, fn([trial.params[f'x{i}'] for i in range(len(bounds))]))
        best.append(study.best_value)
    print(json.dumps({'best': best, 'ask_s': ask_s, 'ask_wall_s': ask_wall_s, 'optuna': optuna.__version__}))


main()
