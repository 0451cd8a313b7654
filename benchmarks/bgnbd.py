"""BG/NBD timings on the CDNOW master (23,570 customers) and on 1,000,000 synthetic rows.

    .venv/bin/python benchmarks/bgnbd.py

Prints a Markdown table: median wall-clock seconds of ``--repeat`` runs
(default 5) of each step, in this process (data already in memory).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import numpy as np
import pandas as pd

from sikit._bgnbd import BetaGeoModel
from sikit._features import btyd_summary
from sikit.datasets import CDNOW_CALIBRATION_END, load_cdnow


def median_seconds(step, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = step()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def synthetic_summary(n: int, seed: int = 0) -> pd.DataFrame:
    """n customers with CDNOW-like weekly histories: continuous T and recency, so no two rows alike."""
    rng = np.random.default_rng(seed)
    T = rng.uniform(1, 52, n)
    x = rng.poisson(rng.gamma(0.25, 4, n))
    return pd.DataFrame({"frequency": x, "recency": np.where(x > 0, T * rng.uniform(0, 1, n), 0.0), "T": T})


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="runs per step (median reported)")
    args = parser.parse_args(argv)
    n = args.repeat
    rows = []

    seconds, orders = median_seconds(lambda: load_cdnow("master"), n)
    rows.append(("load_cdnow('master'): 69,659 purchase records", seconds))
    seconds, summary = median_seconds(lambda: btyd_summary(orders, CDNOW_CALIBRATION_END, unit="W"), n)
    distinct = len(summary[["frequency", "recency", "T"]].drop_duplicates())
    rows.append((f"btyd_summary, weeks: {len(summary):,} customers ({distinct:,} distinct rows)", seconds))
    seconds, model = median_seconds(lambda: BetaGeoModel().fit(summary), n)
    p = model.params_
    rows.append((f"BetaGeoModel().fit on that summary: r={p['r']:.4f}, α={p['alpha']:.4f}, "
                 f"a={p['a']:.4f}, b={p['b']:.4f}, LL={model.log_likelihood_:.2f}", seconds))

    big = synthetic_summary(1_000_000)
    for name, call in (("p_alive", lambda: model.p_alive(big)),
                       ("p_any_purchase(39)", lambda: model.p_any_purchase(39, big)),
                       ("expected_purchases(39)", lambda: model.expected_purchases(39, big))):
        seconds, _ = median_seconds(call, n)
        rows.append((f"{name} on 1,000,000 synthetic rows", seconds))

    print(f"| step (median of {n}) | seconds |")
    print("| --- | ---: |")
    for label, seconds in rows:
        print(f"| {label} | {seconds:.3f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
