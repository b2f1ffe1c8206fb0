"""Baselines for `npm run bench -- anomaly`, with Debian's python3-sklearn.

prepare DIR SEED: writes DIR/<set>.csv (features, then a 0/1 `label` column) for the labelled
anomaly sets built from the data sets scikit-learn ships: the normal class(es) in full, plus a
seeded 5% of rare anomalies from the other classes.

evaluate DIR SEED: reads DIR/<set>.csv, DIR/aimass-scores.json ({set: {method: [score per row]}},
higher = more anomalous) and DIR/<set>-gmm-start.json (the aimass GMM job's K, covariance type, tol,
max_iter, reg_covar and the parameters its EM started from), fits IsolationForest with its defaults
and GaussianMixture with the job's settings on every row (labels left out, as for aimass), and
prints JSON: per set, AUROC and AUPRC of every method, and GaussianMixture's mean log-likelihood
started from the job's start and from scikit-learn's own default start.
"""
import json
import os
import sys

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.mixture import GaussianMixture

ANOMALY_SHARE = 0.05


def labelled(x, normal, rng):
    """Every normal row, then anomalies drawn from the rest to make ANOMALY_SHARE of the set."""
    normal_rows, rare_rows = x[normal], x[~normal]
    count = max(1, round(len(normal_rows) * ANOMALY_SHARE / (1 - ANOMALY_SHARE)))
    picked = rare_rows[rng.choice(len(rare_rows), size=count, replace=False)]
    rows = np.vstack([normal_rows, picked])
    labels = np.concatenate([np.zeros(len(normal_rows)), np.ones(count)])
    order = rng.permutation(len(rows))
    return rows[order], labels[order]


def prepare(out, seed):
    rng = np.random.RandomState(seed)
    cancer = load_breast_cancer()
    wine = load_wine()
    digits = load_digits()
    sets = {
        # benign tumours normal, malignant ones rare
        "breast-cancer": labelled(cancer.data, cancer.target == 1, rng),
        # cultivars 0 and 1 normal, cultivar 2 rare
        "wine": labelled(wine.data, wine.target != 2, rng),
        # 8x8 digits: the digit 0 normal, other digits rare (many constant pixel columns)
        "digits-0": labelled(digits.data, digits.target == 0, rng),
    }
    for name, (rows, labels) in sets.items():
        header = ",".join([f"f{i}" for i in range(rows.shape[1])] + ["label"])
        body = np.column_stack([rows, labels])
        np.savetxt(os.path.join(out, f"{name}.csv"), body, delimiter=",", header=header, comments="", fmt="%.10g")
    print(json.dumps(sorted(sets)))


def precisions(start, d):
    """scikit-learn's precisions_init from aimass's stored covariances (tied as K equal full
    blocks, spherical as K x D equal variances)."""
    k, kind = start["components"], start["covariance"]
    c = np.asarray(start["covariances"], dtype=np.float64)
    if kind == "full":
        return np.stack([spd_inverse(block) for block in c.reshape(k, d, d)])
    if kind == "tied":
        return spd_inverse(c[: d * d].reshape(d, d))
    if kind == "diag":
        return 1.0 / c.reshape(k, d)
    return 1.0 / c.reshape(k, d)[:, 0]


def spd_inverse(covariance):
    """The inverse through its Cholesky factor, symmetrised: a plain inverse of a nearly singular
    covariance (reg_covar on a constant pixel) comes back asymmetric in its last digits, and
    scikit-learn refuses it."""
    inverse_factor = np.linalg.inv(np.linalg.cholesky(covariance))
    precision = inverse_factor.T @ inverse_factor
    return (precision + precision.T) / 2


def mixture(start, **kwargs):
    return GaussianMixture(
        n_components=start["components"],
        covariance_type=start["covariance"],
        tol=start["tol"],
        max_iter=start["max_iter"],
        reg_covar=start["reg_covar"],
        **kwargs,
    )


def evaluate(out, seed):
    scores = json.load(open(os.path.join(out, "aimass-scores.json")))
    results = {}
    for name in sorted(scores):
        data = np.loadtxt(os.path.join(out, f"{name}.csv"), delimiter=",", skiprows=1)
        x, y = data[:, :-1], data[:, -1]
        forest = IsolationForest(random_state=seed).fit(x)
        start = json.load(open(os.path.join(out, f"{name}-gmm-start.json")))
        # The trainer fits the rows as float32; the mixtures see the same values.
        x32 = x.astype(np.float32).astype(np.float64)
        k, d = start["components"], x.shape[1]
        same_start = mixture(
            start,
            weights_init=np.asarray(start["weights"]),
            means_init=np.asarray(start["means"]).reshape(k, d),
            precisions_init=precisions(start, d),
        ).fit(x32)
        # scikit-learn's default start, from random_state SEED (the one scored) to SEED + 4: the
        # spread is how far apart the local optima of one start each lie.
        defaults = [mixture(start, random_state=seed + i).fit(x32) for i in range(5)]
        mixture_default = defaults[0]
        methods = dict(scores[name])
        methods["sklearn IsolationForest"] = (-forest.score_samples(x)).tolist()
        methods["sklearn GaussianMixture"] = (-mixture_default.score_samples(x32)).tolist()
        results[name] = {
            "rows": int(len(y)),
            "anomalies": int(y.sum()),
            "features": int(x.shape[1]),
            "gmm": {
                "sklearn_same_start_ll": float(same_start.score(x32)),
                "sklearn_default_init_ll": float(mixture_default.score(x32)),
                "sklearn_default_init_lls": sorted(float(m.score(x32)) for m in defaults),
            },
            "methods": {
                m: {"auroc": float(roc_auc_score(y, s)), "auprc": float(average_precision_score(y, s))}
                for m, s in methods.items()
            },
        }
    import sklearn

    print(json.dumps({"sklearn": sklearn.__version__, "sets": results}))


if __name__ == "__main__":
    mode, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if mode == "prepare":
        prepare(out, seed)
    else:
        evaluate(out, seed)
