"""Point-in-time customer features (sikit._features) and the CDNOW reference data (sikit.datasets).

The CDNOW test checks ``btyd_summary`` against figures published by
Fader, Hardie & Lee (2005); everything else checks the features against
hand-computed values, an independent reference computation, or the rule
that nothing after ``as_of`` may change them.
"""

from __future__ import annotations

import copy
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sikit
from sikit import _schema as S
from sikit._errors import SikitInputError
from sikit._features import as_of_day, btyd_summary, paid_orders, rfm
from sikit.datasets import CDNOW_CALIBRATION_END, load_cdnow, load_cdnow_summary

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"
TZ = S.TIMEZONE
BTYD_COLUMNS = ["frequency", "recency", "T", "monetary_value"]


def _orders(rows, tz=TZ):
    """Clean-looking orders from (customer_id, local wall time, net_amount, status) tuples.

    ``tz``: "Asia/Shanghai" (tz-aware local), "UTC" (same instants shown in UTC) or None (naive local).
    """
    times = pd.Series([r[1] for r in rows], dtype="datetime64[us]")
    if tz is not None:
        times = times.dt.tz_localize(TZ).dt.tz_convert(tz)
    return pd.DataFrame({
        S.CUSTOMER_ID: pd.Series([r[0] for r in rows], dtype="str"),
        S.ORDER_TIME: times,
        S.NET_AMOUNT: pd.Series([r[2] for r in rows], dtype="float64"),
        S.STATUS: pd.Series([r[3] for r in rows], dtype="str"),
    })


def _contacts(rows, tz=TZ):
    """Clean-looking contacts from (customer_id, local wall time or None) tuples."""
    added = pd.Series([pd.NaT if r[1] is None else r[1] for r in rows], dtype="datetime64[us]")
    if tz is not None:
        added = added.dt.tz_localize(TZ).dt.tz_convert(tz)
    return pd.DataFrame({S.CUSTOMER_ID: pd.Series([r[0] for r in rows], dtype="str"), S.ADDED_AT: added})


def _ts(text):
    return pd.Timestamp(text).to_pydatetime()


# --- 1. CDNOW: the published calibration summary ------------------------------------


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow("sample")


def test_cdnow_sample_shape(cdnow):
    assert cdnow[S.CUSTOMER_ID].nunique() == 2357
    assert len(cdnow) == 6919
    assert (cdnow[S.STATUS] == S.PAID).all()
    assert (cdnow[S.NET_AMOUNT] == cdnow[S.AMOUNT]).all()
    assert cdnow[S.ORDER_TIME].min() == pd.Timestamp("1997-01-01")
    assert cdnow[S.ORDER_TIME].max() == pd.Timestamp("1998-06-30")
    # the sample's customers are numbered 1..2357, as text without leading zeros
    assert set(cdnow[S.CUSTOMER_ID]) == {str(i) for i in range(1, 2358)}


def test_btyd_summary_matches_hardies_published_cdnow_summary(cdnow):
    published = load_cdnow_summary()
    assert len(published) == 2357
    assert int(published["frequency"].sum()) == 2457  # Fader, Hardie & Lee (2005)

    ours = btyd_summary(cdnow, CDNOW_CALIBRATION_END, unit="W")
    assert list(ours.columns) == BTYD_COLUMNS
    assert ours.index.is_unique
    assert set(ours.index) == set(published.index)
    ours = ours.loc[published.index]

    assert int(ours["frequency"].sum()) == 2457
    assert (ours["frequency"].to_numpy() == published["frequency"].to_numpy()).all()
    # published values are rounded to two decimals: at most 0.005 off (plus float noise)
    for col in ["recency", "T", "monetary_value"]:
        diff = (ours[col] - published[col]).abs()
        assert diff.max() <= 0.005 + 1e-9, (col, diff.idxmax(), ours[col][diff.idxmax()], published[col][diff.idxmax()])
    # every customer made a first purchase in the first 12 weeks of 1997: T within (27, 39]
    assert ours["T"].between(39 - 12, 39 + 1e-9).all()


def test_rfm_collapsed_frequency_is_btyd_frequency_plus_one(cdnow):
    published = load_cdnow_summary()
    features = rfm(cdnow, CDNOW_CALIBRATION_END, collapse_same_day=True)
    assert set(features.index) == set(published.index)
    repeat = features[S.FREQUENCY].loc[published.index] - 1
    assert (repeat.to_numpy() == published["frequency"].to_numpy()).all()
    # without collapsing, records on the same day count separately: never fewer
    per_order = rfm(cdnow, CDNOW_CALIBRATION_END)
    assert (per_order[S.FREQUENCY] >= features[S.FREQUENCY]).all()
    n_in_period = (cdnow[S.ORDER_TIME] <= pd.Timestamp("1997-09-30 23:59:59")).sum()
    assert per_order[S.FREQUENCY].sum() == n_in_period
    # T in weeks is days since the first purchase / 7
    btyd = btyd_summary(cdnow, CDNOW_CALIBRATION_END, unit="W")
    np.testing.assert_allclose(btyd["T"].loc[features.index] * 7,
                               features[S.DAYS_SINCE_FIRST].astype("float64"))


# --- 6. CDNOW master ---------------------------------------------------------------------


def test_cdnow_master():
    master = load_cdnow("master")
    assert master[S.CUSTOMER_ID].nunique() == 23570
    assert len(master) == 69659
    assert master[S.ORDER_ID].is_unique
    assert master[S.NET_AMOUNT].notna().all() and master[S.ORDER_TIME].notna().all()
    assert set(master[S.CUSTOMER_ID]) == {str(i) for i in range(1, 23571)}


def test_cdnow_sample_is_part_of_master(cdnow):
    """The 1/10 sample's records, keyed by day and amount, are all in the master file."""
    master = load_cdnow("master")
    key = [S.ORDER_TIME, S.NET_AMOUNT, "quantity"]
    sample_keys = cdnow[key].value_counts()
    master_keys = master[key].value_counts().reindex(sample_keys.index, fill_value=0)
    assert (master_keys >= sample_keys).all()


@pytest.mark.parametrize("kind", ["bogus", "Sample", ""])
def test_cdnow_unknown_kind(kind):
    with pytest.raises(ValueError, match="sample"):
        load_cdnow(kind)


# --- 2a. point in time: property test -----------------------------------------------------

ORIGIN = pd.Timestamp("2025-01-01")
IDS = ["a", "b", "c", "10", "010"]
STATUSES = [S.PAID, S.PAID, S.PAID, S.REFUNDED, S.CANCELLED, S.UNPAID]
amounts = st.integers(0, 200_000).map(lambda cents: cents / 100)
order_st = st.tuples(st.sampled_from(IDS), st.integers(0, 90 * 1440 - 1), amounts, st.sampled_from(STATUSES))
# offsets in minutes from the end of the as_of day (local midnight after it)
later_order_st = st.tuples(st.sampled_from(IDS + ["new1", "new2"]), st.integers(0, 60 * 1440),
                           amounts, st.sampled_from(STATUSES))
contact_st = st.tuples(st.sampled_from(IDS + ["x", "y"]), st.one_of(st.none(), st.integers(-30 * 1440, 90 * 1440)))
later_contact_st = st.tuples(st.sampled_from(IDS + ["x", "z"]), st.integers(0, 60 * 1440))


def _at(minutes):
    return (ORIGIN + pd.Timedelta(minutes=minutes)).to_pydatetime()


def _reference(rows, as_of):
    """rfm/btyd figures computed the slow, obvious way from local wall times."""
    paid = [(c, t.date(), amt) for c, t, amt, status in rows if status == S.PAID and t.date() <= as_of]
    out = {}
    for cust in {c for c, _, _ in paid}:
        mine = [(d, amt) for c, d, amt in paid if c == cust]
        days = sorted({d for d, _ in mine})
        per_day = {d: sum(amt for dd, amt in mine if dd == d) for d in days}
        total = sum(amt for _, amt in mine)
        out[cust] = {
            "n_orders": len(mine), "n_days": len(days), "total": total,
            "first": days[0], "last": days[-1],
            "repeat_mean": (total - per_day[days[0]]) / (len(days) - 1) if len(days) > 1 else 0.0,
        }
    return out


@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    base=st.lists(order_st, max_size=25),
    as_of_offset=st.integers(-3, 92),
    later=st.lists(later_order_st, min_size=1, max_size=8),
    contacts=st.lists(contact_st, max_size=8),
    later_contacts=st.lists(later_contact_st, min_size=1, max_size=4),
    tz=st.sampled_from([TZ, "UTC", None]),
    collapse=st.booleans(),
    split=st.integers(0, 8),
)
def test_nothing_after_as_of_changes_the_features(base, as_of_offset, later, contacts, later_contacts,
                                                  tz, collapse, split):
    as_of = (ORIGIN + pd.Timedelta(days=as_of_offset)).date()
    end = (as_of_offset + 1) * 1440  # minutes from ORIGIN to the local midnight ending as_of
    rows = [(c, _at(m), a, s) for c, m, a, s in base]
    late_rows = [(c, _at(end + m), a, s) for c, m, a, s in later]
    contact_rows = [(c, None if m is None else _at(m)) for c, m in contacts]
    late_contact_rows = [(c, _at(end + m)) for c, m in later_contacts]
    is_late = [t.date() > as_of for _, t, _, _ in rows]
    assert not any(t.date() <= as_of for _, t, _, _ in late_rows)

    def features(order_rows, contact_rows_):
        o, c = _orders(order_rows, tz), _contacts(contact_rows_, tz)
        return (rfm(o, as_of, collapse_same_day=collapse), rfm(o, as_of, contacts=c, collapse_same_day=collapse),
                btyd_summary(o, as_of), btyd_summary(o, as_of, unit="W"))

    expected = features(rows, contact_rows)
    variants = {
        "later orders added around the others": late_rows[:split] + rows + late_rows[split:],
        "later orders deleted": [r for r, late in zip(rows, is_late) if not late],
        "later orders changed": [
            (f"{c}-changed", t + dt.timedelta(days=3), a * 3 + 1, S.PAID if s != S.PAID else S.REFUNDED)
            if late else (c, t, a, s)
            for (c, t, a, s), late in zip(rows, is_late)
        ],
    }
    for name, variant in variants.items():
        for got, want in zip(features(variant, contact_rows), expected):
            pd.testing.assert_frame_equal(got, want, obj=name)
    # contacts added after as_of, or deleted / moved when they were added after as_of
    late_contact = [r[1] is not None and r[1].date() > as_of for r in contact_rows]
    contact_variants = {
        "later contacts added": late_contact_rows + contact_rows,
        "later contacts deleted": [r for r, late in zip(contact_rows, late_contact) if not late],
        "later contacts moved": [(c, t + dt.timedelta(days=5)) if late else (c, t)
                                 for (c, t), late in zip(contact_rows, late_contact)],
    }
    orders = _orders(rows, tz)
    for name, variant in contact_variants.items():
        got = rfm(orders, as_of, contacts=_contacts(variant, tz), collapse_same_day=collapse)
        pd.testing.assert_frame_equal(got, expected[1], obj=name)

    # and the features themselves agree with a slow reference computation
    ref = _reference(rows, as_of)
    per_order, with_contacts, days, weeks = expected
    assert list(per_order.index) == sorted(ref)
    assert list(days.index) == sorted(ref)
    for cust, r in ref.items():
        f = per_order.loc[cust]
        assert f[S.FREQUENCY] == (r["n_days"] if collapse else r["n_orders"])
        assert f[S.MONETARY] == pytest.approx(r["total"])
        assert f[S.RECENCY_DAYS] == (as_of - r["last"]).days
        assert f[S.DAYS_SINCE_FIRST] == (as_of - r["first"]).days
        assert f[S.TENURE_DAYS] == (as_of - r["first"]).days
        b = days.loc[cust]
        assert b["frequency"] == r["n_days"] - 1
        assert b["recency"] == (r["last"] - r["first"]).days
        assert b["T"] == (as_of - r["first"]).days
        assert b["monetary_value"] == pytest.approx(r["repeat_mean"])
    pd.testing.assert_series_equal(weeks["T"] * 7, days["T"], check_names=False)
    pd.testing.assert_series_equal(weeks["recency"] * 7, days["recency"], check_names=False)
    # with contacts: buyers plus contacts added by the end of as_of, nobody else
    known = {c for c, t in contact_rows if t is not None and t.date() <= as_of}
    assert set(with_contacts.index) == set(ref) | known


# --- 2b. point in time on the committed sample ---------------------------------------------


@pytest.fixture(scope="module")
def sample():
    return sikit.clean(contacts=SAMPLE / "contacts.csv", orders=SAMPLE / "orders.xlsx")


AS_OF = "2025-06-30"
CUTOFF = pd.Timestamp("2025-07-01", tz=TZ)  # first instant after AS_OF, local time


def test_sample_rfm_sees_only_the_past(sample):
    orders, contacts = sample.orders, sample.contacts
    assert orders[S.ORDER_TIME].max() >= CUTOFF  # the sample does run past AS_OF
    assert contacts[S.ADDED_AT].max() >= CUTOFF
    past_orders = orders[orders[S.ORDER_TIME] < CUTOFF]
    past_contacts = contacts[contacts[S.ADDED_AT] < CUTOFF]

    for collapse in (False, True):
        pd.testing.assert_frame_equal(rfm(orders, AS_OF, collapse_same_day=collapse),
                                      rfm(past_orders, AS_OF, collapse_same_day=collapse))
    full = rfm(orders, AS_OF, contacts=contacts)
    pd.testing.assert_frame_equal(full, rfm(past_orders, AS_OF, contacts=past_contacts))
    pd.testing.assert_frame_equal(btyd_summary(orders, AS_OF, unit="W"), btyd_summary(past_orders, AS_OF, unit="W"))

    buyers = set(past_orders.loc[past_orders[S.STATUS] == S.PAID, S.CUSTOMER_ID])
    later_contacts = set(contacts[S.CUSTOMER_ID]) - set(past_contacts[S.CUSTOMER_ID])
    assert later_contacts - buyers  # there are contacts added later who had not bought by then...
    assert not (set(full.index) & (later_contacts - buyers))  # ...and none of them appears
    assert set(full.index) == buyers | set(past_contacts[S.CUSTOMER_ID])
    assert full[S.LAST_PURCHASE].max() <= pd.Timestamp(AS_OF)
    assert (full[S.RECENCY_DAYS].dropna() >= 0).all()
    assert (full[S.TENURE_DAYS] >= 0).all() and full[S.TENURE_DAYS].notna().all()
    bought = full[S.FREQUENCY] > 0
    assert (full.loc[bought, S.TENURE_DAYS] >= full.loc[bought, S.DAYS_SINCE_FIRST]).all()
    assert (full.loc[bought, S.DAYS_SINCE_FIRST] >= full.loc[bought, S.RECENCY_DAYS]).all()


def test_sample_rfm_totals_match_paid_orders(sample):
    orders = sample.orders
    features = rfm(orders, "2026-10-31")
    paid = orders[orders[S.STATUS] == S.PAID]
    assert features[S.FREQUENCY].sum() == len(paid)
    assert features[S.MONETARY].sum() == pytest.approx(paid[S.NET_AMOUNT].sum())
    assert set(features.index) == set(paid[S.CUSTOMER_ID])
    assert features.index.is_monotonic_increasing and features.index.is_unique
    np.testing.assert_allclose(features[S.MONETARY_MEAN], features[S.MONETARY] / features[S.FREQUENCY])


def test_sample_weeks_are_days_over_seven(sample):
    days = btyd_summary(sample.orders, AS_OF, unit="D")
    weeks = btyd_summary(sample.orders, AS_OF, unit="W")
    assert len(days) > 100
    np.testing.assert_allclose(weeks["T"] * 7, days["T"])
    np.testing.assert_allclose(weeks["recency"] * 7, days["recency"])
    pd.testing.assert_series_equal(weeks["frequency"], days["frequency"])
    pd.testing.assert_series_equal(weeks["monetary_value"], days["monetary_value"])
    assert (days["T"] >= days["recency"]).all() and (days["recency"] >= 0).all()


# --- 3. the local-day boundary ---------------------------------------------------------------------


@pytest.mark.parametrize("tz", [TZ, "UTC", "America/New_York", None])
def test_as_of_ends_at_local_midnight(tz):
    orders = _orders([
        ("late_evening", _ts("2025-06-30 23:30"), 10.0, S.PAID),   # 15:30 UTC on the 30th: counts
        ("after_midnight", _ts("2025-07-01 00:10"), 20.0, S.PAID),  # 16:10 UTC on the 30th: does not
        ("early_morning", _ts("2025-06-30 00:05"), 30.0, S.PAID),   # 16:05 UTC on the 29th: the 30th locally
    ], tz=tz)
    features = rfm(orders, "2025-06-30")
    assert list(features.index) == ["early_morning", "late_evening"]
    assert (features[S.RECENCY_DAYS] == 0).all()
    assert (features[S.LAST_PURCHASE] == pd.Timestamp("2025-06-30")).all()
    summary = btyd_summary(orders, "2025-06-30")
    assert list(summary.index) == ["early_morning", "late_evening"]
    assert (summary["T"] == 0).all()
    assert list(paid_orders(orders, "2025-06-30")["order_day"]) == [pd.Timestamp("2025-06-30")] * 2
    # one day later the after-midnight order counts too
    assert list(rfm(orders, "2025-07-01").index) == ["after_midnight", "early_morning", "late_evening"]
    # and a day earlier only nothing: the 00:05 order is on the 30th in Shanghai even though it is the 29th in UTC
    assert rfm(orders, "2025-06-29").empty


def test_same_instants_in_utc_give_the_same_features():
    rows = [
        ("a", _ts("2025-06-30 23:30"), 10.0, S.PAID),
        ("a", _ts("2025-06-30 07:59"), 5.0, S.PAID),
        ("a", _ts("2025-06-29 08:00"), 7.0, S.PAID),
        ("b", _ts("2025-07-01 00:10"), 20.0, S.PAID),
        ("b", _ts("2025-06-01 00:00"), 1.0, S.PAID),
    ]
    contacts = [("a", _ts("2025-05-01 00:30")), ("c", _ts("2025-06-30 23:59")), ("d", _ts("2025-07-01 00:00"))]
    local = _orders(rows, tz=TZ)
    utc = _orders(rows, tz="UTC")
    assert (local[S.ORDER_TIME] == utc[S.ORDER_TIME]).all()
    for collapse in (False, True):
        pd.testing.assert_frame_equal(
            rfm(utc, "2025-06-30", contacts=_contacts(contacts, tz="UTC"), collapse_same_day=collapse),
            rfm(local, "2025-06-30", contacts=_contacts(contacts, tz=TZ), collapse_same_day=collapse))
    pd.testing.assert_frame_equal(btyd_summary(utc, "2025-06-30"), btyd_summary(local, "2025-06-30"))
    f = rfm(utc, "2025-06-30", contacts=_contacts(contacts, tz="UTC"), collapse_same_day=True)
    assert list(f.index) == ["a", "b", "c"]
    assert f.loc["a", S.FREQUENCY] == 2  # the 07:59 and 23:30 orders share a local day
    assert f.loc["a", S.TENURE_DAYS] == 60  # added 2025-05-01 local (still 04-30 in UTC)
    assert f.loc["c", S.TENURE_DAYS] == 0


# --- 4. what counts, and how -------------------------------------------------------------------------

AS_OF_4 = "2026-01-31"


@pytest.fixture
def orders4():
    return _orders([
        ("a", _ts("2026-01-01 10:00"), 100.0, S.PAID),
        ("a", _ts("2026-01-01 15:00"), 50.0, S.PAID),
        ("a", _ts("2026-01-21 12:00"), 30.0, S.PAID),       # partly refunded: 80 paid, 50 back
        ("a", _ts("2026-01-25 12:00"), 0.0, S.REFUNDED),
        ("a", _ts("2026-01-30 12:00"), 999.0, S.CANCELLED),
        ("a", _ts("2026-01-31 12:00"), 999.0, S.UNPAID),
        ("a", _ts("2026-02-01 00:00"), 999.0, S.PAID),       # after as_of
        ("b", _ts("2026-01-31 23:59"), 80.0, S.PAID),
        ("r", _ts("2026-01-10 12:00"), 0.0, S.REFUNDED),
        ("r", _ts("2026-01-11 12:00"), 40.0, S.CANCELLED),
        ("r", _ts("2026-01-12 12:00"), 40.0, S.UNPAID),
        ("g", _ts("2026-01-11 09:00"), 12.5, S.PAID),
        ("h", _ts("2026-01-10 09:00"), 20.0, S.PAID),
    ])


@pytest.fixture
def contacts4():
    return _contacts([
        ("a", _ts("2025-12-25 20:00")),   # before the first purchase: tenure from here
        ("b", _ts("2026-02-01 08:00")),   # added after as_of but bought: tenure from the purchase
        ("c", _ts("2026-01-10 08:00")),   # never bought
        ("d", _ts("2026-01-31 23:00")),   # added late on as_of
        ("e", _ts("2026-02-01 00:00")),   # added after as_of, never bought: absent
        ("f", None),                      # no added_at, never bought: absent
        ("g", None),                      # no added_at, bought: present
        ("h", _ts("2026-01-20 08:00")),   # added after the first purchase: tenure from the purchase
        ("r", _ts("2026-01-05 08:00")),   # only refunded/cancelled/unpaid orders
    ])


def test_only_paid_orders_count(orders4):
    paid = paid_orders(orders4, AS_OF_4)
    assert list(paid.columns) == [S.CUSTOMER_ID, "order_day", S.NET_AMOUNT]
    assert sorted(paid[S.CUSTOMER_ID].unique()) == ["a", "b", "g", "h"]
    assert sorted(paid.loc[paid[S.CUSTOMER_ID] == "a", S.NET_AMOUNT]) == [30.0, 50.0, 100.0]
    assert paid["order_day"].max() == pd.Timestamp(AS_OF_4)

    f = rfm(orders4, AS_OF_4)
    assert list(f.index) == ["a", "b", "g", "h"]
    a = f.loc["a"]
    assert a[S.FREQUENCY] == 3
    assert a[S.MONETARY] == 180.0  # 100 + 50 + 30 (net of the partial refund)
    assert a[S.MONETARY_MEAN] == 60.0
    assert a[S.FIRST_PURCHASE] == pd.Timestamp("2026-01-01")
    assert a[S.LAST_PURCHASE] == pd.Timestamp("2026-01-21")
    assert a[S.RECENCY_DAYS] == 10
    assert a[S.DAYS_SINCE_FIRST] == 30
    assert a[S.TENURE_DAYS] == 30  # no contacts: known since the first purchase
    b = f.loc["b"]
    assert (b[S.RECENCY_DAYS], b[S.DAYS_SINCE_FIRST], b[S.FREQUENCY], b[S.MONETARY]) == (0, 0, 1, 80.0)


def test_collapse_same_day_counts_purchase_days(orders4):
    f = rfm(orders4, AS_OF_4, collapse_same_day=True)
    assert f.loc["a", S.FREQUENCY] == 2  # 01-01 (two orders) and 01-21
    assert f.loc["a", S.MONETARY] == 180.0
    assert f.loc["a", S.MONETARY_MEAN] == 90.0
    assert f.loc["a", S.RECENCY_DAYS] == 10

    s = btyd_summary(orders4, AS_OF_4)
    assert list(s.columns) == BTYD_COLUMNS
    assert list(s.index) == ["a", "b", "g", "h"]
    assert s.loc["a"].tolist() == [1, 20.0, 30.0, 30.0]  # repeat day 01-21 spent 30
    assert s.loc["b"].tolist() == [0, 0.0, 0.0, 0.0]
    w = btyd_summary(orders4, AS_OF_4, unit="W")
    assert w.loc["a", "T"] == pytest.approx(30 / 7)
    assert w.loc["a", "recency"] == pytest.approx(20 / 7)
    assert w.loc["a", "monetary_value"] == 30.0


def test_contacts(orders4, contacts4):
    f = rfm(orders4, AS_OF_4, contacts=contacts4)
    assert list(f.index) == ["a", "b", "c", "d", "g", "h", "r"]
    assert f.loc["a", S.TENURE_DAYS] == 37  # added 2025-12-25
    assert f.loc["a", S.DAYS_SINCE_FIRST] == 30
    assert f.loc["b", S.TENURE_DAYS] == 0
    assert f.loc["h", S.TENURE_DAYS] == 21  # first purchase 01-10, added 01-20
    assert f.loc["g", S.TENURE_DAYS] == 20
    for cust, tenure in [("c", 21), ("d", 0), ("r", 26)]:
        row = f.loc[cust]
        assert row[S.FREQUENCY] == 0
        assert row[S.MONETARY] == 0.0
        assert pd.isna(row[S.RECENCY_DAYS])
        assert pd.isna(row[S.DAYS_SINCE_FIRST])
        assert pd.isna(row[S.MONETARY_MEAN])
        assert pd.isna(row[S.FIRST_PURCHASE]) and pd.isna(row[S.LAST_PURCHASE])
        assert row[S.TENURE_DAYS] == tenure
    # buyers' figures do not depend on whether contacts are given
    without = rfm(orders4, AS_OF_4)
    cols = [S.FIRST_PURCHASE, S.LAST_PURCHASE, S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, S.MONETARY_MEAN,
            S.DAYS_SINCE_FIRST]
    pd.testing.assert_frame_equal(f.loc[without.index, cols], without[cols])
    assert f[S.FREQUENCY].dtype == "int64"
    assert str(f[S.RECENCY_DAYS].dtype) == "Int64" and str(f[S.TENURE_DAYS].dtype) == "Int64"


def test_contacts_only_no_orders_before_as_of(orders4, contacts4):
    f = rfm(orders4, "2025-12-31", contacts=contacts4)
    assert list(f.index) == ["a"]
    assert f.loc["a", S.FREQUENCY] == 0 and f.loc["a", S.TENURE_DAYS] == 6
    assert rfm(orders4, "2025-12-31").empty
    assert btyd_summary(orders4, "2025-12-31").empty


def test_duplicate_contacts_use_the_earliest_added_at(orders4):
    contacts = _contacts([("c", _ts("2026-01-20 08:00")), ("c", _ts("2026-01-10 08:00")),
                          ("c", _ts("2026-03-01 08:00"))])
    f = rfm(orders4, AS_OF_4, contacts=contacts)
    assert f.index.is_unique
    assert f.loc["c", S.TENURE_DAYS] == 21


# --- 5. inputs, errors, as_of -------------------------------------------------------------------------


def test_inputs_are_not_mutated(orders4, contacts4, sample):
    for orders, contacts in [(orders4, contacts4), (_orders([("a", _ts("2026-01-01 10:00"), 1.0, S.PAID)], tz="UTC"),
                                                    _contacts([("a", _ts("2025-12-01 10:00"))], tz="UTC")),
                             (sample.orders, sample.contacts)]:
        o_before, c_before = copy.deepcopy(orders), copy.deepcopy(contacts)
        rfm(orders, AS_OF_4, contacts=contacts, collapse_same_day=True)
        rfm(orders, AS_OF_4)
        btyd_summary(orders, AS_OF_4, unit="W")
        paid_orders(orders, AS_OF_4)
        pd.testing.assert_frame_equal(orders, o_before)
        pd.testing.assert_frame_equal(contacts, c_before)


@pytest.mark.parametrize("column", [S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS])
def test_missing_order_column(orders4, column):
    broken = orders4.drop(columns=column)
    for call in (lambda: rfm(broken, AS_OF_4), lambda: btyd_summary(broken, AS_OF_4),
                 lambda: paid_orders(broken, AS_OF_4)):
        with pytest.raises(SikitInputError, match=column):
            call()


@pytest.mark.parametrize("column", [S.CUSTOMER_ID, S.ADDED_AT])
def test_missing_contact_column(orders4, contacts4, column):
    with pytest.raises(SikitInputError, match=column):
        rfm(orders4, AS_OF_4, contacts=contacts4.drop(columns=column))


@pytest.mark.parametrize("as_of", [
    "2026-10-31", "2026/10/31", "20261031", dt.date(2026, 10, 31), dt.datetime(2026, 10, 31),
    pd.Timestamp("2026-10-31"), pd.Timestamp("2026-10-31", tz=TZ), "2026-10-31T00:00:00+08:00",
    np.datetime64("2026-10-31"),
])
def test_as_of_day_accepts_days(as_of):
    day = as_of_day(as_of)
    assert isinstance(day, pd.Timestamp)
    assert day == pd.Timestamp("2026-10-31")
    assert day.tzinfo is None


@pytest.mark.parametrize("as_of", [
    "2026-10-31 12:00", "2026-10-31 00:00:01", pd.Timestamp("2026-10-31 23:59:59"),
    dt.datetime(2026, 10, 31, 0, 0, 0, 1), pd.Timestamp("2026-10-31 08:00", tz=TZ),
    "garbage", "", "2026-02-30", "2026-13-01", None, float("nan"), pd.NaT,
])
def test_as_of_day_refuses_non_days(as_of, orders4):
    with pytest.raises(SikitInputError, match="as_of must be a day"):
        as_of_day(as_of)
    with pytest.raises(SikitInputError):
        rfm(orders4, as_of)
    with pytest.raises(SikitInputError):
        btyd_summary(orders4, as_of)


@pytest.mark.parametrize("unit", ["M", "days", "w", "", "7D", None])
def test_btyd_unit(orders4, unit):
    with pytest.raises(SikitInputError, match="unit"):
        btyd_summary(orders4, AS_OF_4, unit=unit)


def test_naive_times_are_local(orders4):
    naive = orders4.assign(**{S.ORDER_TIME: orders4[S.ORDER_TIME].dt.tz_localize(None)})
    pd.testing.assert_frame_equal(rfm(naive, AS_OF_4), rfm(orders4, AS_OF_4))
    pd.testing.assert_frame_equal(btyd_summary(naive, AS_OF_4), btyd_summary(orders4, AS_OF_4))
