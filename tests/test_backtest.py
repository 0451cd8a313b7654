"""Backtest metrics: ranking, calibration, lift and gains judged the same way for every model."""

from __future__ import annotations

import re

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from sikit._backtest import expected_calibration_error, gains_table, reliability_curve, score_metrics
from sikit._errors import SikitInputError


def test_perfectly_calibrated_probabilities_have_small_ece():
    rng = np.random.default_rng(0)
    p = rng.uniform(size=200_000)
    y = (rng.uniform(size=p.size) < p).astype(int)
    assert expected_calibration_error(y, p) < 0.01
    # the same scores squeezed towards 0.5 are badly calibrated
    assert expected_calibration_error(y, 0.5 + (p - 0.5) * 0.2) > 0.15


def test_reliability_curve_counts_everyone_and_matches_bin_means():
    rng = np.random.default_rng(1)
    p = rng.uniform(size=1000)
    y = (rng.uniform(size=1000) < p).astype(int)
    curve = reliability_curve(y, p, n_bins=5)
    assert curve["customers"].sum() == 1000
    low = p < 0.2
    assert curve.loc[curve["bin"] == 0, "p_mean"].item() == pytest.approx(p[low].mean())
    assert curve.loc[curve["bin"] == 0, "y_rate"].item() == pytest.approx(y[low].mean())


def test_gains_table_finds_buyers_first_when_ranking_is_perfect():
    y = np.r_[np.ones(100), np.zeros(900)]
    p = np.r_[np.full(100, 0.9), np.full(900, 0.1)]
    g = gains_table(y, p)
    assert g["customers"].tolist() == [100] * 10
    assert g["buyers"].iloc[0] == 100 and g["buyers"].iloc[1:].sum() == 0
    assert g["lift"].iloc[0] == pytest.approx(10.0)
    assert g["cumulative_gain"].iloc[0] == pytest.approx(1.0)
    assert g["cumulative_gain"].is_monotonic_increasing


def test_score_metrics_agree_with_sklearn_and_handle_one_outcome():
    rng = np.random.default_rng(2)
    p = rng.uniform(size=500)
    y = (rng.uniform(size=500) < p).astype(int)
    m = score_metrics(y, p)
    assert m["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert m["brier"] == pytest.approx(np.mean((p - y) ** 2))
    assert m["base_rate"] == pytest.approx(y.mean()) and m["customers"] == 500
    only = score_metrics(np.ones(10), np.full(10, 0.7))
    assert np.isnan(only["roc_auc"]) and only["brier"] == pytest.approx(0.09)


@pytest.mark.parametrize("y, p, message", [
    ([0, 1], [0.5], "one length"),
    ([0, 2], [0.5, 0.5], "0 (did not buy) or 1"),
    ([0, 1], [0.5, 1.5], "probabilities"),
    ([], [], "no customers"),
])
def test_bad_input_is_named(y, p, message):
    with pytest.raises(SikitInputError, match=re.escape(message)):
        score_metrics(y, p)
