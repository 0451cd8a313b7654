"""sikit.Layering: the scikit-learn contract, value order, names, stability, scale."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.pipeline import Pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

import sikit._layers as layers_module
from sikit._layers import LAYER_NAMES, Layering, LayeringStabilityWarning

# Layers are numbered from 1 (layer 1 = most valuable), as managers count them;
# sklearn's generic clustering check wants labels from 0, so it is replaced by
# test_clustering_contract below, which checks the rest of what it checks.
EXPECTED_FAILURES = {"check_clustering": "layers are numbered from 1, not 0 (see test_clustering_contract)"}


@parametrize_with_checks([Layering(n_bootstrap=2, n_init=2)],
                         expected_failed_checks=lambda est: EXPECTED_FAILURES)
def test_sklearn_estimator_contract(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LayeringStabilityWarning)
        check(estimator)


def _rfm_like(n_per_group=300, seed=0):
    """Three known groups of customers: loyal big spenders, recent one-timers, dormant low value."""
    rng = np.random.default_rng(seed)
    n = n_per_group
    return pd.DataFrame({
        "recency_days": np.r_[rng.integers(0, 20, n), rng.integers(0, 20, n), rng.integers(400, 700, n)],
        "frequency": np.r_[rng.integers(8, 15, n), np.ones(n, int), rng.integers(1, 3, n)],
        "monetary": np.r_[rng.uniform(3000, 6000, n), rng.uniform(80, 200, n), rng.uniform(50, 150, n)],
    }, index=pd.Index([f"c{i:05d}" for i in range(3 * n)], name="customer_id")), np.repeat([0, 1, 2], n)


def test_clustering_contract():
    X, y = make_blobs(n_samples=300, centers=3, random_state=1)
    layering = Layering(n_layers=3, n_bootstrap=0)
    labels = layering.fit_predict(X)
    assert adjusted_rand_score(y, labels) > 0.9
    assert labels.dtype == np.int64
    np.testing.assert_array_equal(np.unique(labels), [1, 2, 3])
    np.testing.assert_array_equal(labels, layering.labels_)
    np.testing.assert_array_equal(labels, layering.fit(X).predict(X))


def test_layers_found_ordered_by_value_and_named_from_profile():
    X, truth = _rfm_like()
    layering = Layering(n_layers=3).fit(X)
    assert adjusted_rand_score(truth, layering.labels_) > 0.95
    # loyal big spenders are layer 1, dormant low value last
    first = pd.Series(layering.labels_).groupby(truth).agg(lambda s: s.mode()[0])
    assert first.tolist() == [1, 2, 3]
    assert layering.names_.loc[1].tolist() == list(LAYER_NAMES[(True, True, True)])
    assert layering.names_.loc[3].tolist() == list(LAYER_NAMES[(False, False, False)])
    assert layering.names_.loc[2, "layer_name_en"] == LAYER_NAMES[(True, False, False)][1]


def test_same_data_same_numbers_and_names_every_run():
    X, _ = _rfm_like(seed=3)
    a = Layering(n_layers="auto").fit(X)
    b = Layering(n_layers="auto").fit(X)
    np.testing.assert_array_equal(a.labels_, b.labels_)
    pd.testing.assert_frame_equal(a.profile_, b.profile_)
    assert a.n_layers_reason_ == b.n_layers_reason_


def test_profile_accounts_for_every_customer_and_all_spend():
    X, _ = _rfm_like(seed=4)
    p = Layering(n_layers=4, n_bootstrap=0).fit(X).profile_
    assert p["customers"].sum() == len(X)
    assert p["customer_share"].sum() == pytest.approx(1.0)
    assert p["spend_share"].sum() == pytest.approx(1.0)
    assert list(p.index) == [1, 2, 3, 4]
    for layer, row in p.iterrows():
        assert row["monetary_mean"] == pytest.approx(X["monetary"][Layering(n_layers=4, n_bootstrap=0)
                                                                    .fit_predict(X) == layer].mean())
    assert p["layer_name_zh"].is_unique and p["layer_name_en"].is_unique
    assert all(p["description_zh"].str.contains("人")) and all(p["description_en"].str.contains("customers"))


def test_names_stay_unique_when_many_layers_share_a_profile():
    X, _ = _rfm_like(seed=5)
    names = Layering(n_layers=8, n_bootstrap=0).fit(X).names_
    assert names["layer_name_zh"].is_unique and names["layer_name_en"].is_unique


def test_auto_picks_k_by_silhouette_on_a_bounded_sample_and_says_why(monkeypatch):
    seen = []
    real = layers_module.silhouette_score

    def recording(X, labels, **kw):
        seen.append(min(len(X), kw.get("sample_size") or len(X)))
        return real(X, labels, **kw)

    monkeypatch.setattr(layers_module, "silhouette_score", recording)
    X, _ = _rfm_like(n_per_group=4000, seed=6)  # 12,000 customers
    layering = Layering(sample_size=3000, n_bootstrap=0).fit(X)
    assert seen and max(seen) <= 3000
    sel = layering.selection_
    assert sel["k"].tolist() == [3, 4, 5, 6, 7, 8]
    assert layering.n_layers_ == int(sel.loc[sel["silhouette"].idxmax(), "k"])
    assert f"k={layering.n_layers_}" in layering.n_layers_reason_["en"]
    assert f"k={layering.n_layers_}" in layering.n_layers_reason_["zh"]


def test_fit_uses_a_bounded_sample_and_predicts_everyone_in_chunks():
    X, _ = _rfm_like(n_per_group=2000, seed=7)
    layering = Layering(n_layers=3, max_fit_samples=1000, chunk_size=777, n_bootstrap=0).fit(X)
    assert layering.kmeans_.n_features_in_ == 3
    assert len(layering.labels_) == len(X)
    # chunking changes nothing: compare with one chunk
    whole = Layering(n_layers=3, max_fit_samples=1000, chunk_size=10**9, n_bootstrap=0).fit(X)
    np.testing.assert_array_equal(layering.predict(X), whole.predict(X))


def test_unstable_layering_warns():
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.uniform(size=(400, 3)), columns=["recency_days", "frequency", "monetary"])
    with pytest.warns(LayeringStabilityWarning, match="unstable"):
        layering = Layering(n_layers=8, n_init=1, n_bootstrap=5, min_stability=0.99).fit(noise)
    assert layering.stability_ < 0.99
    assert len(layering.stability_scores_) == 5


def test_stable_layering_is_quiet():
    X, _ = _rfm_like(seed=8)
    with warnings.catch_warnings():
        warnings.simplefilter("error", LayeringStabilityWarning)
        layering = Layering(n_layers=3).fit(X)
    assert layering.stability_ > 0.95


def test_pipeline_with_pandas_output_and_assign():
    X, _ = _rfm_like(seed=9)
    X = X.assign(extra=1.0)  # extra columns are ignored: the RFM columns are picked
    pipe = Pipeline([("layers", Layering(n_layers=3, n_bootstrap=0))]).set_output(transform="pandas")
    distances = pipe.fit(X).transform(X)
    assert list(distances.columns) == ["layer_1_distance", "layer_2_distance", "layer_3_distance"]
    assert distances.index.equals(X.index)
    np.testing.assert_array_equal(distances.to_numpy().argmin(axis=1) + 1, pipe.predict(X))
    assigned = pipe.named_steps["layers"].assign(X)
    assert assigned.index.equals(X.index)
    assert list(assigned.columns) == ["layer", "layer_name_zh", "layer_name_en"]


def test_log_transform_auto_picks_skewed_nonnegative_features():
    X, _ = _rfm_like(seed=10)
    layering = Layering(n_layers=3, n_bootstrap=0).fit(X)
    skew = X.skew()
    expected = ((X >= 0).all() & (skew > 1)).to_numpy()
    # pandas' skew is bias-corrected; the decision is the same for these data
    np.testing.assert_array_equal(layering.log_features_, expected)
    assert not Layering(n_layers=3, log_transform=False, n_bootstrap=0).fit(X).log_features_.any()


@pytest.mark.parametrize("bad", [{"n_layers": 0}, {"n_layers": "many"}, {"k_range": (1, 4)},
                                 {"log_transform": "yes"}, {"n_bootstrap": -1}])
def test_bad_parameters_raise_in_fit(bad):
    X, _ = _rfm_like(n_per_group=20)
    with pytest.raises(ValueError):
        Layering(**bad).fit(X)


def test_missing_named_feature_is_named():
    X, _ = _rfm_like(n_per_group=20)
    with pytest.raises(ValueError, match="monetary"):
        Layering(features=["recency_days", "monetary"]).fit(X.drop(columns="monetary"))
