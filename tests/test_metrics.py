"""The metric registry (sikit.metrics): hand-computed values, point in time, splits, cohorts.

Expected values are worked out by hand in the comments next to them.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sikit
from sikit import _schema as S
from sikit import metrics
from sikit._errors import SikitInputError
from sikit.metrics import (REGISTRY, cohort_retention, compute, describe, referral_tree, referred_vs_other,
                           top_referrers)

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TZ = S.TIMEZONE
JAN = {"start": "2026-01-01", "end": "2026-01-31"}

COSTS = [
    # (channel, month, spend): the clean channel cost table
    ("门店活码", "2026-01", 300.0),
    ("门店活码", "2026-01", 100.0),        # two rows of one channel and month add up: 400
    ("包裹卡", "2026-01", 150.0),
    ("朋友圈/老带新", "2026-01", 60.0),     # referral rewards paid
    ("抖音直播", "2026-01", 1000.0),        # spend, but no contact from this channel
    ("朋友圈/老带新", "2026-02", 30.0),
    ("门店活码", "2025-12", 999.0),         # before January
]                                           # 公众号: no row at all -> unknown, not zero


def _costs(rows):
    return pd.DataFrame({
        S.CHANNEL: pd.Series([r[0] for r in rows], dtype="str"),
        S.MONTH: pd.Series([r[1] for r in rows], dtype="str"),
        S.SPEND: pd.Series([r[2] for r in rows], dtype="float64"),
    })


def _orders(rows, tz=TZ):
    """Orders from (customer_id, local wall time, net_amount, status, store) tuples."""
    times = pd.Series(pd.to_datetime([r[1] for r in rows]), dtype="datetime64[us]")
    times = times.dt.tz_localize(TZ).dt.tz_convert(tz)
    return pd.DataFrame({
        S.CUSTOMER_ID: pd.Series([r[0] for r in rows], dtype="str"),
        S.ORDER_TIME: times,
        S.NET_AMOUNT: pd.Series([r[2] for r in rows], dtype="float64"),
        S.STATUS: pd.Series([r[3] for r in rows], dtype="str"),
        S.STORE: pd.Series([r[4] for r in rows], dtype="str"),
    })


ROWS = [
    ("a", "2026-01-05 10:00", 100.0, S.PAID, "x"),
    ("a", "2026-01-05 18:00", 50.0, S.PAID, "y"),       # same local day as the order above
    ("a", "2026-01-20 12:00", 30.0, S.PAID, "x"),
    ("b", "2026-01-10 09:00", 80.0, S.PAID, "y"),
    ("b", "2026-01-12 09:00", 0.0, S.REFUNDED, "x"),    # not a purchase
    ("e", "2026-01-15 09:00", 60.0, S.CANCELLED, "y"),  # not a purchase, e is no buyer
    ("c", "2026-01-31 23:30", 40.0, S.PAID, "x"),       # last half hour of the period (15:30 UTC)
    ("f", "2026-01-08 10:00", 20.0, S.PAID, "x"),
    ("f", "2026-01-08 11:00", 20.0, S.PAID, "x"),       # f: two orders on one day
    ("d", "2025-12-31 23:59", 70.0, S.PAID, "x"),       # before the period
    # the next month (February)
    ("c", "2026-02-01 00:10", 999.0, S.PAID, "x"),      # still Jan 31 in UTC, February locally
    ("d", "2026-02-10 12:00", 20.0, S.PAID, "x"),
    ("b", "2026-02-20 12:00", 10.0, S.PAID, "y"),
    ("a", "2026-03-01 12:00", 5.0, S.PAID, "x"),        # after February
]
# In January (paid): a 100, 50, 30 (two purchase days); b 80; c 40; f 20, 20 (one day).
# GMV 340, 7 orders, buyers a, b, c, f = 4.


@pytest.fixture
def orders():
    return _orders(ROWS)


@pytest.fixture
def contacts():
    added = pd.Series(pd.to_datetime(["2025-12-01", "2025-12-01", "2026-02-05", "2025-11-01"]),
                      dtype="datetime64[us]").dt.tz_localize(TZ)
    return pd.DataFrame({
        S.CUSTOMER_ID: pd.Series(["a", "b", "c", "d"], dtype="str"),
        S.ADDED_AT: added,                 # c was added after January
        S.CHANNEL: pd.Series(["门店活码", "包裹卡", "门店活码", "包裹卡"], dtype="str"),
        S.STAFF: pd.Series(["王", "李", "王", "李"], dtype="str"),
        S.REFERRER_ID: pd.Series([None, "a", None, None], dtype="str"),   # a referred b
    })                                     # f has no contact


def _value(metric_id, orders, **kwargs):
    return compute(metric_id, orders, **JAN, **kwargs)["value"].iloc[0]


# --- 1. every metric by hand ---------------------------------------------------------------

def test_gmv_orders_buyers(orders):
    assert _value("gmv", orders) == 340.0        # 100 + 50 + 30 + 80 + 40 + 20 + 20
    assert _value("orders", orders) == 7         # the refunded and cancelled orders do not count
    assert _value("buyers", orders) == 4         # a, b, c, f


def test_active_customers(orders, contacts):
    # the 30 days ending on Jan 31 are Jan 2..31: paid orders of a, b, c, f -> 4 (d's Dec 31 is outside)
    assert _value("active_customers", orders) == 4
    # 20 days, Jan 12..31: a (Jan 20), c (Jan 31 23:30) -> 2; b's Jan 12 order was refunded, f's was Jan 8
    assert _value("active_customers", orders, window_days=20) == 2
    # a stock at the end: the period start does not matter
    out = compute("active_customers", orders, start="2026-01-31", end="2026-01-31")
    assert out["value"].iloc[0] == 4 and out["end"].iloc[0] == pd.Timestamp("2026-01-31")
    # by month, each month's 30 days up to its end: January 4; Feb 28 -> Jan 30..Feb 28: c (Jan 31 and
    # Feb 1), d (Feb 10), b (Feb 20) -> 3; a's March order is after the end
    months = compute("active_customers", orders, start="2026-01-01", end="2026-02-28", by="month")
    assert list(months["value"]) == [4, 3]
    with pytest.raises(SikitInputError, match="window_days must be a whole number of days >= 1, got 0"):
        compute("active_customers", orders, **JAN, window_days=0)


def test_active_customers_by_channel_and_store(orders, contacts):
    # the channel of the contact known at Jan 31: 门店活码 a; 包裹卡 b; NA c (added in February), f (no contact)
    by_channel = compute("active_customers", orders, contacts, **JAN, by="channel")["value"]
    assert by_channel.iloc[:2].to_dict() == {"包裹卡": 1, "门店活码": 1}
    assert pd.isna(by_channel.index[2]) and by_channel.iloc[2] == 2
    assert by_channel.sum() == 4
    # a period of one week still lists every channel active in the 30-day window (the week has only c)
    week = compute("active_customers", orders, contacts, start="2026-01-25", end="2026-01-31", by="channel")
    pd.testing.assert_series_equal(week["value"], by_channel)
    # store x a, c, f; store y a (Jan 5 18:00), b
    assert compute("active_customers", orders, **JAN, by="store")["value"].to_dict() == {"x": 3, "y": 2}


def test_active_customers_are_point_in_time(orders):
    # a paid order just after the end (Feb 1 00:05 local, still Jan 31 in UTC) changes nothing
    later = pd.concat([orders, _orders([("z", "2026-02-01 00:05", 10.0, S.PAID, "x")])], ignore_index=True)
    assert _value("active_customers", later) == 4
    # one on the last day of the window counts
    inside = pd.concat([orders, _orders([("z", "2026-01-31 23:59", 10.0, S.PAID, "x")])], ignore_index=True)
    assert _value("active_customers", inside) == 5


def test_aov_and_arpu(orders):
    out = compute("aov", orders, **JAN)
    assert out["value"].iloc[0] == pytest.approx(340 / 7)   # GMV / paid orders
    assert (out["numerator"].iloc[0], out["denominator"].iloc[0]) == (340.0, 7)
    assert _value("arpu", orders) == 85.0        # 340 / 4 buyers


def test_purchase_frequency(orders):
    assert _value("purchase_frequency", orders) == pytest.approx(7 / 4)  # default: orders / buyers
    # merged: a 2 days, b 1, c 1, f 1 -> 5 purchases / 4 buyers
    assert _value("purchase_frequency", orders, merge_same_day=True) == pytest.approx(5 / 4)


def test_repurchase_rate(orders):
    # default merges same-day orders: only a bought on 2+ days -> 1 / 4
    out = compute("repurchase_rate", orders, **JAN)
    assert out["value"].iloc[0] == 0.25
    assert (out["numerator"].iloc[0], out["denominator"].iloc[0]) == (1, 4)
    # counting orders, f's two same-day orders make f a repeat buyer too -> 2 / 4
    assert _value("repurchase_rate", orders, merge_same_day=False) == 0.5


def test_return_rate(orders):
    # January buyers a, b, c, f; in February (the next whole month) b and c buy again -> 2 / 4.
    # a's March order is after the next period and does not count.
    out = compute("return_rate", orders, **JAN, as_of="2026-02-28")
    assert out["value"].iloc[0] == 0.5
    assert (out["numerator"].iloc[0], out["denominator"].iloc[0]) == (2, 4)
    # a 7-day period: Jan 5-11 buyers a, f, b; next 7 days Jan 12-18: nobody -> 0 / 3
    week = compute("return_rate", orders, start="2026-01-05", end="2026-01-11", as_of="2026-01-18")
    assert week["value"].iloc[0] == 0.0 and week["denominator"].iloc[0] == 3


def test_return_rate_needs_the_next_period_to_have_passed(orders):
    with pytest.raises(SikitInputError, match="2026-02-01..2026-02-28.*as_of is 2026-02-27"):
        compute("return_rate", orders, **JAN, as_of="2026-02-27")
    with pytest.raises(SikitInputError, match="give as_of"):
        compute("return_rate", orders, **JAN)


def test_return_rate_depends_on_the_next_period_only(orders):
    # orders after the next period change nothing; orders in it do
    base = _value("return_rate", orders, as_of="2026-02-28")
    later = pd.concat([orders, _orders([("a", "2026-03-02 12:00", 9.0, S.PAID, "x")])], ignore_index=True)
    assert _value("return_rate", later, as_of="2026-03-31") == base
    inside = pd.concat([orders, _orders([("f", "2026-02-28 23:00", 9.0, S.PAID, "x")])], ignore_index=True)
    assert _value("return_rate", inside, as_of="2026-02-28") == 0.75   # b, c, f of 4


def test_empty_period_gives_zero_counts_and_nan_ratios(orders):
    period = {"start": "2025-06-01", "end": "2025-06-30"}
    assert compute("gmv", orders, **period)["value"].iloc[0] == 0.0
    assert compute("buyers", orders, **period)["value"].iloc[0] == 0
    assert np.isnan(compute("repurchase_rate", orders, **period)["value"].iloc[0])


# --- 2. point in time ------------------------------------------------------------------------

def test_orders_after_end_change_nothing(orders, contacts):
    # every metric but return_rate, on January, with and without the later orders
    local_day = orders[S.ORDER_TIME].dt.tz_convert(TZ).dt.tz_localize(None).dt.normalize()
    upto_end = orders[local_day <= pd.Timestamp("2026-01-31")]
    assert len(upto_end) == len(orders) - 4
    for metric_id, m in REGISTRY.items():
        if metric_id == "return_rate":
            continue
        extra = {"costs": _costs(COSTS)} if "costs" in m.params else {}
        extra.update(_group_tables(m))
        if "deletions" in m.params:
            extra["deletions"] = _deletions([("b", "2026-01-10 10:00", "customer")])
        for by in (None, "store", "channel", "month"):
            if by is not None and by not in m.by:
                continue
            pd.testing.assert_frame_equal(
                compute(metric_id, orders, contacts, **JAN, by=by, **extra),
                compute(metric_id, upto_end, contacts, **JAN, by=by, **extra))


def test_same_instants_in_utc_give_the_same_values(orders):
    utc = _orders(ROWS, tz="UTC")
    for metric_id in ("gmv", "orders", "repurchase_rate"):
        pd.testing.assert_frame_equal(compute(metric_id, utc, **JAN), compute(metric_id, orders, **JAN))


# --- 3. by= ------------------------------------------------------------------------------

def test_by_store(orders):
    gmv = compute("gmv", orders, **JAN, by="store")
    # x: 100 + 30 + 40 + 20 + 20 = 210; y: 50 + 80 = 130
    assert gmv["value"].to_dict() == {"x": 210.0, "y": 130.0}
    assert gmv["value"].sum() == _value("gmv", orders)
    assert compute("orders", orders, **JAN, by="store")["value"].sum() == _value("orders", orders)
    # buyers per store: x a, c, f = 3; y a, b = 2 -- a bought in both, so they add up to more than 4
    assert compute("buyers", orders, **JAN, by="store")["value"].to_dict() == {"x": 3, "y": 2}


def test_by_channel_uses_the_contact_known_at_end(orders, contacts):
    gmv = compute("gmv", orders, contacts, **JAN, by="channel")
    # 门店活码 a: 180; 包裹卡 b: 80; NA: c (added in February) 40 + f (no contact) 40 = 80
    assert list(gmv.index[:2]) == ["包裹卡", "门店活码"] and pd.isna(gmv.index[2])
    assert list(gmv["value"]) == [80.0, 180.0, 80.0]
    assert gmv["value"].sum() == _value("gmv", orders)
    # ratios recombine from their parts: repurchase 包裹卡 0/1, 门店活码 1/1, NA 0/2 -> 1/4
    rr = compute("repurchase_rate", orders, contacts, **JAN, by="channel")
    assert list(rr["numerator"]) == [0, 1, 0] and list(rr["denominator"]) == [1, 1, 2]
    assert rr["numerator"].sum() / rr["denominator"].sum() == _value("repurchase_rate", orders)
    staff = compute("buyers", orders, contacts, **JAN, by="staff")
    assert staff["value"].sum() == 4   # 李 b, 王 a, NA c and f


def test_by_month(orders):
    out = compute("gmv", orders, start="2026-01-15", end="2026-02-28", by="month")
    assert [str(m) for m in out.index] == ["2026-01", "2026-02"]
    # January from the 15th: a 30 + c 40 = 70; February: 999 + 20 + 10 = 1029
    assert list(out["value"]) == [70.0, 1029.0]
    assert out["start"].iloc[0] == pd.Timestamp("2026-01-15")   # first month clipped to the period
    assert out["value"].sum() == compute("gmv", orders, start="2026-01-15", end="2026-02-28")["value"].iloc[0]


def test_by_errors(orders, contacts):
    with pytest.raises(SikitInputError, match="allowed: channel, staff, store, month"):
        compute("gmv", orders, **JAN, by="city")
    with pytest.raises(SikitInputError, match="contacts"):
        compute("gmv", orders, **JAN, by="channel")
    with pytest.raises(SikitInputError, match="lack required column.*store"):
        compute("gmv", orders.drop(columns=S.STORE), **JAN, by="store")


# --- 4. cohorts --------------------------------------------------------------------------

@pytest.fixture
def cohort_orders():
    return _orders([
        ("p", "2026-01-10 12:00", 10.0, S.PAID, "x"),
        ("p", "2026-02-15 12:00", 10.0, S.PAID, "x"),
        ("p", "2026-04-01 12:00", 10.0, S.PAID, "x"),   # April: not over on 04-15
        ("q", "2026-01-25 12:00", 10.0, S.PAID, "x"),
        ("q", "2026-03-05 12:00", 10.0, S.PAID, "x"),
        ("w", "2026-01-03 12:00", 10.0, S.PAID, "x"),
        ("r", "2026-02-02 12:00", 10.0, S.PAID, "x"),
        ("s", "2026-03-10 12:00", 10.0, S.PAID, "x"),
        ("t", "2026-04-10 12:00", 10.0, S.PAID, "x"),   # April cohort: not formed yet on 04-15
        ("u", "2026-01-05 12:00", 0.0, S.REFUNDED, "x"),  # no purchase, no cohort
    ])


def test_cohort_retention_by_hand(cohort_orders):
    share = cohort_retention(cohort_orders, as_of="2026-04-15", max_periods=3)
    # Jan cohort p, q, w (3): Feb p -> 1/3, Mar q -> 1/3, Apr not over -> NA
    # Feb cohort r (1): Mar nobody -> 0 (observed), Apr NA; Mar cohort s (1): Apr NA
    nan = np.nan
    expected = pd.DataFrame(
        [[1.0, 1 / 3, 1 / 3, nan], [1.0, 0.0, nan, nan], [1.0, nan, nan, nan]],
        index=pd.PeriodIndex(["2026-01", "2026-02", "2026-03"], freq="M", name="cohort"),
        columns=pd.RangeIndex(4))
    pd.testing.assert_frame_equal(share, expected)
    assert share.loc[pd.Period("2026-02", "M"), 1] == 0.0          # a real zero stays zero
    assert pd.isna(share.loc[pd.Period("2026-01", "M"), 3])           # not yet observable: NA, not 0
    counts = cohort_retention(cohort_orders, as_of="2026-04-15", max_periods=3, values="count")
    assert counts[0].tolist() == [3, 1, 1]                           # cohort sizes
    assert counts.iloc[0].tolist()[:3] == [3, 1, 1] and pd.isna(counts.iloc[0, 3])
    # the end of March is enough to observe March, and the April orders never matter before April ends
    pd.testing.assert_frame_equal(cohort_retention(cohort_orders, as_of="2026-03-31", max_periods=3), share)


def test_cohort_retention_after_the_month_ends(cohort_orders):
    share = cohort_retention(cohort_orders, as_of="2026-04-30", max_periods=3)
    # April has ended: Jan cohort month 3 p -> 1/3; the April cohort t appears with month 0 only
    assert share.iloc[0, 3] == pytest.approx(1 / 3)
    assert str(share.index[-1]) == "2026-04" and share.iloc[-1, 0] == 1.0 and share.iloc[-1, 1:].isna().all()


def test_cohort_retention_errors(cohort_orders):
    with pytest.raises(SikitInputError, match="freq"):
        cohort_retention(cohort_orders, as_of="2026-04-30", freq="W")
    with pytest.raises(SikitInputError, match="values"):
        cohort_retention(cohort_orders, as_of="2026-04-30", values="pct")
    with pytest.raises(SikitInputError, match="as_of must be a day"):
        cohort_retention(cohort_orders, as_of="2026-04-30 10:00")


# --- 5. registry, validation, no mutation ---------------------------------------------------

def test_describe_lists_every_metric():
    for lang in ("zh", "en"):
        d = describe(lang)
        assert list(d["id"]) == list(REGISTRY)
        assert (d["name"].str.len() > 0).all() and (d["definition"].str.len() > 0).all()
    for m in REGISTRY.values():
        assert m.name_zh and m.name_en and m.definition_zh and m.definition_en
        assert m.grain in ("order", "customer")
    assert describe("zh").set_index("id").loc["repurchase_rate", "name"] == "复购率"
    assert describe("zh").set_index("id").loc["return_rate", "name"] == "回购率"
    with pytest.raises(SikitInputError):
        describe("fr")


def test_public_namespace():
    assert set(metrics.__all__) == {"describe", "compute", "REGISTRY", "Metric", "cohort_retention", "acquisition",
                                    "referral_tree", "top_referrers", "referred_vs_other", "loop_report",
                                    "group_lifecycle", "LIFECYCLE_RULE"}
    assert all(hasattr(metrics, name) for name in metrics.__all__)


def test_input_errors(orders):
    with pytest.raises(SikitInputError, match="lack required column.*net_amount"):
        compute("gmv", orders.drop(columns=S.NET_AMOUNT), **JAN)
    with pytest.raises(SikitInputError, match="lack required column.*status"):
        cohort_retention(orders.drop(columns=S.STATUS), as_of="2026-03-31")
    with pytest.raises(SikitInputError, match="unknown metric 'ltv'"):
        compute("ltv", orders, **JAN)
    with pytest.raises(SikitInputError, match="no parameter.*window.*allowed: merge_same_day"):
        compute("repurchase_rate", orders, **JAN, window=30)
    with pytest.raises(SikitInputError, match="before start"):
        compute("gmv", orders, start="2026-01-31", end="2026-01-01")
    with pytest.raises(SikitInputError, match="start must be a day"):
        compute("gmv", orders, start="yesterday", end="2026-01-01")


def test_inputs_not_mutated(orders, contacts):
    costs = _costs(COSTS)
    members, activity = _members(MEMBERS), _activity(ACTIVITY)
    o, c, k = copy.deepcopy(orders), copy.deepcopy(contacts), copy.deepcopy(costs)
    gm, ga = copy.deepcopy(members), copy.deepcopy(activity)
    gone = _deletions(DELETIONS)
    gd = copy.deepcopy(gone)
    for metric_id, m in REGISTRY.items():
        extra = {"as_of": "2026-03-31"} if "as_of" in m.params else {}
        if "costs" in m.params:
            extra["costs"] = costs
        if "deletions" in m.params:
            extra["deletions"] = gone
        extra.update(_group_tables(m, members, activity))
        for by in (None, "channel", "store", "month", "group", "deleted_by"):
            if by is not None and by not in m.by:
                continue
            compute(metric_id, orders, contacts, **JAN, by=by, **extra)
    cohort_retention(orders, as_of="2026-03-31")
    referral_tree(contacts)
    top_referrers(contacts, "2025-01-01", "2026-03-31")
    referred_vs_other(orders, contacts, as_of="2026-03-31")
    pd.testing.assert_frame_equal(orders, o)
    pd.testing.assert_frame_equal(contacts, c)
    pd.testing.assert_frame_equal(costs, k)
    pd.testing.assert_frame_equal(gone, gd)
    metrics.group_lifecycle(members, activity, as_of="2026-03-31")
    pd.testing.assert_frame_equal(members, gm)
    pd.testing.assert_frame_equal(activity, ga)


# --- 6. the sample -------------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return sikit.clean(contacts=SAMPLE / "contacts.csv", orders=SAMPLE / "orders.xlsx")


def test_sample_smoke(sample):
    o = sample.orders
    period = {"start": "2026-01-01", "end": "2026-03-31"}
    # independent: paid orders whose Shanghai time falls in [Jan 1 00:00, Apr 1 00:00)
    lo, hi = pd.Timestamp("2026-01-01", tz=TZ), pd.Timestamp("2026-04-01", tz=TZ)
    inside = o[(o[S.STATUS] == S.PAID) & (o[S.ORDER_TIME] >= lo) & (o[S.ORDER_TIME] < hi)]
    gmv = compute("gmv", o, sample.contacts, **period)["value"].iloc[0]
    assert gmv == pytest.approx(inside[S.NET_AMOUNT].sum())
    assert compute("gmv", o, **period, by="store")["value"].sum() == pytest.approx(gmv)
    assert compute("gmv", o, sample.contacts, **period, by="channel")["value"].sum() == pytest.approx(gmv)
    rr = compute("repurchase_rate", o, **period)["value"].iloc[0]
    assert 0 <= rr <= 1
    ret = compute("return_rate", o, **period, as_of="2026-10-31")["value"].iloc[0]
    assert 0 <= ret <= 1
    share = cohort_retention(o, as_of="2026-10-31")
    cells = share.to_numpy().ravel()
    cells = cells[~np.isnan(cells)]
    assert ((cells >= 0) & (cells <= 1)).all()
    assert share.iloc[-1, 1:].isna().all()   # the last complete month's cohort has only month 0
    assert (share[0] == 1.0).all()


# --- 7. acquisition, conversion, fission ------------------------------------------------------

def _people(rows):
    """Contacts from (customer_id, local added time or None, channel, staff, referrer_id) tuples."""
    added = pd.Series(pd.to_datetime([r[1] for r in rows]), dtype="datetime64[us]").dt.tz_localize(TZ)
    return pd.DataFrame({
        S.CUSTOMER_ID: pd.Series([r[0] for r in rows], dtype="str"),
        S.ADDED_AT: added,
        S.CHANNEL: pd.Series([r[2] for r in rows], dtype="str"),
        S.STAFF: pd.Series([r[3] for r in rows], dtype="str"),
        S.REFERRER_ID: pd.Series([r[4] for r in rows], dtype="str"),
    })


PEOPLE = [
    ("a", "2025-12-20 10:00", "门店活码", "王", None),
    ("b", "2025-12-28 10:00", "包裹卡", "李", None),
    ("g", "2026-01-03 10:00", "朋友圈/老带新", "王", "a"),
    ("h", "2026-01-10 10:00", "朋友圈/老带新", "王", "a"),
    ("i", "2026-01-15 12:00", "门店活码", "李", "b"),
    ("j", "2026-01-20 10:00", "包裹卡", "李", "j"),        # self-referral: counts as no referrer
    ("k", "2026-01-31 23:30", "公众号", "王", None),        # last half hour of January
    ("m", "2026-02-01 00:10", "朋友圈/老带新", "王", "a"),  # February
    ("n", None, "门店活码", "李", None),                    # no added_at: never placed in time
]
# January's new contacts: g, h, i, j, k (5); known before January: a, b (2).

FUNNEL = [
    ("a", "2025-12-25 12:00", 70.0, S.PAID, "x"),      # a: 5 days after being added
    ("a", "2026-01-10 12:00", 20.0, S.PAID, "x"),
    ("g", "2026-01-05 12:00", 100.0, S.PAID, "x"),     # g: day 2
    ("g", "2026-01-20 12:00", 50.0, S.PAID, "x"),
    ("g", "2026-01-28 12:00", 10.0, S.PAID, "x"),
    ("h", "2026-02-15 12:00", 80.0, S.PAID, "x"),      # h: day 36, too late for 30 days
    ("i", "2026-01-15 08:00", 60.0, S.PAID, "x"),      # i: same day, before the add time: day 0
    ("i", "2026-01-16 08:00", 60.0, S.REFUNDED, "x"),  # not a purchase
    ("j", "2025-11-01 12:00", 30.0, S.PAID, "x"),      # j bought before being added: not a conversion
    ("k", "2026-02-20 12:00", 40.0, S.PAID, "x"),      # k: day 20
]


@pytest.fixture
def people():
    return _people(PEOPLE)


@pytest.fixture
def funnel():
    return _orders(FUNNEL)


def test_new_contacts(people):
    assert _value("new_contacts", None, contacts=people) == 5          # g, h, i, j, k
    by_channel = compute("new_contacts", None, people, **JAN, by="channel")["value"].to_dict()
    assert by_channel == {"朋友圈/老带新": 2, "门店活码": 1, "包裹卡": 1, "公众号": 1}
    assert compute("new_contacts", None, people, **JAN, by="staff")["value"].to_dict() == {"李": 2, "王": 3}
    months = compute("new_contacts", None, people, start="2025-12-01", end="2026-02-28", by="month")
    assert list(months["value"]) == [2, 5, 1]                          # a, b | g..k | m; n never


def test_referral_share_invitations_k_factor(people):
    rs = compute("referral_share", None, people, **JAN)
    assert (rs["numerator"].iloc[0], rs["denominator"].iloc[0]) == (3, 5)   # g, h, i of 5; j is self
    assert _value("invitations_per_referrer", None, contacts=people) == 1.5  # 3 invitees / referrers a, b
    k = compute("k_factor", None, people, **JAN)
    assert (k["numerator"].iloc[0], k["denominator"].iloc[0]) == (3, 2)      # 3 / known a, b
    # by month: January 3 / 2; February m / the 7 known on Feb 1 (a, b, g, h, i, j, k)
    km = compute("k_factor", None, people, start="2026-01-01", end="2026-02-28", by="month")
    assert list(km["value"]) == pytest.approx([1.5, 1 / 7])
    by_staff = compute("referral_share", None, people, **JAN, by="staff")
    assert by_staff["numerator"].to_dict() == {"李": 1, "王": 2}           # 李 i (j is self); 王 g, h


def _deletions(rows):
    """The clean deletion log from (customer_id, local deleted time, deleted_by) tuples."""
    at = pd.Series(pd.to_datetime([r[1] for r in rows]), dtype="datetime64[us]").dt.tz_localize(TZ)
    return pd.DataFrame({S.CUSTOMER_ID: pd.Series([r[0] for r in rows], dtype="str"), S.DELETED_AT: at,
                         S.DELETED_BY: pd.Series([r[2] for r in rows], dtype="string")})


DELETIONS = [
    ("b", "2026-01-09 10:00", "customer"),   # known before January (包裹卡, 李)
    ("h", "2026-01-30 23:00", "staff"),      # added in January (朋友圈/老带新, 王)
    ("zz", "2026-01-15 10:00", None),        # no contact: counted, in the NA group when split
    ("h", "2026-01-31 23:59", "staff"),      # h again (re-added, deleted again): one customer
    ("a", "2026-02-03 10:00", "customer"),   # February
    ("k", "2026-01-31 23:50", "customer"),   # 20 minutes after being added, still January (local day)
]


LATER_DELETIONS = DELETIONS + [("g", "2026-04-01 09:00", "customer"), ("z", "2026-04-05 09:00", "staff")]


def test_net_contact_growth_needs_the_deletion_log(people):
    with pytest.raises(SikitInputError, match="net_contact_growth needs deletions.*pass deletions="):
        compute("net_contact_growth", None, people, **JAN)
    with pytest.raises(SikitInputError, match="lost_contacts needs deletions"):
        compute("lost_contacts", None, people, **JAN)
    gone = _deletions(DELETIONS)
    # 5 new (g, h, i, j, k) - 4 deleted in January (b, h, zz, k; h twice counts once) = 1
    assert _value("net_contact_growth", None, contacts=people, deletions=gone) == 1
    assert _value("lost_contacts", None, contacts=None, deletions=gone) == 4
    # by month: January 1; February: new m (1) - a (1) = 0
    months = compute("net_contact_growth", None, people, start="2026-01-01", end="2026-02-28", by="month",
                     deletions=gone)
    assert list(months["value"]) == [1, 0]
    # by channel a deletion goes to the deleted customer's channel: 公众号 k 1-1 = 0, 包裹卡 j 1-b 1 = 0,
    # 朋友圈/老带新 g, h 2-h 1 = 1, 门店活码 i 1-0 = 1, no contact (zz) 0-1 = -1; the groups add up to 1
    by_channel = compute("net_contact_growth", None, people, **JAN, by="channel", deletions=gone)["value"]
    assert by_channel.iloc[:-1].to_dict() == {"公众号": 0, "包裹卡": 0, "朋友圈/老带新": 1, "门店活码": 1}
    assert pd.isna(by_channel.index[-1]) and by_channel.iloc[-1] == -1
    assert by_channel.sum() == 1
    # lost by who removed whom: customer b, k (2); staff h (1); not recorded zz (1)
    by_who = compute("lost_contacts", None, None, **JAN, by="deleted_by", deletions=gone)["value"]
    assert by_who.iloc[:2].to_dict() == {"customer": 2, "staff": 1} and by_who.iloc[2] == 1
    # by staff of the deleted customer's contact: 李 b, 王 h and k, no contact zz
    by_staff = compute("lost_contacts", None, people, **JAN, by="staff", deletions=gone)["value"]
    assert by_staff.iloc[:2].to_dict() == {"李": 1, "王": 2} and by_staff.iloc[2] == 1
    # deletions after the period change nothing
    later = _deletions(DELETIONS + [("g", "2026-02-01 00:10", "customer")])
    assert _value("net_contact_growth", None, contacts=people, deletions=later) == 1


def test_pool_size(people):
    # added by the end of Jan 31: a, b (December), g, h, i, j, k -> 7 (m is February's; n has no added_at)
    assert _value("pool_size", None, contacts=people) == 7
    # deleted by then: b (Jan 9), h (Jan 30 and 31), k (Jan 31 23:50, 20 minutes after being added) -> 7 - 3 = 4;
    # zz is no contact, a's deletion (Feb 3) is after the end
    gone = _deletions(DELETIONS)
    assert _value("pool_size", None, contacts=people, deletions=gone) == 4          # a, g, i, j
    # a stock at the end: the period start does not matter
    assert compute("pool_size", None, people, start="2026-01-31", end="2026-01-31",
                   deletions=gone)["value"].iloc[0] == 4
    # by month, the stock at each month's end: Dec a, b = 2; Jan 4; Feb + m - a (Feb 3) = 4 (g, i, j, m)
    months = compute("pool_size", None, people, start="2025-12-01", end="2026-02-28", by="month", deletions=gone)
    assert list(months["value"]) == [2, 4, 4]
    # a customer deleted (Jan 5) and added again (Jan 20) is in the pool again
    back = _people(PEOPLE + [("p", "2026-01-20 10:00", "包裹卡", "李", None)])
    again = _deletions(DELETIONS + [("p", "2026-01-05 10:00", "staff")])
    assert _value("pool_size", None, contacts=back, deletions=again) == 5
    with pytest.raises(SikitInputError, match="pool_size counts contacts: pass contacts="):
        compute("pool_size", None, None, **JAN)


def test_pool_size_by_channel(people):
    gone = _deletions(DELETIONS)
    by_channel = compute("pool_size", None, people, **JAN, by="channel", deletions=gone)["value"]
    # in the pool at Jan 31: a, i 门店活码; j 包裹卡; g 朋友圈/老带新; 公众号's only contact k was deleted -> 0.
    # Every channel of a contact added by the end is a group, not only those of January's contacts
    assert by_channel.to_dict() == {"公众号": 0, "包裹卡": 1, "朋友圈/老带新": 1, "门店活码": 2}
    assert by_channel.sum() == 4
    # without the log: a, i | b, j | g, h | k
    plain = compute("pool_size", None, people, **JAN, by="channel")["value"]
    assert plain.to_dict() == {"公众号": 1, "包裹卡": 2, "朋友圈/老带新": 2, "门店活码": 2}
    by_staff = compute("pool_size", None, people, **JAN, by="staff", deletions=gone)["value"]
    assert by_staff.to_dict() == {"李": 2, "王": 2}     # 李 i, j (b deleted); 王 a, g (h, k deleted)


def test_pool_size_is_point_in_time(people):
    gone = _deletions(DELETIONS)
    # a contact added and a deletion just after the end (Feb 1 00:10 local) change nothing
    later_people = _people(PEOPLE + [("z", "2026-02-01 00:10", "门店活码", "王", None)])
    later_gone = _deletions(DELETIONS + [("g", "2026-02-01 00:10", "customer"), ("i", "2026-03-01 10:00", "staff")])
    for by in (None, "channel", "staff"):
        pd.testing.assert_frame_equal(compute("pool_size", None, people, **JAN, by=by, deletions=gone),
                                      compute("pool_size", None, later_people, **JAN, by=by, deletions=later_gone))


def test_acquisition_by_month_and_channel(people):
    period = {"start": "2025-12-25", "end": "2026-03-31"}
    table = metrics.acquisition(people, **period)
    # Dec 25..31: b 包裹卡 (a on Dec 20 is before the start); January g, h 朋友圈/老带新, i 门店活码, j 包裹卡,
    # k 公众号; February m 朋友圈/老带新; March nobody (a row of zeros); n has no added_at
    assert table.index.tolist() == ["2025-12", "2026-01", "2026-02", "2026-03"]
    assert table.columns.tolist()[:2] == ["朋友圈/老带新", "包裹卡"]       # most new contacts first
    assert table.to_dict() == {
        "朋友圈/老带新": {"2025-12": 0, "2026-01": 2, "2026-02": 1, "2026-03": 0},
        "包裹卡": {"2025-12": 1, "2026-01": 1, "2026-02": 0, "2026-03": 0},
        "公众号": {"2025-12": 0, "2026-01": 1, "2026-02": 0, "2026-03": 0},
        "门店活码": {"2025-12": 0, "2026-01": 1, "2026-02": 0, "2026-03": 0},
    }
    assert (table.dtypes == "int64").all() and (table.index.name, table.columns.name) == ("month", "channel")
    # the grand total is the new_contacts metric: b, g, h, i, j, k, m = 7
    assert table.to_numpy().sum() == 7 == compute("new_contacts", None, people, **period)["value"].iloc[0]
    # by month it is new_contacts by month
    months = compute("new_contacts", None, people, **period, by="month")["value"]
    assert table.sum(axis=1).tolist() == months.tolist()


def test_acquisition_unknown_channel_duplicates_and_point_in_time(people):
    # q has no channel and r a blank one: 未知渠道, last; g added again in February through 门店活码
    # counts once, in January (its earliest addition) -- as new_contacts counts distinct customers
    more = _people(PEOPLE + [("q", "2026-01-05 10:00", None, "王", None), ("r", "2026-01-06 10:00", "  ", "王", None),
                             ("g", "2026-02-10 10:00", "门店活码", "李", None)])
    table = metrics.acquisition(more, start="2026-01-01", end="2026-02-28")
    assert table.columns[-1] == "未知渠道" and table.loc["2026-01", "未知渠道"] == 2
    assert table["朋友圈/老带新"].tolist() == [2, 1] and table["门店活码"].tolist() == [1, 0]
    total = compute("new_contacts", None, more, start="2026-01-01", end="2026-02-28")["value"].iloc[0]
    assert table.to_numpy().sum() == total == 8        # g, h, i, j, k, q, r | m (g again not counted)
    # contacts added after the end change nothing
    later = _people(PEOPLE + [("z", "2026-02-01 00:10", "门店活码", "王", None)])
    pd.testing.assert_frame_equal(metrics.acquisition(later, **JAN), metrics.acquisition(people, **JAN))
    # by staff; and a period with no new contacts is all months, no columns
    assert metrics.acquisition(people, **JAN, by="staff").loc["2026-01"].to_dict() == {"王": 3, "李": 2}
    empty = metrics.acquisition(people, start="2026-05-01", end="2026-06-30")
    assert empty.index.tolist() == ["2026-05", "2026-06"] and empty.shape == (2, 0)


def test_acquisition_errors(people):
    with pytest.raises(SikitInputError, match="by must be one of channel, staff"):
        metrics.acquisition(people, **JAN, by="store")
    with pytest.raises(SikitInputError, match="before start"):
        metrics.acquisition(people, start="2026-01-31", end="2026-01-01")
    with pytest.raises(SikitInputError, match="lack required column.*channel"):
        metrics.acquisition(people.drop(columns=S.CHANNEL), **JAN)


def test_conversion_rate(people, funnel):
    out = compute("conversion_rate", funnel, people, **JAN, as_of="2026-03-31")
    # base g, h, i, k (j bought before being added); converted g (day 2), i (day 0), k (day 20) -> 3 / 4
    assert (out["numerator"].iloc[0], out["denominator"].iloc[0]) == (3, 4)
    # as_of Feb 15: only contacts added by Jan 16 are observable: g, h, i -> g, i = 2 / 3
    assert _value("conversion_rate", funnel, contacts=people, as_of="2026-02-15") == pytest.approx(2 / 3)
    # default as_of = end (Jan 31): no January contact has had 30 days yet -> NaN, not 0
    assert np.isnan(_value("conversion_rate", funnel, contacts=people))
    # within 1 day: only i -> 1 / 4
    assert _value("conversion_rate", funnel, contacts=people, as_of="2026-03-31", within_days=1) == 0.25
    by = compute("conversion_rate", funnel, people, **JAN, as_of="2026-03-31", by="channel")
    # 公众号 k 1/1; 包裹卡 j excluded 0/0; 朋友圈/老带新 g yes h no 1/2; 门店活码 i 1/1
    assert by["numerator"].to_dict() == {"公众号": 1, "包裹卡": 0, "朋友圈/老带新": 1, "门店活码": 1}
    assert by["denominator"].to_dict() == {"公众号": 1, "包裹卡": 0, "朋友圈/老带新": 2, "门店活码": 1}
    with pytest.raises(SikitInputError, match="before end"):
        compute("conversion_rate", funnel, people, **JAN, as_of="2026-01-30")
    with pytest.raises(SikitInputError, match="within_days"):
        compute("conversion_rate", funnel, people, **JAN, within_days=-1)
    with pytest.raises(SikitInputError, match="cannot be split by 'store'"):
        compute("conversion_rate", funnel, people, **JAN, by="store")


def test_days_to_first_purchase_and_first_order_value(people, funnel):
    # converted g 2, i 0, k 20 -> median 2
    assert _value("days_to_first_purchase", funnel, contacts=people, as_of="2026-03-31") == 2.0
    # first paid orders ever placed in January: g 100 (Jan 5), i 60 (Jan 15) -> 80
    # (a and j had bought before; i's refunded order is no order)
    assert _value("first_order_value", funnel) == 80.0
    by_month = compute("first_order_value", funnel, start="2026-01-01", end="2026-02-28", by="month")
    assert list(by_month["value"]) == [80.0, 60.0]        # February: h 80, k 40


def test_contact_metrics_are_point_in_time(people, funnel):
    # contacts added and orders placed after as_of (or end) change nothing
    later_people = pd.concat([people, _people([("z", "2026-04-02 10:00", "门店活码", "王", "a")])],
                             ignore_index=True)
    later_orders = pd.concat([funnel, _orders([("h", "2026-04-01 09:00", 5.0, S.PAID, "x"),
                                               ("z", "2026-04-03 09:00", 5.0, S.PAID, "x")])],
                             ignore_index=True)
    costs = _costs(COSTS)
    later_costs = _costs(COSTS + [("门店活码", "2026-04", 500.0), ("小红书", "2026-04", 800.0)])
    for metric_id, m in REGISTRY.items():
        if m.base != "contacts" and metric_id != "first_order_value":
            continue
        extra = {"as_of": "2026-03-31"} if "as_of" in m.params else {}
        early, late = ({"costs": costs}, {"costs": later_costs}) if "costs" in m.params else ({}, {})
        if "deletions" in m.params:
            early, late = {"deletions": _deletions(DELETIONS)}, {"deletions": _deletions(LATER_DELETIONS)}
        for by in (None, *m.by):
            pd.testing.assert_frame_equal(
                compute(metric_id, funnel, people, start="2026-01-01", end="2026-03-31", by=by, **extra, **early),
                compute(metric_id, later_orders, later_people, start="2026-01-01", end="2026-03-31", by=by,
                        **extra, **late))
    pd.testing.assert_frame_equal(referred_vs_other(funnel, people, as_of="2026-03-31"),
                                  referred_vs_other(later_orders, later_people, as_of="2026-03-31"))
    pd.testing.assert_frame_equal(top_referrers(people, "2026-01-01", "2026-03-31"),
                                  top_referrers(later_people, "2026-01-01", "2026-03-31"))
    pd.testing.assert_frame_equal(referral_tree(people, as_of="2026-03-31"),
                                  referral_tree(later_people, as_of="2026-03-31"))


def test_top_referrers(people):
    top = top_referrers(people, **JAN)
    assert top["invitations"].to_dict() == {"a": 2, "b": 1}            # g, h by a; i by b; j is self
    assert top.loc["a", S.STAFF] == "王" and top.loc["b", S.CHANNEL] == "包裹卡"
    assert top_referrers(people, "2026-01-01", "2026-02-28", n=1)["invitations"].to_dict() == {"a": 3}
    with pytest.raises(SikitInputError, match="n must be"):
        top_referrers(people, **JAN, n=0)


FOREST = [
    # (customer_id, referrer_id, added)
    ("r1", None, "2026-01-01"), ("r2", "r1", "2026-01-02"), ("r3", "r1", "2026-01-02"),
    ("r4", "r2", "2026-01-03"), ("r5", "r4", "2026-03-01"),           # r1: 5 people, 3 generations
    ("s1", "zz", "2026-01-01"), ("s2", "zz", "2026-01-01"),           # zz is no contact (deleted?): a root
    ("x", "y", "2026-01-01"), ("y", "x", "2026-01-01"), ("w", "x", "2026-01-01"),   # 2-loop, w hangs off it
    ("q1", "q2", "2026-01-01"), ("q2", "q3", "2026-01-01"), ("q3", "q1", "2026-01-01"),  # 3-loop
    ("me", "me", "2026-01-01"),                                         # self-referral
    ("lone", None, "2026-01-01"),
]


def test_referral_tree_forest_with_cycles_and_self_referral():
    forest = pd.DataFrame({
        S.CUSTOMER_ID: pd.Series([r[0] for r in FOREST], dtype="str"),
        S.REFERRER_ID: pd.Series([r[1] for r in FOREST], dtype="str"),
        S.ADDED_AT: pd.Series(pd.to_datetime([r[2] for r in FOREST]), dtype="datetime64[us]").dt.tz_localize(TZ),
    })
    tree = referral_tree(forest)
    # r1: r1, r2, r3, r4, r5 = 5; direct r2, r3; depth r1 -> r2 -> r4 -> r5 = 3
    # zz: zz, s1, s2 = 3; direct 2; depth 1. Loops, w, me and lone form no tree.
    assert tree.to_dict("index") == {"r1": {"size": 5, "direct": 2, "depth": 3},
                                     "zz": {"size": 3, "direct": 2, "depth": 1}}
    assert list(tree.index) == ["r1", "zz"]
    # loops x-y and q1-q2-q3: 2 loops, 5 members; w hangs off x -> 6 unrooted; me refers itself
    assert tree.attrs == {"self_referrals": 1, "cycles": 2, "in_cycles": 5, "unrooted": 6}
    # on Feb 1 r5 is not yet added: r1 has 4 people, 2 generations
    early = referral_tree(forest, as_of="2026-02-01")
    assert early.loc["r1"].to_dict() == {"size": 4, "direct": 2, "depth": 2}


def test_referred_vs_other_by_hand(people, funnel):
    t = referred_vs_other(funnel, people, as_of="2026-03-31", repurchase_days=30)
    # contacts added by Mar 31 (n has no added_at): referred g, h, i, m; other a, b, j (self), k
    assert t["contacts"].to_dict() == {"referred": 4, "other": 4}
    # conversion in 30 days: referred g, i of g, h, i, m -> 2/4; other a (day 5), k of a, b, k (j bought before) -> 2/3
    assert t["conversion_rate"].to_dict() == pytest.approx({"referred": 0.5, "other": 2 / 3})
    # repurchase within 30 days of the first purchase day, first purchase by Mar 1:
    # referred g (Jan 20, Jan 28), h no, i no (refund) -> 1/3; other a (Jan 10), j no, k no -> 1/3
    assert t["repurchase_rate"].to_dict() == pytest.approx({"referred": 1 / 3, "other": 1 / 3})
    # repeat purchase days: referred g 2 / 3 buyers; other a 1 / 3
    assert t["repeat_days_per_buyer"].to_dict() == pytest.approx({"referred": 2 / 3, "other": 1 / 3})
    assert t.loc["referred", "group_zh"] == "老带新"
    with pytest.raises(SikitInputError, match="after as_of"):
        referred_vs_other(funnel, people, as_of="2026-01-31", end="2026-02-28")


def test_sample_referred_customers_buy_more(sample):
    # the generator gives referred customers a 1.4x purchase rate, 0.7x dropout
    # (sample._REF_LAMBDA, _REF_DROPOUT) and a higher chance to ever buy (0.72 vs 0.35-0.70)
    t = referred_vs_other(sample.orders, sample.contacts, as_of="2026-10-31")
    ref, other = t.loc["referred"], t.loc["other"]
    assert ref["repurchase_base"] > 100 and other["repurchase_base"] > 500
    assert ref["repurchase_rate"] > other["repurchase_rate"]
    assert ref["conversion_rate"] > other["conversion_rate"]
    # repeat purchases per buyer in 90 days track the 1.4x purchase rate (loosely)
    assert 1.15 < ref["repeat_days_per_buyer"] / other["repeat_days_per_buyer"] < 2.0
    tree = referral_tree(sample.contacts)
    assert tree.attrs["cycles"] == 0 and tree["size"].sum() - len(tree) == sample.contacts[S.REFERRER_ID].notna().sum()
    share = compute("referral_share", None, sample.contacts, start="2024-01-01", end="2026-10-31")
    assert 0.05 < share["value"].iloc[0] < 0.25


def test_sample_acquisition_adds_up_to_new_contacts(sample):
    for period in ({"start": "2024-01-01", "end": "2026-10-31"}, {"start": "2025-03-15", "end": "2025-09-10"}):
        table = metrics.acquisition(sample.contacts, **period)
        new = compute("new_contacts", None, sample.contacts, **period)["value"].iloc[0]
        assert new > 0 and table.to_numpy().sum() == new
        months = pd.period_range(period["start"], period["end"], freq="M").strftime("%Y-%m").tolist()
        assert table.index.tolist() == months


def test_loop_report_has_every_metric_once_and_keeps_failures_with_a_reason(orders, contacts):
    report = metrics.loop_report(orders, contacts, **JAN)
    assert report["id"].tolist() == list(metrics.REGISTRY)
    gmv = report.set_index("id").at["gmv", "value"]
    assert gmv == compute("gmv", orders, contacts, **JAN)["value"].iloc[0]
    # an empty value always comes with a note saying why, and only then
    assert ((report["value"].isna()) == (report["note"] != "")).all()
    assert report.set_index("id").at["referral_share", "note"].startswith("no customers")  # 0 of 0
    by_store = metrics.loop_report(orders, contacts, **JAN, by="store")
    # metrics that cannot be split by store keep one row, with the reason
    unsplittable = [m.id for m in metrics.REGISTRY.values() if "store" not in m.by]
    lone = by_store[by_store["id"].isin(unsplittable)]
    assert lone["id"].tolist() == unsplittable and lone["store"].isna().all()
    assert lone["note"].str.contains("cannot be split by store").all()


# --- 8. channel costs: 加粉成本, 获客成本, LTV/CAC -------------------------------------------------
# January's new contacts (PEOPLE): g, h 朋友圈/老带新; i 门店活码; j 包裹卡; k 公众号 (no cost row).
# January spend (COSTS): 门店活码 400 + 包裹卡 150 + 朋友圈/老带新 60 + 抖音直播 1000 = 1610
# (the December 999 is outside the period). k's cell (公众号, 2026-01) has no spend row: k is
# "uncosted" and left out of both sides; 抖音直播's spend counts though it added nobody.

@pytest.fixture
def costs():
    return _costs(COSTS)


def _recombines(by_group, total):
    """Σnumerator / Σdenominator of the groups (NaN parts skipped) gives the total."""
    num, den = by_group["numerator"].sum(), by_group["denominator"].sum()
    assert num == pytest.approx(total["numerator"].iloc[0]) and den == pytest.approx(total["denominator"].iloc[0])
    assert num / den == pytest.approx(total["value"].iloc[0])


def test_cost_per_contact(people, costs):
    total = compute("cost_per_contact", None, people, **JAN, costs=costs)
    # 1610 / costed new contacts g, h, i, j (4) = 402.5; k uncosted
    assert total[["value", "numerator", "denominator", "uncosted_contacts"]].iloc[0].tolist() == [402.5, 1610, 4, 1]
    by = compute("cost_per_contact", None, people, **JAN, costs=costs, by="channel")
    # 朋友圈/老带新 60 / 2 = 30; 门店活码 400 / 1; 包裹卡 150 / 1; 抖音直播 1000 / 0 -> NaN but its spend is there;
    # 公众号: no spend row -> NaN spend, 0 costed contacts, 1 uncosted (NaN, not 0)
    assert by["value"].to_dict() == pytest.approx(
        {"公众号": np.nan, "包裹卡": 150.0, "抖音直播": np.nan, "朋友圈/老带新": 30.0, "门店活码": 400.0}, nan_ok=True)
    assert by["numerator"].to_dict() == pytest.approx(
        {"公众号": np.nan, "包裹卡": 150.0, "抖音直播": 1000.0, "朋友圈/老带新": 60.0, "门店活码": 400.0}, nan_ok=True)
    assert by["uncosted_contacts"].to_dict() == {"公众号": 1, "包裹卡": 0, "抖音直播": 0, "朋友圈/老带新": 0, "门店活码": 0}
    _recombines(by, total)
    # by month over Jan-Feb: January 1610 / 4; February 朋友圈/老带新 30 / m = 30; together 1640 / 5
    two = {"start": "2026-01-01", "end": "2026-02-28"}
    months = compute("cost_per_contact", None, people, **two, costs=costs, by="month")
    assert list(months["value"]) == [402.5, 30.0]
    _recombines(months, compute("cost_per_contact", None, people, **two, costs=costs))


def test_cac_and_referral_cac(people, funnel, costs):
    total = compute("cac", funnel, people, **JAN, costs=costs)
    # new paying customers among the costed g, h, i, j by Jan 31: g (Jan 5), i (Jan 15, day 0);
    # h first buys Feb 15, j had bought before being added -> 1610 / 2
    assert total[["value", "numerator", "denominator"]].iloc[0].tolist() == [805.0, 1610.0, 2]
    by = compute("cac", funnel, people, **JAN, costs=costs, by="channel")
    # referral CAC: rewards 60 / referred new customer g = 60 (h has not bought by Jan 31)
    assert by.loc["朋友圈/老带新", ["value", "numerator", "denominator"]].tolist() == [60.0, 60.0, 1]
    assert by.loc["门店活码", "value"] == 400.0                          # 400 / i
    assert np.isnan(by.loc["包裹卡", "value"]) and by.loc["包裹卡", "numerator"] == 150.0   # j is no new customer
    assert np.isnan(by.loc["公众号", "value"]) and np.isnan(by.loc["公众号", "numerator"])  # unknown spend
    _recombines(by, total)
    # within 40 days, seen up to Mar 12 (Jan 31 + 40): h (day 36) counts too -> 1610 / 3; referral 60 / 2
    late = {"within_days": 40, "as_of": "2026-03-12"}
    assert _value("cac", funnel, contacts=people, costs=costs, **late) == pytest.approx(1610 / 3)
    assert compute("cac", funnel, people, **JAN, costs=costs, by="channel", **late).loc[
        "朋友圈/老带新", "value"] == 30.0
    # within 30 days: h (day 36) is out again -> 1610 / 2
    assert _value("cac", funnel, contacts=people, costs=costs, within_days=30, as_of="2026-03-02") == 805.0
    with pytest.raises(SikitInputError, match="as_of on or after 2026-03-02"):
        compute("cac", funnel, people, **JAN, costs=costs, within_days=30, as_of="2026-03-01")
    with pytest.raises(SikitInputError, match="within_days"):
        compute("cac", funnel, people, **JAN, costs=costs, within_days=-3, as_of="2026-03-31")


def test_ltv_cac(people, funnel, costs):
    # net paid since being added, up to Mar 31, of the costed g, h, i, j: g 100 + 50 + 10, h 80, i 60
    # (the refund is no order), j 0 (its only order predates the add) = 300 -> 300 / 1610
    total = compute("ltv_cac", funnel, people, **JAN, costs=costs, as_of="2026-03-31")
    assert total[["numerator", "denominator"]].iloc[0].tolist() == [300.0, 1610.0]
    assert total["value"].iloc[0] == pytest.approx(300 / 1610)
    by = compute("ltv_cac", funnel, people, **JAN, costs=costs, as_of="2026-03-31", by="channel")
    # 朋友圈/老带新 (g, h) 240 / 60 = 4; 门店活码 60 / 400; 包裹卡 0 / 150; 抖音直播 0 / 1000; 公众号 unknown
    assert by["value"].to_dict() == pytest.approx(
        {"公众号": np.nan, "包裹卡": 0.0, "抖音直播": 0.0, "朋友圈/老带新": 4.0, "门店活码": 0.15}, nan_ok=True)
    _recombines(by, total)
    # default as_of = end: only January's orders, g 160 + i 60 = 220
    assert _value("ltv_cac", funnel, contacts=people, costs=costs) == pytest.approx(220 / 1610)
    with pytest.raises(SikitInputError, match="before end"):
        compute("ltv_cac", funnel, people, **JAN, costs=costs, as_of="2026-01-30")


def test_cost_metrics_need_the_cost_table_and_whole_months(people, funnel, costs):
    for metric_id in ("cost_per_contact", "cac", "ltv_cac"):
        with pytest.raises(SikitInputError, match=r"needs the channel cost table \(channel_costs: channel, month"):
            compute(metric_id, funnel, people, **JAN)
        with pytest.raises(SikitInputError, match="needs the channel cost table"):
            compute(metric_id, funnel, people, **JAN, by="channel")
        # half of January: refused, naming the month and the whole-month period to use instead
        with pytest.raises(SikitInputError, match="only part of 2026-01.*start=2026-01-01 end=2026-01-31"):
            compute(metric_id, funnel, people, start="2026-01-15", end="2026-01-31", costs=costs)
        with pytest.raises(SikitInputError, match="only part of 2026-01, 2026-02"):
            compute(metric_id, funnel, people, start="2026-01-02", end="2026-02-27", costs=costs, by="channel")
    with pytest.raises(SikitInputError, match="channel costs lack required column.*spend"):
        compute("cost_per_contact", None, people, **JAN, costs=costs.drop(columns=S.SPEND))
    with pytest.raises(SikitInputError, match="month must be a calendar month.*'Jan'"):
        compute("cost_per_contact", None, people, **JAN, costs=costs.assign(month="Jan"))
    with pytest.raises(SikitInputError, match="cannot be split by 'staff'"):
        compute("cac", funnel, people, **JAN, costs=costs, by="staff")


def test_a_channel_without_costs_is_unknown_not_zero(people, funnel):
    # only 门店活码 has a January row: g, h, j, k are uncosted; the total is 400 / i alone
    only_store = _costs([("门店活码", "2026-01", 400.0)])
    total = compute("cost_per_contact", None, people, **JAN, costs=only_store)
    assert total[["value", "denominator", "uncosted_contacts"]].iloc[0].tolist() == [400.0, 1, 4]
    # no row at all for the period -> NaN, never 0 (a recorded 0 is a real 0)
    assert np.isnan(_value("cac", funnel, contacts=people, costs=_costs([("门店活码", "2026-02", 400.0)])))
    free = _costs([("门店活码", "2026-01", 0.0)])
    assert _value("cost_per_contact", None, contacts=people, costs=free) == 0.0


def test_loop_report_passes_costs(funnel, people, costs):
    ids = ["cost_per_contact", "cac", "ltv_cac"]
    without = metrics.loop_report(funnel, people, **JAN).set_index("id")
    assert without.loc[ids, "value"].isna().all()
    assert without.loc[ids, "note"].str.contains("needs the channel cost table").all()
    report = metrics.loop_report(funnel, people, **JAN, as_of="2026-03-31", costs=costs)
    assert report["id"].tolist() == list(metrics.REGISTRY)
    r = report.set_index("id")
    assert r.loc["cac", "value"] == 805.0 and r.loc["cost_per_contact", "value"] == 402.5
    assert r.loc["ltv_cac", "value"] == pytest.approx(300 / 1610)        # as_of reaches ltv_cac
    assert r.loc["gmv", "value"] == _value("gmv", funnel)                # the rest is unchanged
    by = metrics.loop_report(funnel, people, **JAN, costs=costs, by="channel")
    cac = by[by["id"] == "cac"].set_index("channel")
    assert cac.loc["朋友圈/老带新", "value"] == 60.0
    assert "no spend recorded" in cac.loc["公众号", "note"] and cac.loc["公众号", "uncosted_contacts"] == 1
    assert ((by["value"].isna()) == (by["note"] != "")).all()


# --- 9. 社群 groups: members, joins, exits, silence, messages, lifecycle --------------------------

def _members(rows):
    """Group members from (group, customer, local joined time, local left time or None) tuples."""
    def times(values):
        return pd.Series(pd.to_datetime(values), dtype="datetime64[us]").dt.tz_localize(TZ)
    return pd.DataFrame({
        S.GROUP_NAME: pd.Series([r[0] for r in rows], dtype="str"),
        S.CUSTOMER_ID: pd.Series([r[1] for r in rows], dtype="str"),
        S.JOINED_AT: times([r[2] for r in rows]),
        S.LEFT_AT: times([r[3] for r in rows]),
    })


def _activity(rows, aware=False):
    """Group activity from (group, customer, local day, messages); naive midnight days, or tz-aware."""
    day = pd.Series(pd.to_datetime([r[2] for r in rows]), dtype="datetime64[us]")
    return pd.DataFrame({
        S.GROUP_NAME: pd.Series([r[0] for r in rows], dtype="str"),
        S.CUSTOMER_ID: pd.Series([r[1] for r in rows], dtype="str"),
        S.ACTIVITY_DATE: day.dt.tz_localize(TZ) if aware else day,
        S.MESSAGES: pd.Series([r[3] for r in rows], dtype="int64"),
    })


MEMBERS = [
    # group A                                                     January: start? join? exit? end?
    ("A", "a1", "2025-12-01 10:00", None),                       # start, end
    ("A", "a2", "2025-12-15 10:00", "2026-01-10 12:00"),         # start, exit Jan 10
    ("A", "a3", "2026-01-05 09:00", None),                       # join Jan 5, end
    ("A", "a4", "2026-01-20 09:00", "2026-01-25 20:00"),         # join Jan 20, exit Jan 25
    ("A", "a5", "2025-12-20 09:00", "2026-01-08 09:00"),         # left and rejoined on Jan 8: start, exit,
    ("A", "a5", "2026-01-08 18:00", None),                       #   join, end -- two spells, one member at the end
    ("A", "a6", "2026-02-03 09:00", None),                       # joins after January: unseen
    ("A", "a7", "2025-12-01 10:00", "2026-02-05 10:00"),         # leaves after January: still in at Jan 31
    # group B
    ("B", "b1", "2025-11-01 10:00", "2025-12-20 10:00"),         # gone before January
    ("B", "b2", "2025-12-01 10:00", None),                       # start, end
    ("B", "b3", "2026-01-31 23:00", None),                       # join on the last evening, end
    ("B", "b4", "2026-01-15 10:00", "2026-01-31 08:00"),         # join, exit on the last day: not in at end
]
# January by hand. A: start a1 a2 a5 a7 = 4; joins a3 a4 a5 = 3; exits a2 a4 a5 = 3; end a1 a3 a5 a7 = 4
# (4 + 3 - 3). B: start b2 = 1; joins b3 b4 = 2; exits b4 = 1; end b2 b3 = 2 (1 + 2 - 1).
# Total: members 6, joins 5, exits 4; exit rate A 3/7, B 1/3, total 4/10.

ACTIVITY = [
    ("A", "a1", "2026-01-28", 5),     # in the last 7 days (Jan 25-31): a1 not silent
    ("A", "a3", "2026-01-10", 4),     # before the last 7 days: a3 silent
    ("A", "a5", "2026-01-08", 2),     # the rejoin day (in both spells: counted once)
    ("A", "a5", "2026-01-30", 1),     # a5 not silent
    ("A", "a2", "2026-01-12", 3),     # after a2 left on Jan 10: unmatched
    ("A", "a4", "2026-01-25", 6),     # on a4's leave day: counts
    ("A", "a1", "2026-02-02", 100),   # after January: unseen
    ("B", "b2", "2026-01-31", 1),     # b2 not silent; b3 (joined Jan 31 23:00, no message) is silent
]
# silent at Jan 31: A a3, a7 of 4 = 0.5; B b3 of 2 = 0.5; total 3/6.
# member-days in January (join and leave days count): A a1 31, a2 Jan 1-10 = 10, a3 Jan 5-31 = 27,
# a4 Jan 20-25 = 6, a5 Jan 1-8 (8) + Jan 8-31 (24) - Jan 8 once = 31, a7 31 -> 136;
# B b2 31, b3 1, b4 Jan 15-31 = 17 -> 49. Messages while in the group: A 5 + 4 + 2 + 1 + 6 = 18 (a2's 3
# unmatched), B 1. messages per member-day: A 18/136, B 1/49, total 19/185.
GROUP_METRICS = ["group_members", "group_joins", "group_exits", "group_exit_rate", "silent_member_share",
                 "messages_per_member_day"]


@pytest.fixture
def members():
    return _members(MEMBERS)


@pytest.fixture
def activity():
    return _activity(ACTIVITY)


def _group_tables(m, members=None, activity=None):
    """The group tables a metric takes (the hand-made ones unless given)."""
    out = {}
    if "members" in m.params:
        out["members"] = _members(MEMBERS) if members is None else members
    if "activity" in m.params:
        out["activity"] = _activity(ACTIVITY) if activity is None else activity
    return out


def _g(metric_id, members, activity=None, by=None, **kwargs):
    period = kwargs.pop("period", JAN)
    return compute(metric_id, None, None, **period, by=by, **_group_tables(REGISTRY[metric_id], members, activity),
                   **kwargs)


def test_group_counts(members):
    assert _g("group_members", members)["value"].iloc[0] == 6
    assert _g("group_joins", members)["value"].iloc[0] == 5
    assert _g("group_exits", members)["value"].iloc[0] == 4
    rate = _g("group_exit_rate", members)
    assert rate[["value", "numerator", "denominator"]].iloc[0].tolist() == [0.4, 4, 10]
    by = {m: _g(m, members, by="group") for m in GROUP_METRICS[:4]}
    assert by["group_members"]["value"].to_dict() == {"A": 4, "B": 2}
    assert by["group_joins"]["value"].to_dict() == {"A": 3, "B": 2}
    assert by["group_exits"]["value"].to_dict() == {"A": 3, "B": 1}
    assert by["group_exit_rate"]["value"].to_dict() == pytest.approx({"A": 3 / 7, "B": 1 / 3})
    # groups add up; the rate recombines from its parts
    for m in ("group_members", "group_joins", "group_exits"):
        assert by[m]["value"].sum() == _g(m, members)["value"].iloc[0]
    _recombines(by["group_exit_rate"], rate)
    # b1 left in December: B is listed because b2 is still in; a group whose members all left
    # before the period is not
    gone = pd.concat([members, _members([("C", "c1", "2025-10-01 10:00", "2025-11-01 10:00")])], ignore_index=True)
    assert list(_g("group_joins", gone, by="group").index) == ["A", "B"]


def test_group_members_identity_and_rejoin(members):
    # members at the end = members at the start + joins - exits, per group and in total
    dec = {"start": "2025-12-01", "end": "2025-12-31"}
    start = _g("group_members", members, period=dec, by="group")["value"]
    assert start.to_dict() == {"A": 4, "B": 1}
    end = start + _g("group_joins", members, by="group")["value"] - _g("group_exits", members, by="group")["value"]
    assert end.to_dict() == _g("group_members", members, by="group")["value"].to_dict()
    # a5 left and rejoined on Jan 8: one exit, one join, one member on every day
    a5 = members[members[S.CUSTOMER_ID] == "a5"]
    assert [_g(m, a5)["value"].iloc[0] for m in ("group_joins", "group_exits", "group_members")] == [1, 1, 1]
    mpd = _g("messages_per_member_day", a5, _activity([("A", "a5", "2026-01-08", 2)]))
    assert mpd[["numerator", "denominator"]].iloc[0].tolist() == [2.0, 31]       # Jan 8 counted once
    # duplicated or overlapping rows of one membership are one spell
    dup = pd.concat([members, members.iloc[[0]], _members([("A", "a1", "2025-12-10 10:00", "2026-01-03 10:00")])],
                    ignore_index=True)
    for m in GROUP_METRICS:
        pd.testing.assert_frame_equal(_g(m, dup), _g(m, members))


def test_silent_member_share(members, activity):
    share = _g("silent_member_share", members, activity)
    assert share[["value", "numerator", "denominator"]].iloc[0].tolist() == [0.5, 3, 6]
    by = _g("silent_member_share", members, activity, by="group")
    assert by[["numerator", "denominator"]].to_dict("index") == {"A": {"numerator": 2, "denominator": 4},
                                                                  "B": {"numerator": 1, "denominator": 2}}
    _recombines(by, share)
    # over the last 21 days (Jan 11-31) a3's Jan 10 message is still too early; over 22 days it counts
    assert _g("silent_member_share", members, activity, silent_days=21)["numerator"].iloc[0] == 3
    assert _g("silent_member_share", members, activity, silent_days=22)["numerator"].iloc[0] == 2
    with pytest.raises(SikitInputError, match="silent_days"):
        _g("silent_member_share", members, activity, silent_days=0)


def test_messages_per_member_day(members, activity):
    total = _g("messages_per_member_day", members, activity)
    assert total[["numerator", "denominator", "unmatched_messages"]].iloc[0].tolist() == [19.0, 185, 3.0]
    assert total["value"].iloc[0] == pytest.approx(19 / 185)
    by = _g("messages_per_member_day", members, activity, by="group")
    assert by["value"].to_dict() == pytest.approx({"A": 18 / 136, "B": 1 / 49})
    assert by["unmatched_messages"].to_dict() == {"A": 3.0, "B": 0.0}
    _recombines(by, total)
    # tz-aware midnight days give the same values as naive ones
    pd.testing.assert_frame_equal(_g("messages_per_member_day", members, _activity(ACTIVITY, aware=True)), total)


def test_group_metrics_by_month(members, activity):
    two = {"start": "2026-01-01", "end": "2026-02-28"}
    joins = _g("group_joins", members, period=two, by="month")
    assert list(joins["value"]) == [5, 1]                                     # February: a6
    assert joins["value"].sum() == _g("group_joins", members, period=two)["value"].iloc[0]
    assert list(_g("group_exits", members, period=two, by="month")["value"]) == [4, 1]    # February: a7
    assert list(_g("group_members", members, period=two, by="month")["value"]) == [6, 6]  # +a6 -a7
    # February: A a1 28 + a3 28 + a5 28 + a6 Feb 3-28 = 26 + a7 Feb 1-5 = 5 = 115, B b2 28 + b3 28 = 56
    # -> 171 member-days; messages a1 100 -> 100/171. The months add up to the two-month total.
    mpd = _g("messages_per_member_day", members, activity, period=two, by="month")
    assert mpd[["numerator", "denominator"]].to_numpy().tolist() == [[19.0, 185], [100.0, 171]]
    _recombines(mpd, _g("messages_per_member_day", members, activity, period=two))


def test_group_metrics_are_point_in_time(members, activity):
    # what January's end knew: a6 not joined yet, a7 not left yet, no February messages
    known = members[members[S.CUSTOMER_ID] != "a6"].copy()
    known.loc[known[S.CUSTOMER_ID] == "a7", S.LEFT_AT] = pd.NaT
    act = activity[activity[S.ACTIVITY_DATE] <= "2026-01-31"]
    later = pd.concat([members, _members([("B", "b9", "2026-02-01 00:00", "2026-02-02 00:00")])], ignore_index=True)
    for m in GROUP_METRICS:
        for by in (None, "group", "month"):
            pd.testing.assert_frame_equal(_g(m, later, activity, by=by), _g(m, known, act, by=by))


def test_group_metrics_need_their_tables(members, activity):
    for m in GROUP_METRICS:
        with pytest.raises(SikitInputError, match=r"needs the group member table \(group_members: group_name"):
            compute(m, None, None, **JAN)
        with pytest.raises(SikitInputError, match="pass members="):
            compute(m, None, None, **JAN, by="group")
    for m in ("silent_member_share", "messages_per_member_day"):
        with pytest.raises(SikitInputError, match=r"needs the group activity table \(group_activity: .*pass activity="):
            compute(m, None, None, **JAN, members=members)
    with pytest.raises(SikitInputError, match="group members lack required column.*joined_at"):
        compute("group_members", None, None, **JAN, members=members.drop(columns=S.JOINED_AT))
    with pytest.raises(SikitInputError, match="group activity lack required column.*messages"):
        compute("messages_per_member_day", None, None, **JAN, members=members,
                activity=activity.drop(columns=S.MESSAGES))
    with pytest.raises(SikitInputError, match="cannot be split by 'group'"):
        compute("gmv", _orders(ROWS), **JAN, by="group")
    with pytest.raises(SikitInputError, match="left_at before joined_at"):
        compute("group_members", None, None, **JAN,
                members=_members([("A", "x", "2026-01-05 10:00", "2026-01-04 10:00")]))
    # no left_at column: a current-members export, everyone still in
    assert compute("group_members", None, None, **JAN, members=members.drop(columns=S.LEFT_AT))["value"].iloc[0] == 10


# group_lifecycle, as of Mar 31 with 30-day windows: "then" is the end of Mar 1; the last window is
# Mar 2-31, the previous Jan 31 - Mar 1.

def _lifecycle_tables():
    rows, acts = [], []

    def group(name, then, joined, left, prev, last):
        ids = [f"{name}{i}" for i in range(then + joined)]
        for i, cid in enumerate(ids):
            rows.append((name, cid, "2026-01-02 10:00" if i < then else "2026-03-15 10:00",
                         "2026-03-20 10:00" if i < left else None))
        if prev:
            acts.append((name, ids[0], "2026-02-15", prev))
        if last:
            acts.append((name, ids[0], "2026-03-25", last))

    group("grow", 20, 2, 0, 100, 80)       # 20 -> 22 (+10%), messages -20%: growing
    group("edge", 20, 1, 0, 100, 71)       # 20 -> 21 (+5% exactly), messages -29%: growing
    group("flat", 25, 1, 0, 50, 60)        # 25 -> 26 (+4%), messages +20%: stable
    group("shrink", 20, 0, 2, 100, 100)    # 20 -> 18 (-10%): declining
    group("quiet", 20, 2, 0, 100, 70)      # +10% but messages -30% exactly: declining
    group("new", 0, 3, 0, 0, 5)            # nobody on Mar 1, 3 now: growing (a new group)
    group("mute", 10, 0, 0, 0, 0)          # 10 -> 10, no messages at all: stable
    rows.append(("gone", "z1", "2025-06-01 10:00", "2025-08-01 10:00"))   # empty long before: not listed
    return _members(rows), _activity(acts)


def test_group_lifecycle_stages():
    members, activity = _lifecycle_tables()
    life = metrics.group_lifecycle(members, activity, as_of="2026-03-31")
    assert life["stage"].to_dict() == {"flat": "stable", "grow": "growing", "quiet": "declining", "edge": "growing",
                                       "shrink": "declining", "mute": "stable", "new": "growing"}
    assert list(life.index) == ["flat", "grow", "quiet", "edge", "shrink", "mute", "new"]   # 26 22 22 21 18 10 3
    assert life.loc["grow", ["members_then", "members_now", "joins", "exits"]].tolist() == [20, 22, 2, 0]
    assert life.loc["shrink", ["members_now", "exits"]].tolist() == [18, 2]
    assert life.loc["grow", "member_growth"] == pytest.approx(0.10)
    assert life.loc["grow", "message_change"] == pytest.approx(-0.20)
    assert np.isnan(life.loc["new", "member_growth"]) and np.isnan(life.loc["new", "message_change"])
    assert life.loc["quiet", ["stage_zh", "stage_en"]].tolist() == ["衰退", "declining"]
    assert set(life["stage_zh"]) == {"成长", "稳定", "衰退"}
    assert life.attrs["window_days"] == 30 and life.attrs["rule"] == metrics.LIFECYCLE_RULE
    # a longer window: on Feb 19 (as_of - 40) "new" still had nobody; the message windows are now
    # Feb 20 - Mar 31 against Jan 11 - Feb 19 for the same totals
    assert metrics.group_lifecycle(members, activity, as_of="2026-03-31", window_days=40)["stage"].to_dict() == \
        life["stage"].to_dict()


def test_group_lifecycle_is_point_in_time():
    members, activity = _lifecycle_tables()
    later_m = pd.concat([members, _members([("grow", "x1", "2026-04-01 09:00", None),
                                            ("flat", "x2", "2026-04-02 09:00", None)])], ignore_index=True)
    later_m.loc[later_m[S.CUSTOMER_ID] == "flat0", S.LEFT_AT] = pd.Timestamp("2026-04-03 10:00", tz=TZ)
    later_a = pd.concat([activity, _activity([("quiet", "quiet0", "2026-04-01", 999)])], ignore_index=True)
    pd.testing.assert_frame_equal(metrics.group_lifecycle(members, activity, as_of="2026-03-31"),
                                  metrics.group_lifecycle(later_m, later_a, as_of="2026-03-31"))
    with pytest.raises(SikitInputError, match="needs the group activity table"):
        metrics.group_lifecycle(members, None, as_of="2026-03-31")
    with pytest.raises(SikitInputError, match="window_days"):
        metrics.group_lifecycle(members, activity, as_of="2026-03-31", window_days=0)


def test_loop_report_passes_group_tables(orders, contacts, members, activity):
    without = metrics.loop_report(orders, contacts, **JAN).set_index("id")
    assert without.loc[GROUP_METRICS, "value"].isna().all()
    assert without.loc[GROUP_METRICS, "note"].str.contains("needs the group member table").all()
    only = metrics.loop_report(orders, contacts, **JAN, members=members).set_index("id")
    assert only.loc["group_members", "value"] == 6
    assert only.loc["silent_member_share", "note"].startswith("silent_member_share needs the group activity table")
    report = metrics.loop_report(orders, contacts, **JAN, members=members, activity=activity)
    assert report["id"].tolist() == list(metrics.REGISTRY)
    r = report.set_index("id")
    assert r.loc["group_exit_rate", "value"] == 0.4 and r.loc["silent_member_share", "value"] == 0.5
    assert r.loc["messages_per_member_day", "unmatched_messages"] == 3.0
    by = metrics.loop_report(orders, contacts, **JAN, members=members, activity=activity, by="group")
    joins = by[by["id"] == "group_joins"].set_index("group")["value"]
    assert joins.to_dict() == {"A": 3, "B": 2}
    assert by.set_index("id").loc["gmv", "note"] == "gmv cannot be split by group"
    assert ((by["value"].isna()) == (by["note"] != "")).all()


def test_loop_report_when_every_metric_fails_still_lists_them_all(orders):
    """No contacts and by="channel": nothing can be split, every row says why (no crash)."""
    report = metrics.loop_report(orders, None, **JAN, by="channel")
    assert report["id"].tolist() == list(metrics.REGISTRY)
    assert report["value"].isna().all() and (report["note"] != "").all()
    assert {"channel", "value", "numerator", "denominator"} <= set(report.columns)
