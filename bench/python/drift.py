"""SciPy side of `npm run bench -- drift` (Debian python3-scipy).

Reads the reference rows, every window's rows and aimass's statistics from DIR, and writes
DIR/scipy.json with, per window and feature: SciPy's two-sample KS on the raw rows
(ks_2samp, method='asymp', as aimass's p-values are asymptotic) and kstwo.sf of aimass's own
statistic at aimass's effective size, which checks aimass's p-value function.
"""
import json
import sys

import numpy as np
from scipy.stats import ks_2samp, kstwo

directory = sys.argv[1]
meta = json.load(open(f"{directory}/meta.json"))
features, window_rows = meta["features"], meta["window_rows"]
reference = np.fromfile(f"{directory}/reference.f64", dtype=np.float64).reshape(-1, features)
windows = np.fromfile(f"{directory}/windows.f64", dtype=np.float64).reshape(-1, window_rows, features)
ours = json.load(open(f"{directory}/aimass.json"))

raw_statistic, raw_p, p_of_ours = [], [], []
for w, window in enumerate(windows):
    stats, ps, check = [], [], []
    for f in range(features):
        r = ks_2samp(reference[:, f], window[:, f], method="asymp")
        stats.append(float(r.statistic))
        ps.append(float(r.pvalue))
        d, en = ours[w][f]
        check.append(float(kstwo.sf(d, en)))
    raw_statistic.append(stats)
    raw_p.append(ps)
    p_of_ours.append(check)
json.dump({"statistic": raw_statistic, "p": raw_p, "p_of_aimass": p_of_ours}, open(f"{directory}/scipy.json", "w"))
