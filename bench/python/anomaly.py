"""Baselines for `npm run bench -- anomaly`, with Debian's python3-sklearn.

prepare DIR SEED: writes DIR/<set>.csv (features, then a 0/1 `label` column) for the labelled
anomaly sets built from the data sets scikit-learn ships: the normal class(es) in full, plus a
seeded 5% of rare anomalies from the other classes.

evaluate DIR SEED K: reads DIR/<set>.csv and DIR/aimass-scores.json ({set: {method: [score per row]}},
higher = more anomalous), fits IsolationForest and GaussianMixture(K) with their defaults on every
row (labels left out, as for aimass), and prints JSON: per set, AUROC and AUPRC of every method and
scikit-learn's GaussianMixture mean log-likelihood.
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


def evaluate(out, seed, k):
    scores = json.load(open(os.path.join(out, "aimass-scores.json")))
    results = {}
    for name in sorted(scores):
        data = np.loadtxt(os.path.join(out, f"{name}.csv"), delimiter=",", skiprows=1)
        x, y = data[:, :-1], data[:, -1]
        forest = IsolationForest(random_state=seed).fit(x)
        mixture = GaussianMixture(n_components=k, random_state=seed).fit(x)
        methods = dict(scores[name])
        methods["sklearn IsolationForest"] = (-forest.score_samples(x)).tolist()
        methods["sklearn GaussianMixture"] = (-mixture.score_samples(x)).tolist()
        results[name] = {
            "rows": int(len(y)),
            "anomalies": int(y.sum()),
            "features": int(x.shape[1]),
            "sklearn_gmm_ll": float(mixture.score(x)),
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
        evaluate(out, seed, int(sys.argv[4]))
