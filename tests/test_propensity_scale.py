"""Propensity at scale: bounded stratified samples, batched scoring, and the engine route giving pandas' numbers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sikit
from sikit import _schema as S
from sikit._features import rfm
from sikit._propensity import RepurchaseModel, _window_frame, propensity_features, stratified_sample
from sikit._features import paid_orders

ibis = pytest.importorskip("ibis")

from sikit._features_ibis import WINDOW_COLUMNS, windows_ibis  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
AS_OF = "2026-07-31"
CUTOFFS = ["2025-09-30", "2026-02-28", "2026-05-02"]


@pytest.fixture(scope="module")
def data():
    return sikit.clean(contacts=ROOT / "data/sample/contacts.csv", orders=ROOT / "data/sample/orders.xlsx")


@pytest.fixture(scope="module")
def parquet(data, tmp_path_factory):
    path = tmp_path_factory.mktemp("orders") / "orders.parquet"
    data.orders.to_parquet(path)
    return str(path)


def _pandas_windows(orders, cutoffs, horizon, customers=None, label=False):
    days = [pd.Timestamp(c) for c in cutoffs]
    paid = paid_orders(orders, max(days) + pd.Timedelta(days=horizon) if label else max(days))
    if customers is not None:
        paid = paid[paid[S.CUSTOMER_ID].isin(customers)]
    return [_window_frame(paid, d, horizon, label=label) for d in days]


@pytest.mark.parametrize("label", [False, True])
@pytest.mark.parametrize("subset", [False, True])
def test_engine_windows_equal_pandas_windows(data, parquet, label, subset):
    ids = None
    if subset:
        buyers = rfm(data.orders, AS_OF).index
        ids = buyers[::3]
    got = windows_ibis(parquet, CUTOFFS, 30, customers=ids, label=label)
    expected = _pandas_windows(data.orders, CUTOFFS, 30, ids, label)
    for g, e in zip(got, expected, strict=True):
        assert len(e) > 100
        assert list(g.columns) == [*WINDOW_COLUMNS, *(["bought"] if label else [])]
        # Spend is summed exactly (whole millionths) on both routes: equal to the last bit.
        pd.testing.assert_frame_equal(g, e, check_exact=True)
        if subset:
            assert set(g.index) <= set(ids)
    if label:
        assert 0 < got[0]["bought"].mean() < 1


def test_money_sums_are_exact_and_do_not_depend_on_row_order():
    orders = pd.DataFrame({
        "customer_id": "a", "status": "paid",
        "order_time": pd.date_range("2026-01-01", periods=4, freq="D", tz=S.TIMEZONE),
        "net_amount": [1e8, 0.01, -1e8, 0.01],
    })
    forward = rfm(orders, "2026-01-31")
    backward = rfm(orders.iloc[::-1], "2026-01-31")
    # A float sum in this order gives 0.0200000007...; whole millionths give the cents.
    assert forward.loc["a", S.MONETARY] == 0.02
    assert backward.loc["a", S.MONETARY] == 0.02


def test_propensity_features_from_a_file_equal_those_from_a_frame(data, parquet):
    got = propensity_features(parquet, AS_OF, 90, data.contacts)
    expected = propensity_features(data.orders, AS_OF, 90, data.contacts)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert {"channel", "p_alive", "overdue_ratio"} <= set(got.columns)


def test_stratified_sample_keeps_each_cohort_in_proportion():
    rng = np.random.default_rng(3)
    months = pd.to_datetime(rng.choice(["2025-01-15", "2025-06-02", "2026-03-09", "2026-03-10"], 10_000,
                                       p=[0.6, 0.3, 0.05, 0.05]))
    first = pd.Series(months, index=pd.Index([f"c{i:05d}" for i in range(10_000)]))
    ids = stratified_sample(first, 1_000, random_state=0)
    assert len(ids) == 1_000 and ids.is_monotonic_increasing and ids.is_unique
    share = first[ids].dt.to_period("M").value_counts(normalize=True)
    whole = first.dt.to_period("M").value_counts(normalize=True)
    assert (share - whole).abs().max() <= 1 / 1_000  # each month's quota is its share, rounded
    assert stratified_sample(first, 1_000, random_state=0).equals(ids)  # deterministic
    assert not stratified_sample(first, 1_000, random_state=1).equals(ids)
    assert stratified_sample(first, 10_000) is None  # everyone fits: no sample


@pytest.fixture(scope="module")
def sampled(data):
    return RepurchaseModel(max_customers=1_500, batch_size=700).fit(data.orders, data.contacts, as_of=AS_OF)


def test_a_bounded_sample_trains_and_everyone_is_scored(data, sampled):
    assert sampled.n_customers_ > 1_500 and sampled.n_sampled_ == 1_500
    scores = sampled.score(data.orders, data.contacts)
    assert len(scores) == sampled.n_customers_  # batches of 700 cover every buyer once
    assert scores[S.CUSTOMER_ID].is_unique
    one_batch = RepurchaseModel(max_customers=1_500).fit(data.orders, data.contacts, as_of=AS_OF)
    pd.testing.assert_frame_equal(one_batch.score(data.orders, data.contacts), scores)
    full = RepurchaseModel().fit(data.orders, data.contacts, as_of=AS_OF)
    assert full.n_sampled_ == full.n_customers_
    # A fifth-sized sample still ranks: its backtest AUC is close to the full model's.
    assert abs(sampled.backtest_.loc[sampled.chosen_, "roc_auc"] - full.backtest_.loc[full.chosen_, "roc_auc"]) < 0.03


def test_the_engine_route_gives_the_same_model_and_scores(data, parquet, sampled):
    engine = RepurchaseModel(max_customers=1_500, batch_size=700).fit(parquet, data.contacts, as_of=AS_OF)
    pd.testing.assert_frame_equal(engine.backtest_, sampled.backtest_)
    assert engine.chosen_ == sampled.chosen_ and engine.cutoffs_ == sampled.cutoffs_
    pd.testing.assert_frame_equal(engine.score(parquet, data.contacts), sampled.score(data.orders, data.contacts))
    # Scoring again (nothing kept from fit any more) scans again and agrees.
    pd.testing.assert_series_equal(engine.predict_proba(parquet, data.contacts),
                                   sampled.predict_proba(data.orders, data.contacts))


def test_the_engine_route_sees_nothing_after_as_of(data, parquet, tmp_path, sampled):
    later = pd.Timestamp(AS_OF).tz_localize(S.TIMEZONE) + pd.Timedelta(days=1, minutes=5)
    some = data.orders.sample(400, random_state=0)
    late = some.assign(order_id=some[S.ORDER_ID] + "-late", order_time=later, net_amount=5_000.0, status=S.PAID)
    path = tmp_path / "more.parquet"
    pd.concat([data.orders, late]).to_parquet(path)
    engine = RepurchaseModel(max_customers=1_500, batch_size=700).fit(str(path), data.contacts, as_of=AS_OF)
    pd.testing.assert_frame_equal(engine.backtest_, sampled.backtest_)
    pd.testing.assert_series_equal(engine.predict_proba(str(path), data.contacts),
                                   sampled.predict_proba(data.orders, data.contacts))
