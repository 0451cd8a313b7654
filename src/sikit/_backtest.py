"""How good is a probability? Ranking, calibration, lift and gains on held-out customers.

Plain functions of ``y`` (did the customer buy again: 0/1) and ``p`` (the
predicted probability), shared by every model sikit compares so they are
judged the same way.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from ._errors import SikitInputError

__all__ = ["expected_calibration_error", "gains_table", "reliability_curve", "score_metrics"]


def _check(y, p) -> tuple[np.ndarray, np.ndarray]:
    y, p = np.asarray(y, dtype=np.float64), np.asarray(p, dtype=np.float64)
    if y.shape != p.shape or y.ndim != 1:
        raise SikitInputError(f"y and p must be 1-d and of one length, got shapes {y.shape} and {p.shape}")
    if len(y) == 0:
        raise SikitInputError("no customers to evaluate")
    if not np.isin(y, (0.0, 1.0)).all():
        raise SikitInputError("y must hold 0 (did not buy) or 1 (bought)")
    if not (np.isfinite(p).all() and (p >= 0).all() and (p <= 1).all()):
        raise SikitInputError("p must hold probabilities in [0, 1]")
    return y, p


def reliability_curve(y, p, n_bins: int = 10) -> pd.DataFrame:
    """Mean predicted probability against the observed rate, in equal-width bins of ``p``.

    Empty bins are left out.

    Examples
    --------
    >>> reliability_curve([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9], n_bins=2)
       bin  p_mean  y_rate  customers
    0    0    0.15     0.0          2
    1    1    0.85     1.0          2
    """
    y, p = _check(y, p)
    bins = np.minimum((p * n_bins).astype(np.int64), n_bins - 1)
    frame = pd.DataFrame({"bin": bins, "p": p, "y": y})
    out = frame.groupby("bin").agg(p_mean=("p", "mean"), y_rate=("y", "mean"), customers=("y", "size"))
    return out.reset_index()


def expected_calibration_error(y, p, n_bins: int = 10) -> float:
    """Customer-weighted mean gap between predicted and observed rates over equal-width bins.

    Examples
    --------
    >>> round(expected_calibration_error([0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5]), 6)
    0.0
    >>> round(expected_calibration_error([1, 1, 1, 1], [0.5, 0.5, 0.5, 0.5]), 6)
    0.5
    """
    curve = reliability_curve(y, p, n_bins)
    w = curve["customers"] / curve["customers"].sum()
    return float((w * (curve["p_mean"] - curve["y_rate"]).abs()).sum())


def gains_table(y, p, n_groups: int = 10) -> pd.DataFrame:
    """Customers ranked by ``p`` (highest first) cut into equal groups: rate, lift, cumulative gains.

    Ties in ``p`` keep the input order (a stable sort), so the table is
    deterministic. ``lift`` is the group's buy rate over the overall rate;
    ``cumulative_gain`` the share of all buyers found in this group and the
    ones above it.

    Examples
    --------
    >>> gains_table([1, 0, 1, 0], [0.9, 0.1, 0.8, 0.2], n_groups=2)
       group  customers  buyers  rate  lift  cumulative_gain
    0      1          2       2   1.0   2.0              1.0
    1      2          2       0   0.0   0.0              1.0
    """
    y, p = _check(y, p)
    order = np.argsort(-p, kind="stable")
    group = np.arange(len(y)) * n_groups // len(y) + 1
    frame = pd.DataFrame({"group": group, "y": y[order]})
    out = frame.groupby("group").agg(customers=("y", "size"), buyers=("y", "sum")).reset_index()
    out["buyers"] = out["buyers"].astype(np.int64)
    base = y.mean()
    out["rate"] = out["buyers"] / out["customers"]
    out["lift"] = out["rate"] / base if base > 0 else np.nan
    total = out["buyers"].sum()
    out["cumulative_gain"] = out["buyers"].cumsum() / total if total > 0 else np.nan
    return out


def score_metrics(y, p, n_bins: int = 10) -> dict[str, float]:
    """ROC AUC, PR AUC (average precision), Brier score, ECE, top-decile lift, base rate, customers.

    AUCs are NaN when only one outcome occurs (nothing to rank).

    Examples
    --------
    >>> m = score_metrics([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> m["roc_auc"], m["customers"]
    (0.75, 4)
    """
    y, p = _check(y, p)
    both = 0 < y.sum() < len(y)
    return {
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "pr_auc": float(average_precision_score(y, p)) if both else float("nan"),
        "brier": float(brier_score_loss(y, p)),
        "ece": expected_calibration_error(y, p, n_bins),
        "top_decile_lift": float(gains_table(y, p)["lift"].iloc[0]),
        "base_rate": float(y.mean()),
        "customers": int(len(y)),
    }
