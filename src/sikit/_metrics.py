"""A registry of business metrics, each with zh/en names, a one-sentence definition and documented defaults.

Every metric is computed from the clean tables for a period ``[start, end]``
of local days (both inclusive) and sees only paid orders placed inside it,
so orders after ``end`` never change a value. The one exception is
``return_rate`` (回购率), which by definition looks at the period after
``end``; it therefore takes an explicit ``as_of`` and refuses to run until
that next period has fully passed.

This module holds the repurchase family: GMV, orders, buyers, active
customers (buyers of the last 30 days up to ``end``), AOV, ARPU,
purchase frequency, repurchase rate, return-purchase rate, plus the cohort
retention matrix; the acquisition family (引流: new contacts, the pool size
at ``end``, referral share, net growth and lost contacts from the deletion
log ``deletions=``, plus :func:`acquisition`, new contacts by month and
channel); the conversion family
(转化: conversion rate within N days of being added, days to the first
purchase, first order value); and the fission family (裂变: invitations per
referrer, K-factor, plus :func:`referral_tree`, :func:`top_referrers` and
:func:`referred_vs_other`); and the cost family (成本: cost per new contact
加粉成本, CAC 获客成本 -- for the channel 朋友圈/老带新 the referral CAC --
and observed LTV/CAC), which takes the channel cost table as ``costs=``;
and the 社群 (WeChat group) family: members, joins, exits, exit rate,
silent member share, messages per member-day, plus :func:`group_lifecycle`
(成长/稳定/衰退), which take the group tables as ``members=`` and
``activity=``.

Group metrics count memberships, (group, customer) pairs, at local-day
resolution: a member is in a group at the end of day d when they joined on
or before d and had not left by the end of d. Rows of the member table that
join after ``end`` are not seen, and a departure after ``end`` is not known
yet. A customer who left and rejoined has two rows (spells): each join and
exit counts, and overlapping rows of one customer in one group are merged
into one spell.

Cost metrics divide spend booked per channel and calendar month, so their
period must be whole months (a part month is refused, naming it). Spend and
contacts are matched by (channel, month added): a contact whose channel has
no spend row for that month has an unknown cost, not zero, and is left out of
both sides and counted in ``uncosted_contacts``; spend of a channel that
added nobody still counts. By channel, a channel without spend rows has a NaN
spend and value, and Σnumerator / Σdenominator of the groups (NaN skipped)
gives the total.

Contact metrics (``Metric.base == "contacts"``) count the contacts *added*
in the period (local day of ``added_at``); a contact without ``added_at``
cannot be placed in time and is never counted. Two metrics are stocks at
the end of the period instead (``Metric.at_end``) and ignore its start:
``pool_size`` (contacts added by ``end`` and not deleted by then) and
``active_customers`` (buyers in the ``window_days`` ending on ``end``).
Conversion metrics follow
each contact for ``within_days`` after the day it was added and see orders
only up to ``as_of`` (default: the period end); contacts whose window has
not closed by ``as_of`` are left out of the base rather than counted as
not converted.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from . import _schema as S
from ._errors import SikitInputError, require_columns
from ._features import _local_day, as_of_day, paid_orders

__all__ = ["Metric", "REGISTRY", "describe", "compute", "cohort_retention", "acquisition", "DIMENSIONS",
           "referral_tree", "top_referrers", "referred_vs_other", "group_lifecycle", "LIFECYCLE_RULE"]

_DAY = "order_day"
#: When a contact was deleted: a column of the deletion log (deletions=), not of the contacts.
DELETED_AT = S.DELETED_AT
_ALL_DIMS = ("channel", "staff", "store", "month")

#: Dimensions accepted by ``compute(..., by=...)`` and where each one comes from.
DIMENSIONS: dict[str, str] = {
    S.CHANNEL: "contacts",   # the acquisition channel of the customer's contact
    S.STAFF: "contacts",     # the staff account that added the contact
    S.STORE: "orders",       # the store of each order
    "month": "period",       # calendar months of the period
    "group": "groups",       # the WeChat group (社群) of the member and activity tables
    S.DELETED_BY: "deletions",  # who removed whom in the deletion log: customer or staff
}


@dataclass(frozen=True)
class Metric:
    """One metric: identity, bilingual labels, definition, defaults and the function computing it.

    ``compute(orders, contacts, *, start, end, **params)`` returns a dict
    with ``value`` and, for ratios, ``numerator`` and ``denominator``;
    :func:`compute` is the public entry point that validates input and
    splits by a dimension.
    """

    id: str
    name_zh: str
    name_en: str
    definition_zh: str
    definition_en: str
    grain: str  # "order" or "customer": what one unit of the count is
    params: dict = field(default_factory=dict)
    compute: Callable = field(default=None, repr=False)
    ratio: bool = False
    #: "orders": the period selects orders and by=channel/staff splits order rows by
    #: their customer's contact; "contacts": the period selects contacts by the day
    #: they were added and by=channel/staff splits the contacts themselves.
    base: str = "orders"
    #: "groups": the group member (members=) and activity (activity=) tables; by="group" splits
    #: both by group_name.
    #: the dimensions by= accepts for this metric
    by: tuple = _ALL_DIMS
    needs_orders: bool = True
    #: True for a stock at the end of the period (pool_size, active_customers): the start is
    #: ignored, and by= finds its groups among what is known at the end (contacts added by
    #: then, orders of the window ending on it), not among what the period added.
    at_end: bool = False


# --- helpers ---------------------------------------------------------------------------

def _day(value, name: str) -> pd.Timestamp:
    try:
        return as_of_day(value)
    except SikitInputError:
        # as_of_day's message names as_of; say which argument was wrong instead
        raise SikitInputError(
            f"{name} must be a day such as 2026-10-31 (the whole day counts), got {value!r}") from None


def _paid_between(orders: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    # paid_orders already cuts at the end of `end`; only the lower bound is left
    paid = paid_orders(orders, end)
    return paid[paid[_DAY] >= start]


def _window_start(end: pd.Timestamp, window_days) -> pd.Timestamp:
    """First day of the ``window_days`` days ending on ``end`` (both included).

    Examples
    --------
    >>> _window_start(pd.Timestamp("2026-01-31"), 30)
    Timestamp('2026-01-02 00:00:00')
    """
    if not isinstance(window_days, (int, np.integer)) or isinstance(window_days, bool) or window_days < 1:
        raise SikitInputError(f"window_days must be a whole number of days >= 1, got {window_days!r}")
    return end - pd.Timedelta(days=int(window_days) - 1)


def _purchases(paid: pd.DataFrame, merge_same_day: bool) -> pd.DataFrame:
    """Purchase units: every paid order, or one per customer and local day."""
    return paid.drop_duplicates([S.CUSTOMER_ID, _DAY]) if merge_same_day else paid


def _ratio(numerator, denominator) -> dict:
    value = numerator / denominator if denominator else np.nan
    return {"value": float(value), "numerator": numerator, "denominator": denominator}


def _next_period(start: pd.Timestamp, end: pd.Timestamp) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The period right after ``[start, end]`` of equal length.

    Whole calendar months are followed by the same number of calendar months
    (January -> February, Q1 -> Q2), because that is how operators read
    "next period"; any other period by the same number of days.

    Examples
    --------
    >>> _next_period(pd.Timestamp("2026-01-01"), pd.Timestamp("2026-01-31"))
    (Timestamp('2026-02-01 00:00:00'), Timestamp('2026-02-28 00:00:00'))
    >>> _next_period(pd.Timestamp("2026-01-05"), pd.Timestamp("2026-01-11"))
    (Timestamp('2026-01-12 00:00:00'), Timestamp('2026-01-18 00:00:00'))
    """
    first = end + pd.Timedelta(days=1)
    if start.is_month_start and end.is_month_end:
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        return first, first + pd.DateOffset(months=months) - pd.Timedelta(days=1)
    return first, end + (end - start) + pd.Timedelta(days=1)


# --- the metrics ---------------------------------------------------------------------

def _gmv(orders, contacts, *, start, end):
    return {"value": float(_paid_between(orders, start, end)[S.NET_AMOUNT].sum())}


def _orders(orders, contacts, *, start, end):
    return {"value": int(len(_paid_between(orders, start, end)))}


def _buyers(orders, contacts, *, start, end):
    return {"value": int(_paid_between(orders, start, end)[S.CUSTOMER_ID].nunique())}


def _active_customers(orders, contacts, *, start, end, window_days):
    # the buyers of the window ending on end, wherever the period starts
    return _buyers(orders, contacts, start=_window_start(end, window_days), end=end)


def _aov(orders, contacts, *, start, end):
    paid = _paid_between(orders, start, end)
    return _ratio(float(paid[S.NET_AMOUNT].sum()), int(len(paid)))


def _arpu(orders, contacts, *, start, end):
    paid = _paid_between(orders, start, end)
    return _ratio(float(paid[S.NET_AMOUNT].sum()), int(paid[S.CUSTOMER_ID].nunique()))


def _purchase_frequency(orders, contacts, *, start, end, merge_same_day):
    paid = _paid_between(orders, start, end)
    return _ratio(int(len(_purchases(paid, merge_same_day))), int(paid[S.CUSTOMER_ID].nunique()))


def _repurchase_rate(orders, contacts, *, start, end, merge_same_day):
    per_buyer = _purchases(_paid_between(orders, start, end), merge_same_day)[S.CUSTOMER_ID].value_counts()
    return _ratio(int((per_buyer >= 2).sum()), int(len(per_buyer)))


def _return_rate(orders, contacts, *, start, end, as_of):
    if as_of is None:
        raise SikitInputError(
            "return_rate looks at the period after end: give as_of, the last day the orders cover")
    as_of = _day(as_of, "as_of")
    next_start, next_end = _next_period(start, end)
    if next_end > as_of:
        # a half-observed next period would understate the rate, so refuse rather than guess
        raise SikitInputError(
            f"return_rate for {start:%Y-%m-%d}..{end:%Y-%m-%d} needs the next period "
            f"{next_start:%Y-%m-%d}..{next_end:%Y-%m-%d} to have passed, but as_of is {as_of:%Y-%m-%d}")
    buyers = _paid_between(orders, start, end)[S.CUSTOMER_ID].unique()
    again = _paid_between(orders, next_start, next_end)[S.CUSTOMER_ID]
    return _ratio(int(pd.Series(buyers).isin(again).sum()), int(len(buyers)))


# --- contacts: acquisition, conversion, fission ------------------------------------------

def _need_contacts(contacts, what: str, columns=()) -> pd.DataFrame:
    if contacts is None:
        raise SikitInputError(f"{what} counts contacts: pass contacts=")
    require_columns(contacts, [S.CUSTOMER_ID, S.ADDED_AT, *columns], "contacts")
    return contacts


def _ids(values: pd.Series) -> pd.Series:
    """Ids as nullable strings, blanks as NA."""
    out = values.astype("string").str.strip()
    return out.mask(out == "")


def _added_between(contacts: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Contacts whose added_at falls on a local day in [start, end] (a missing added_at never does)."""
    day = _local_day(contacts[S.ADDED_AT])
    return contacts[((day >= start) & (day <= end)).to_numpy()]


def _referrers(contacts: pd.DataFrame) -> tuple[pd.Series, int]:
    """Each contact's referrer id (NA when missing or when it is the contact itself) and the self-referrals."""
    require_columns(contacts, [S.REFERRER_ID], "contacts")
    ref, own = _ids(contacts[S.REFERRER_ID]), _ids(contacts[S.CUSTOMER_ID])
    self_ref = (ref == own).fillna(False).astype(bool)
    return ref.mask(self_ref), int(self_ref.sum())


def _new_contacts(orders, contacts, *, start, end):
    new = _added_between(_need_contacts(contacts, "new_contacts"), start, end)
    return {"value": int(new[S.CUSTOMER_ID].nunique())}


def _need_deletions(deletions, what: str) -> pd.DataFrame:
    """The deletion log a metric needs, checked: a clear error when it is missing."""
    if deletions is None:
        raise SikitInputError(
            f"{what} needs deletions, but no contact deletion table was given (WeCom's customer list shows "
            "only current contacts): pass deletions=, the clean deletions table (customer_id, deleted_at) "
            "written by `sikit clean --deletions` from the 流失客户/删除记录 export; or use new_contacts")
    if not isinstance(deletions, pd.DataFrame):
        raise SikitInputError(f"deletions must be a DataFrame (the clean deletions table), "
                              f"got {type(deletions).__name__}")
    require_columns(deletions, list(S.DELETION_REQUIRED), "deletions")
    return deletions


def _deleted_between(deletions: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Deletion rows whose deleted_at falls on a local day in [start, end] (a missing time never does)."""
    if not pd.api.types.is_datetime64_any_dtype(deletions[DELETED_AT].dtype) and not deletions[DELETED_AT].isna().all():
        raise SikitInputError(f"deletions: deleted_at must be date-times (the clean table), "
                              f"got {deletions[DELETED_AT].dtype}")
    day = _local_day(deletions[DELETED_AT])
    return deletions[((day >= start) & (day <= end)).to_numpy()]


def _lost(deletions, start, end, what: str) -> int:
    gone = _deleted_between(_need_deletions(deletions, what), start, end)
    return int(_ids(gone[S.CUSTOMER_ID]).nunique())


def _net_contact_growth(orders, contacts, *, start, end, deletions):
    contacts = _need_contacts(contacts, "net_contact_growth")
    lost = _lost(deletions, start, end, "net_contact_growth")
    return {"value": int(_added_between(contacts, start, end)[S.CUSTOMER_ID].nunique()) - lost}


def _pool_size(orders, contacts, *, start, end, deletions):
    """Customers in the pool at the end of ``end``: added by then, and not deleted since their last addition."""
    known = _known_at(_need_contacts(contacts, "pool_size"), end)
    ids = _ids(known[S.CUSTOMER_ID]).to_numpy(dtype=object)
    # groupby leaves out a missing id; a customer deleted and added again is in the pool again
    added = pd.Series(_wall(known[S.ADDED_AT], "contacts: added_at").to_numpy()).groupby(ids).max()
    if deletions is None:
        return {"value": int(len(added))}
    deletions = _need_deletions(deletions, "pool_size")
    at = _wall(deletions[DELETED_AT], "deletions: deleted_at")
    seen = (at.dt.normalize() <= end).to_numpy(dtype=bool)     # a deletion after end is not known yet
    deleted = pd.Series(at[seen].to_numpy()).groupby(_ids(deletions[S.CUSTOMER_ID])[seen].to_numpy(dtype=object)).max()
    gone = (deleted.reindex(added.index) >= added).to_numpy(dtype=bool)   # never deleted: NaT compares False
    return {"value": int((~gone).sum())}


def _lost_contacts(orders, contacts, *, start, end, deletions):
    return {"value": _lost(deletions, start, end, "lost_contacts")}


def _deletion_labels(deletions: pd.DataFrame, contacts: pd.DataFrame, by: str) -> pd.Series:
    """The channel or staff of each deleted customer's contact (NA when the customer is no contact)."""
    c = contacts.drop_duplicates(S.CUSTOMER_ID)
    lookup = pd.Series(c[by].to_numpy(), index=_ids(c[S.CUSTOMER_ID]).to_numpy())
    lookup = lookup[lookup.index.notna()]
    return _ids(deletions[S.CUSTOMER_ID]).map(lookup).astype("string").str.strip()


def _deleted_by_labels(deletions: pd.DataFrame) -> pd.Series:
    if S.DELETED_BY not in deletions.columns:
        return pd.Series(pd.NA, index=deletions.index, dtype="string")
    v = _ids(deletions[S.DELETED_BY])
    return v.map(lambda x: S.DELETED_BY_ALIASES.get(x, S.DELETED_BY_ALIASES.get(str(x).lower(), x))
                 if pd.notna(x) else x).astype("string")


def _split_deletions(metric: Metric, orders, contacts, start, end, params) -> pd.DataFrame:
    """lost_contacts by deleted_by: one row per value (customer, staff; NA when not recorded)."""
    deletions = _need_deletions(params.get("deletions"), metric.id)
    labels = _deleted_by_labels(deletions)
    groups = pd.unique(labels[_deleted_between(deletions, start, end).index])
    rows, index = [], []
    for g in groups:
        mask = labels.isna() if pd.isna(g) else (labels == g).fillna(False)
        rows.append(_row(metric, orders, contacts, start, end,
                         {**params, "deletions": deletions[mask.to_numpy(dtype=bool)]}))
        index.append(g)
    out = pd.DataFrame(rows, index=pd.Index(index, name=S.DELETED_BY, dtype="object"),
                       columns=["value", "start", "end"])
    return out.sort_index(na_position="last")


def _referral_share(orders, contacts, *, start, end):
    new = _added_between(_need_contacts(contacts, "referral_share", [S.REFERRER_ID]), start, end)
    ref, _ = _referrers(new)
    return _ratio(int(ref.notna().sum()), int(len(new)))


def _invitations_per_referrer(orders, contacts, *, start, end):
    new = _added_between(_need_contacts(contacts, "invitations_per_referrer", [S.REFERRER_ID]), start, end)
    ref, _ = _referrers(new)
    return _ratio(int(ref.notna().sum()), int(ref.nunique()))


def _k_factor(orders, contacts, *, start, end):
    contacts = _need_contacts(contacts, "k_factor", [S.REFERRER_ID])
    ref, _ = _referrers(_added_between(contacts, start, end))
    known = int((_local_day(contacts[S.ADDED_AT]) < start).sum())
    return _ratio(int(ref.notna().sum()), known)


def _conversion(orders, contacts, start, end, as_of, within_days, what: str) -> pd.DataFrame:
    """Per contact added in [start, end]: ``days`` to the first paid order and whether it ``counts``.

    ``counts`` is False for contacts whose window ``added day + within_days``
    ends after ``as_of`` (not observable yet) and for contacts who had paid
    before the day they were added (already customers, nothing to convert).
    ``converted`` = counts and 0 <= days <= within_days.
    """
    contacts = _need_contacts(contacts, what)
    if not isinstance(within_days, (int, np.integer)) or isinstance(within_days, bool) or within_days < 0:
        raise SikitInputError(f"within_days must be a whole number of days >= 0, got {within_days!r}")
    as_of = end if as_of is None else _day(as_of, "as_of")
    if as_of < end:
        raise SikitInputError(f"as_of ({as_of:%Y-%m-%d}) is before end ({end:%Y-%m-%d}): "
                              "the period's contacts cannot be followed")
    new = _added_between(contacts, start, end).drop_duplicates(S.CUSTOMER_ID)
    added = _local_day(new[S.ADDED_AT]).to_numpy()
    ids = new[S.CUSTOMER_ID].astype("str")
    first = paid_orders(orders, as_of).groupby(S.CUSTOMER_ID)[_DAY].min()
    days = ((ids.map(first).to_numpy() - added) / pd.Timedelta(days=1))
    observable = added + pd.Timedelta(days=within_days) <= as_of
    prior = days < 0            # NaN (never bought) compares False
    counts = observable & ~prior
    converted = counts & (days <= within_days)
    return pd.DataFrame({"days": days, "counts": counts, "converted": converted}, index=ids.to_numpy())


def _conversion_rate(orders, contacts, *, start, end, within_days, as_of):
    c = _conversion(orders, contacts, start, end, as_of, within_days, "conversion_rate")
    return _ratio(int(c["converted"].sum()), int(c["counts"].sum()))


def _days_to_first_purchase(orders, contacts, *, start, end, within_days, as_of):
    c = _conversion(orders, contacts, start, end, as_of, within_days, "days_to_first_purchase")
    days = c.loc[c["converted"], "days"]
    return {"value": float(days.median()) if len(days) else np.nan}


def _first_order_value(orders, contacts, *, start, end):
    o = orders[[S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS]]
    day = _local_day(o[S.ORDER_TIME])
    o = o[((o[S.STATUS] == S.PAID) & o[S.CUSTOMER_ID].notna() & (day <= end)).to_numpy()]
    # each customer's first paid order ever (up to end); ties on the same instant: export order
    first = o.assign(_cid=o[S.CUSTOMER_ID].astype("str")).sort_values(S.ORDER_TIME, kind="stable")
    first = first.drop_duplicates("_cid")
    first = first[(_local_day(first[S.ORDER_TIME]) >= start).to_numpy()]
    return _ratio(float(first[S.NET_AMOUNT].sum()), int(len(first)))


# --- channel costs: 加粉成本, 获客成本, LTV/CAC ---------------------------------------------

#: Column of the cost metrics: new contacts of the period whose channel has no spend row
#: for the month they were added (their cost is unknown, so they are in neither side).
UNCOSTED = "uncosted_contacts"


def _cost_month(value) -> int:
    """A month label ("2026-01", a Period or a date) as a monthly Period ordinal (months since 1970-01)."""
    month = pd.NaT
    try:
        if isinstance(value, pd.Period):
            month = value.asfreq("M")
        elif isinstance(value, (pd.Timestamp, datetime.date)):
            month = pd.Period(value, freq="M")
        elif isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}", value.strip()):
            month = pd.Period(value.strip(), freq="M")   # only YYYY-MM: pandas would read "Jan" as this year
    except (ValueError, TypeError):
        pass
    if month is pd.NaT or pd.isna(month):
        raise SikitInputError(f"channel costs: month must be a calendar month such as 2026-01, got {value!r}")
    return int(month.ordinal)


def _need_costs(costs, what: str) -> pd.DataFrame:
    """The channel cost table as ``channel`` (stripped text), ``month`` (ordinal) and ``spend`` (float).

    Rows without a spend are dropped: no recorded spend is unknown, not zero.
    """
    if costs is None:
        raise SikitInputError(
            f"{what} needs the channel cost table (channel_costs: channel, month, spend), one row per "
            "channel and month: pass costs=, e.g. the channel_costs.parquet written by `sikit clean --costs`")
    if not isinstance(costs, pd.DataFrame):
        raise SikitInputError(f"costs must be a DataFrame with columns channel, month, spend, got {type(costs).__name__}")
    require_columns(costs, list(S.COST_REQUIRED), "channel costs")
    spend = pd.to_numeric(costs[S.SPEND], errors="coerce")
    bad = costs[S.SPEND].notna().to_numpy() & spend.isna().to_numpy()
    if bad.any():
        raise SikitInputError(f"channel costs: spend must be a number of yuan, got {costs[S.SPEND][bad].iloc[0]!r}")
    keep = spend.notna().to_numpy()
    ordinals = {v: _cost_month(v) for v in pd.unique(costs[S.MONTH][keep])}
    return pd.DataFrame({
        S.CHANNEL: costs[S.CHANNEL][keep].astype("string").str.strip().to_numpy(),
        S.MONTH: costs[S.MONTH][keep].map(ordinals).to_numpy(dtype="int64"),
        S.SPEND: spend[keep].to_numpy(dtype="float64"),
    })


def _whole_months(start: pd.Timestamp, end: pd.Timestamp, what: str) -> None:
    """Refuse a period that covers part of a calendar month: spend is booked per whole month."""
    if start.is_month_start and end.is_month_end:
        return
    partial = sorted({f"{d:%Y-%m}" for d, whole in ((start, start.is_month_start), (end, end.is_month_end))
                      if not whole})
    lo, hi = start.to_period("M").start_time, end.to_period("M").end_time.normalize()
    raise SikitInputError(
        f"{what} divides spend booked per calendar month, so the period must be whole months, but "
        f"{start:%Y-%m-%d}..{end:%Y-%m-%d} covers only part of {', '.join(partial)}; "
        f"use e.g. start={lo:%Y-%m-%d} end={hi:%Y-%m-%d}")


def _period_costs(costs, start: pd.Timestamp, end: pd.Timestamp, what: str) -> pd.DataFrame:
    """The cost rows of the months of ``[start, end]`` (a period of whole months)."""
    costs = _need_costs(costs, what)
    _whole_months(start, end, what)
    first, last = start.to_period("M").ordinal, end.to_period("M").ordinal
    return costs[((costs[S.MONTH] >= first) & (costs[S.MONTH] <= last)).to_numpy()]


def _cells(channel: pd.Series, month) -> pd.Series:
    """A (channel, month) key per row; NA when the channel is missing."""
    channel = pd.Series(channel, dtype="string").str.strip().reset_index(drop=True)
    return channel + "|" + pd.Series(month, dtype="int64").reset_index(drop=True).astype("string")


def _cost_base(contacts, costs, start, end, what: str) -> tuple[float, pd.DataFrame, int]:
    """The period's spend, its new contacts in costed (channel, month) cells, and how many are not.

    Spend is the sum of every cost row of the period's months (NaN when there
    is none: unknown). A contact added in the period is costed when its
    channel has a spend row for the month it was added.
    """
    spent = _period_costs(costs, start, end, what)
    contacts = _need_contacts(contacts, what, [S.CHANNEL])
    new = _added_between(contacts, start, end).drop_duplicates(S.CUSTOMER_ID)
    day = _local_day(new[S.ADDED_AT])
    month = ((day.dt.year - 1970) * 12 + day.dt.month - 1).to_numpy(dtype="int64")
    costed = _cells(new[S.CHANNEL], month).isin(set(_cells(spent[S.CHANNEL], spent[S.MONTH]).dropna()))
    costed = costed.to_numpy(dtype=bool)
    spend = float(spent[S.SPEND].sum()) if len(spent) else np.nan
    return spend, new[costed], int((~costed).sum())


def _first_paid_days(orders, new: pd.DataFrame, horizon: pd.Timestamp) -> np.ndarray:
    """Days from each contact's added day to its first paid order up to ``horizon`` (NaN: none yet)."""
    first = paid_orders(orders, horizon).groupby(S.CUSTOMER_ID)[_DAY].min()
    added = _local_day(new[S.ADDED_AT]).to_numpy()
    return (new[S.CUSTOMER_ID].astype("str").map(first).to_numpy() - added) / pd.Timedelta(days=1)


def _cost_per_contact(orders, contacts, *, start, end, costs):
    spend, new, uncosted = _cost_base(contacts, costs, start, end, "cost_per_contact")
    return {**_ratio(spend, int(len(new))), UNCOSTED: uncosted}


def _cac(orders, contacts, *, start, end, costs, within_days, as_of):
    spend, new, uncosted = _cost_base(contacts, costs, start, end, "cac")
    if within_days is None:
        days = _first_paid_days(orders, new, end)
        won = days >= 0                       # NaN (no paid order by end) compares False
    else:
        if not isinstance(within_days, (int, np.integer)) or isinstance(within_days, bool) or within_days < 0:
            raise SikitInputError(f"within_days must be None or a whole number of days >= 0, got {within_days!r}")
        as_of = _day(as_of, "as_of")
        needed = end + pd.Timedelta(days=int(within_days))
        if as_of < needed:
            raise SikitInputError(
                f"cac with within_days={within_days} follows the contacts added up to {end:%Y-%m-%d} until "
                f"{needed:%Y-%m-%d}, but as_of is {as_of:%Y-%m-%d}: give as_of on or after {needed:%Y-%m-%d}")
        days = _first_paid_days(orders, new, as_of)
        won = (days >= 0) & (days <= within_days)
    return {**_ratio(spend, int(won.sum())), UNCOSTED: uncosted}


def _ltv_cac(orders, contacts, *, start, end, costs, as_of):
    as_of = _day(as_of, "as_of")
    if as_of < end:
        raise SikitInputError(f"as_of ({as_of:%Y-%m-%d}) is before end ({end:%Y-%m-%d}): "
                              "the period's contacts cannot be followed")
    spend, new, uncosted = _cost_base(contacts, costs, start, end, "ltv_cac")
    added = pd.Series(_local_day(new[S.ADDED_AT]).to_numpy(), index=new[S.CUSTOMER_ID].astype("str").to_numpy())
    paid = paid_orders(orders, as_of)
    paid = paid[paid[S.CUSTOMER_ID].isin(added.index)]
    since_added = paid[_DAY].to_numpy() >= added.reindex(paid[S.CUSTOMER_ID].to_numpy()).to_numpy()
    return {**_ratio(float(paid.loc[since_added, S.NET_AMOUNT].sum()), spend), UNCOSTED: uncosted}


# --- 社群 groups: members and activity ------------------------------------------------------

#: Column of messages_per_member_day: messages in the period sent on a day when, by the member
#: table, the sender was not in that group (left out of both sides; e.g. a member table that
#: lists current members only).
UNMATCHED = "unmatched_messages"

#: The rule of :func:`group_lifecycle`, checked in this order over the last ``window_days``:
#: ``declining`` (衰退) when members fell by ``decline_members`` or more, or messages fell by
#: ``message_drop`` or more against the window before; ``growing`` (成长) when members grew by
#: ``grow_members`` or more (or the group had nobody a window ago) and messages did not fall
#: that much; ``stable`` (稳定) otherwise. A change that cannot be computed (nobody a window
#: ago, no messages in the window before) never triggers a rule.
LIFECYCLE_RULE: dict[str, float] = {"grow_members": 0.05, "decline_members": 0.05, "message_drop": 0.30}
STAGES: dict[str, tuple[str, str]] = {"growing": ("成长", "growing"), "stable": ("稳定", "stable"),
                                      "declining": ("衰退", "declining")}

_G, _C = S.GROUP_NAME, S.CUSTOMER_ID


def _need_table(table, what: str, param: str, name: str, label: str, columns: str, required) -> pd.DataFrame:
    """The group table a metric needs, checked: a clear error when it is missing or malformed."""
    if table is None:
        raise SikitInputError(f"{what} needs the {label} table ({name}: {columns}): pass {param}=, "
                              f"the clean {label} table")
    if not isinstance(table, pd.DataFrame):
        raise SikitInputError(f"{param} must be a DataFrame (the clean {label} table), got {type(table).__name__}")
    require_columns(table, list(required), name.replace("_", " "))
    return table


def _need_members(members, what: str) -> pd.DataFrame:
    return _need_table(members, what, "members", "group_members", "group member",
                       "group_name, customer_id, joined_at, left_at; left_at empty while still in the group",
                       S.GROUP_MEMBER_REQUIRED)


def _need_activity(activity, what: str) -> pd.DataFrame:
    return _need_table(activity, what, "activity", "group_activity", "group activity",
                       "group_name, customer_id, date, messages; one row per member and day with messages",
                       S.GROUP_ACTIVITY_REQUIRED)


def _wall(times: pd.Series, what: str) -> pd.Series:
    """Times as naive local (Asia/Shanghai) wall times in ns; naive input is taken as local already."""
    if not pd.api.types.is_datetime64_any_dtype(times.dtype):
        if times.isna().all():
            return pd.Series(pd.NaT, index=times.index, dtype="datetime64[ns]")
        raise SikitInputError(f"{what} must be date-times (the clean table), got {times.dtype}")
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert(S.TIMEZONE).dt.tz_localize(None)
    return times.astype("datetime64[ns]")


def _spells(members: pd.DataFrame, end: pd.Timestamp) -> pd.DataFrame:
    """Membership spells as known at the end of ``end``: ``group``, ``customer``, ``jday``, ``lday``.

    A row joined after ``end`` is unknown yet; a departure after ``end`` is
    not known yet either (the spell is open, ``lday`` NaT). Rows without a
    group, customer or join time cannot be placed and are dropped. Spells of
    the same customer in the same group that overlap in time (duplicate or
    overlapping rows) are merged, so at any moment a customer is in a group
    at most once; a customer who left and rejoined keeps two spells.
    ``jday``/``lday`` are local days.
    """
    joined = _wall(members[S.JOINED_AT], "group members: joined_at")
    left = (_wall(members[S.LEFT_AT], "group members: left_at") if S.LEFT_AT in members.columns
            else pd.Series(pd.NaT, index=members.index, dtype="datetime64[ns]"))
    group, cid = _ids(members[_G]), _ids(members[_C])
    keep = (group.notna() & cid.notna() & joined.notna() & (joined.dt.normalize() <= end)).to_numpy(dtype=bool)
    left = left.where(left.dt.normalize() <= end)            # leaving after end: not known yet
    bad = keep & (left < joined).to_numpy(dtype=bool)
    if bad.any():
        raise SikitInputError(f"group members: left_at before joined_at in {int(bad.sum())} row(s), "
                              f"e.g. {members[_G][bad].iloc[0]!r}")
    never = pd.Timestamp.max.as_unit("ns")
    s = pd.DataFrame({"group": group[keep].to_numpy(dtype=object), "customer": cid[keep].to_numpy(dtype=object),
                      "j": joined[keep].to_numpy(), "l": left[keep].fillna(never).to_numpy()})
    s = s.sort_values(["group", "customer", "j"], kind="stable").reset_index(drop=True)
    # a spell starts anew when it joins after every earlier spell of the same member has ended
    prev = s.groupby(["group", "customer"])["l"].cummax().groupby([s["group"], s["customer"]]).shift()
    spell = (prev.isna() | (s["j"] > prev)).cumsum()
    s = s.groupby(spell).agg(group=("group", "first"), customer=("customer", "first"), j=("j", "min"), l=("l", "max"))
    lday = s["l"].where(s["l"] != never).dt.normalize()
    return pd.DataFrame({"group": s["group"].to_numpy(dtype=object), "customer": s["customer"].to_numpy(dtype=object),
                         "jday": s["j"].dt.normalize().to_numpy(), "lday": lday.to_numpy()})


def _in_group(sp: pd.DataFrame, day: pd.Timestamp) -> np.ndarray:
    """Spells in the group at the end of ``day`` (joined by then and not left by then)."""
    return ((sp["jday"] <= day) & (sp["lday"].isna() | (sp["lday"] > day))).to_numpy(dtype=bool)


def _activity_between(activity: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> pd.DataFrame:
    """Activity rows of local days in ``[start, end]`` with messages > 0: ``group``, ``customer``, ``day``, ``messages``."""
    day = activity[S.ACTIVITY_DATE]
    if not pd.api.types.is_datetime64_any_dtype(day.dtype):
        raise SikitInputError(f"group activity: date must be dates (the clean table), got {day.dtype}")
    day = _local_day(day)
    messages = pd.to_numeric(activity[S.MESSAGES], errors="coerce")
    bad = activity[S.MESSAGES].notna().to_numpy() & messages.isna().to_numpy()
    if bad.any():
        raise SikitInputError(f"group activity: messages must be a count, got {activity[S.MESSAGES][bad].iloc[0]!r}")
    group, cid = _ids(activity[_G]), _ids(activity[_C])
    keep = (group.notna() & cid.notna() & (day >= start) & (day <= end) & (messages > 0)).to_numpy(dtype=bool)
    return pd.DataFrame({"group": group[keep].to_numpy(dtype=object), "customer": cid[keep].to_numpy(dtype=object),
                         "day": day[keep].to_numpy(), "messages": messages[keep].to_numpy(dtype="float64")})


def _group_members(orders, contacts, *, start, end, members):
    sp = _spells(_need_members(members, "group_members"), end)
    return {"value": int(_in_group(sp, end).sum())}


def _joins(sp, start, end) -> int:
    return int(((sp["jday"] >= start) & (sp["jday"] <= end)).sum())


def _exits(sp, start, end) -> int:
    return int(((sp["lday"] >= start) & (sp["lday"] <= end)).sum())


def _group_joins(orders, contacts, *, start, end, members):
    return {"value": _joins(_spells(_need_members(members, "group_joins"), end), start, end)}


def _group_exits(orders, contacts, *, start, end, members):
    return {"value": _exits(_spells(_need_members(members, "group_exits"), end), start, end)}


def _group_exit_rate(orders, contacts, *, start, end, members):
    sp = _spells(_need_members(members, "group_exit_rate"), end)
    at_start = int(_in_group(sp, start - pd.Timedelta(days=1)).sum())
    return _ratio(_exits(sp, start, end), at_start + _joins(sp, start, end))


def _silent_member_share(orders, contacts, *, start, end, members, activity, silent_days):
    if not isinstance(silent_days, (int, np.integer)) or isinstance(silent_days, bool) or silent_days < 1:
        raise SikitInputError(f"silent_days must be a whole number of days >= 1, got {silent_days!r}")
    sp = _spells(_need_members(members, "silent_member_share"), end)
    act = _activity_between(_need_activity(activity, "silent_member_share"),
                            end - pd.Timedelta(days=int(silent_days) - 1), end)
    now = sp[_in_group(sp, end)]
    spoke = pd.MultiIndex.from_frame(act[["group", "customer"]])
    silent = ~pd.MultiIndex.from_frame(now[["group", "customer"]]).isin(spoke)
    return _ratio(int(silent.sum()), int(len(now)))


def _member_days(sp: pd.DataFrame, start: pd.Timestamp, end: pd.Timestamp) -> int:
    """Days in ``[start, end]`` each member was in the group at some time of the day, summed.

    The join day and the leave day both count. Spells of one member do not
    overlap, but one may end on the day the next begins (rejoined the same
    day): that day counts once.
    """
    lo = sp["jday"].clip(lower=start)
    hi = sp["lday"].fillna(end).clip(upper=end)
    days = ((hi - lo) / pd.Timedelta(days=1) + 1).clip(lower=0)
    same = (sp["group"] == sp["group"].shift()) & (sp["customer"] == sp["customer"].shift())
    shared = same & (sp["lday"].shift() == sp["jday"]) & (sp["jday"] >= start) & (sp["jday"] <= end)
    return int(days.sum() - shared.sum())


def _messages_per_member_day(orders, contacts, *, start, end, members, activity):
    sp = _spells(_need_members(members, "messages_per_member_day"), end)
    act = _activity_between(_need_activity(activity, "messages_per_member_day"), start, end)
    act = act.reset_index(drop=True).rename_axis("row").reset_index()
    both = act.merge(sp, on=["group", "customer"])
    inside = both[(both["jday"] <= both["day"]) & (both["lday"].isna() | (both["day"] <= both["lday"]))]
    matched = act["row"].isin(inside["row"]).to_numpy()
    return {**_ratio(float(act.loc[matched, "messages"].sum()), _member_days(sp, start, end)),
            UNMATCHED: float(act.loc[~matched, "messages"].sum())}


def group_lifecycle(members: pd.DataFrame, activity: pd.DataFrame, *, as_of, window_days: int = 30) -> pd.DataFrame:
    """The lifecycle stage of every group (社群生命周期: 成长, 稳定, 衰退) at ``as_of``.

    Compares the last ``window_days`` days (up to the end of ``as_of``) with
    the state a window earlier. Nothing after ``as_of`` is seen.

    - members: in the group at the end of ``as_of`` (``members_now``) and at
      the end of the day ``window_days`` before (``members_then``);
      ``member_growth`` = now / then − 1 (NaN when nobody was in it then).
    - messages: sent in the group in the last window (``messages_last``: the
      ``window_days`` days ending on ``as_of``) and in the window before
      (``messages_prev``); ``message_change`` = last / prev − 1 (NaN when
      there were none before).
    - ``stage`` by :data:`LIFECYCLE_RULE`, checked in order: **declining**
      (衰退) when members fell by 5% or more or messages fell by 30% or more;
      **growing** (成长) when members grew by 5% or more, or the group had
      nobody a window ago (a new group), and messages did not fall by 30%;
      **stable** (稳定) otherwise. A NaN change triggers no rule.

    Messages count every activity row of the group (also of customers the
    member table misses). A group is listed when it had a member now or a
    window ago, or a message in either window.

    Returns
    -------
    DataFrame indexed by ``group_name``, sorted by ``members_now``
    (descending, then name): ``members_now``, ``members_then``,
    ``member_growth``, ``joins`` and ``exits`` (in the last window),
    ``messages_last``, ``messages_prev``, ``message_change``, ``stage``
    (growing/stable/declining), ``stage_zh``, ``stage_en``. ``attrs`` holds
    ``as_of``, ``window_days`` and ``rule``.

    Examples
    --------
    >>> import pandas as pd
    >>> members = pd.DataFrame({"group_name": ["A"] * 3, "customer_id": ["x", "y", "z"],
    ...     "joined_at": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-03-10"]).tz_localize("Asia/Shanghai"),
    ...     "left_at": pd.NaT})
    >>> activity = pd.DataFrame({"group_name": ["A", "A"], "customer_id": ["x", "z"],
    ...     "date": pd.to_datetime(["2026-02-20", "2026-03-20"]), "messages": [10, 12]})
    >>> group_lifecycle(members, activity, as_of="2026-03-31")[["members_then", "members_now", "message_change", "stage"]]
                members_then  members_now  message_change    stage
    group_name
    A                      2            3             0.2  growing
    """
    as_of = _day(as_of, "as_of")
    if not isinstance(window_days, (int, np.integer)) or isinstance(window_days, bool) or window_days < 1:
        raise SikitInputError(f"window_days must be a whole number of days >= 1, got {window_days!r}")
    w = pd.Timedelta(days=int(window_days))
    sp = _spells(_need_members(members, "group_lifecycle"), as_of)
    act = _activity_between(_need_activity(activity, "group_lifecycle"), as_of - 2 * w + pd.Timedelta(days=1), as_of)
    last = act["day"] > as_of - w
    by = sp["group"]
    out = pd.DataFrame({
        "members_now": pd.Series(_in_group(sp, as_of)).groupby(by.to_numpy()).sum(),
        "members_then": pd.Series(_in_group(sp, as_of - w)).groupby(by.to_numpy()).sum(),
        "joins": ((sp["jday"] > as_of - w) & (sp["jday"] <= as_of)).groupby(by).sum(),
        "exits": ((sp["lday"] > as_of - w) & (sp["lday"] <= as_of)).groupby(by).sum(),
    })
    msgs = pd.DataFrame({"messages_last": act["messages"].where(last, 0.0).groupby(act["group"]).sum(),
                         "messages_prev": act["messages"].where(~last, 0.0).groupby(act["group"]).sum()})
    out = out.join(msgs, how="outer")
    counts = ["members_now", "members_then", "joins", "exits"]
    out[counts] = out[counts].fillna(0).astype("int64")
    out[["messages_last", "messages_prev"]] = out[["messages_last", "messages_prev"]].fillna(0.0)
    out = out[(out["members_now"] > 0) | (out["members_then"] > 0)
              | (out["messages_last"] > 0) | (out["messages_prev"] > 0)]
    then, prev = out["members_then"].astype("float64"), out["messages_prev"]
    out["member_growth"] = (out["members_now"] / then.where(then > 0)) - 1
    out["message_change"] = (out["messages_last"] / prev.where(prev > 0)) - 1
    rule, eps = LIFECYCLE_RULE, 1e-9      # eps: exactly 5% (21 of 20) is 5%, whatever the float rounding
    declining = ((out["member_growth"] <= -rule["decline_members"] + eps)
                 | (out["message_change"] <= -rule["message_drop"] + eps))
    new = (out["members_then"] == 0) & (out["members_now"] > 0)
    growing = ~declining & ((out["member_growth"] >= rule["grow_members"] - eps) | new)
    out["stage"] = np.where(declining, "declining", np.where(growing, "growing", "stable"))
    out["stage_zh"] = out["stage"].map(lambda s: STAGES[s][0])
    out["stage_en"] = out["stage"].map(lambda s: STAGES[s][1])
    out.index = pd.Index(out.index.astype(object), name=S.GROUP_NAME, dtype="object")
    out = (out.reset_index().sort_values(["members_now", S.GROUP_NAME], ascending=[False, True])
           .set_index(S.GROUP_NAME))
    out = out[["members_now", "members_then", "member_growth", "joins", "exits", "messages_last", "messages_prev",
               "message_change", "stage", "stage_zh", "stage_en"]]
    out.attrs.update(as_of=as_of, window_days=int(window_days), rule=dict(rule))
    return out


def _split_groups(metric: Metric, orders, contacts, start, end, params) -> pd.DataFrame:
    """One row per group that had a member (or, for metrics reading activity, a message) in the period."""
    members = _need_members(params.get("members"), metric.id)
    sp = _spells(members, end)
    names = [sp.loc[(sp["lday"].isna() | (sp["lday"] >= start)).to_numpy(), "group"]]
    activity = None
    if "activity" in metric.params:
        activity = _need_activity(params.get("activity"), metric.id)
        names.append(_activity_between(activity, start, end)["group"])
    groups = sorted(set(pd.concat(names, ignore_index=True)))
    m_labels = _ids(members[_G])
    a_labels = _ids(activity[_G]) if activity is not None else None
    rows = []
    for g in groups:
        p = {**params, "members": members[(m_labels == g).fillna(False).to_numpy(dtype=bool)]}
        if activity is not None:
            p["activity"] = activity[(a_labels == g).fillna(False).to_numpy(dtype=bool)]
        rows.append(_row(metric, orders, contacts, start, end, p))
    columns = ["value", "numerator", "denominator", "start", "end"] if metric.ratio else ["value", "start", "end"]
    columns += [k for k in (rows[0] if rows else {}) if k not in columns]
    return pd.DataFrame(rows, index=pd.Index(groups, name="group", dtype="object"), columns=columns)


_MERGE = {"merge_same_day": True}

REGISTRY: dict[str, Metric] = {m.id: m for m in [
    Metric("gmv", "成交额(GMV)", "GMV",
           "周期内已付款订单的净实付金额之和(扣除部分退款):GMV = Σ净实付金额。",
           "Sum of the net amount (after partial refunds) of paid orders in the period: GMV = Σ net_amount.",
           "order", {}, _gmv),
    Metric("orders", "订单数", "orders",
           "周期内已付款订单的数量(已退款、已取消、未付款订单不计)。",
           "Number of paid orders in the period (refunded, cancelled and unpaid orders excluded).",
           "order", {}, _orders),
    Metric("buyers", "购买人数", "buyers",
           "周期内至少有一笔已付款订单的去重客户数。",
           "Number of distinct customers with at least one paid order in the period.",
           "customer", {}, _buyers),
    Metric("active_customers", "活跃客户数(近30天)", "active customers (30 days)",
           "截至周期末(含当天)近 window_days 天(默认30天)内至少有一笔已付款订单的去重客户数:"
           "活跃客户数 = 窗口 [周期末−N+1, 周期末] 内的购买人数(期末存量,与周期开始日无关;周期末之后的订单不看)。",
           "Number of distinct customers with at least one paid order in the window_days days (default 30) "
           "ending on the period end, that day included: active customers = buyers in [end − N + 1, end] "
           "(a stock at the end: the period start is ignored; nothing after end is seen).",
           "customer", {"window_days": 30}, _active_customers, at_end=True),
    Metric("aov", "客单价", "average order value (AOV)",
           "周期内每笔已付款订单的平均净实付金额:客单价 = GMV / 订单数。",
           "Mean net amount per paid order in the period: AOV = GMV / paid orders.",
           "order", {}, _aov, ratio=True),
    Metric("arpu", "人均消费(按购买人数)", "ARPU per buyer",
           "周期内每位购买客户的平均净实付金额:人均消费 = GMV / 购买人数(分母是购买者,不是全部联系人)。",
           "Mean net spend per buying customer in the period: ARPU = GMV / buyers "
           "(the base is buyers, not all contacts).",
           "customer", {}, _arpu, ratio=True),
    Metric("purchase_frequency", "购买频次", "purchase frequency",
           "周期内每位购买客户的平均购买次数:购买频次 = 已付款订单数 / 购买人数(merge_same_day=True 时同日多单算一次)。",
           "Mean number of purchases per buying customer in the period: frequency = paid orders / buyers "
           "(with merge_same_day=True, orders on the same day count once).",
           "customer", {"merge_same_day": False}, _purchase_frequency, ratio=True),
    Metric("repurchase_rate", "复购率", "repurchase rate",
           "周期内购买客户中购买2次及以上者的占比:复购率 = 购买≥2次的客户数 / 购买人数(默认同一天的多笔订单算一次购买)。",
           "Share of the period's buyers who bought 2 or more times in the period: "
           "repurchase rate = buyers with 2+ purchases / buyers (by default orders on the same day count as one purchase).",
           "customer", dict(_MERGE), _repurchase_rate, ratio=True),
    Metric("return_rate", "回购率", "return-purchase rate",
           "本周期购买客户中在紧随其后的等长周期内再次购买者的占比:回购率 = 下周期再购的本期客户数 / 本期购买人数"
           "(整月周期的下周期为同样月数,下周期须在 as_of 前完全结束)。",
           "Share of the period's buyers who buy again in the next period of equal length: "
           "return rate = buyers who buy in the next period / buyers "
           "(whole months are followed by as many months; the next period must have ended by as_of).",
           "customer", {"as_of": None}, _return_rate, ratio=True),    # 引流 acquisition
    Metric("new_contacts", "新增客户数", "new contacts",
           "添加时间(本地日)落在周期内的去重客户数:新增客户数 = Σ周期内新添加的客户(同一客户多次添加只算一次,按最早添加时间)。",
           "Number of distinct customers whose (earliest) added_at falls on a day in the period: "
           "new contacts = Σ customers added in the period.",
           "customer", {}, _new_contacts, base="contacts", by=("channel", "staff", "month"), needs_orders=False),
    Metric("pool_size", "私域客户数", "customers in the private pool",
           "周期末在私域里的去重客户数(期末存量,不是周期内的流量,与周期开始日无关):私域客户数 = 添加时间(本地日)"
           "不晚于周期末的客户 − 其中在周期末前(含当天)被删除且之后没有再添加的客户(扣除需要删除记录表 deletions=;"
           "不给时不扣除任何人,即曾添加过的客户数)。",
           "Number of distinct customers in the private pool at the end of the period (a stock at the end, not a "
           "flow: the period start is ignored): pool size = customers added on or before the end (local day) − "
           "those deleted on or before the end and not added again since (subtracting needs the deletion log, "
           "deletions=; without it nobody is subtracted and this counts every customer ever added).",
           "customer", {"deletions": None}, _pool_size, base="contacts", by=("channel", "staff", "month"),
           needs_orders=False, at_end=True),
    Metric("net_contact_growth", "客户净增长", "net contact growth",
           "周期内新增客户数减去周期内被删除的客户数:净增长 = 新增客户数 − 删除客户数(删除按删除时间的本地日计,"
           "需要删除记录表 deletions=,即企微流失客户/删除记录导出;按渠道/员工时删除记在被删客户联系人的渠道/员工下)。",
           "New contacts in the period minus customers deleted in it: net growth = new contacts − deleted "
           "(deletions by the local day of deleted_at; needs the deletion log, deletions=, from WeCom's 流失客户 "
           "export; by channel/staff a deletion goes to the deleted customer's contact).",
           "customer", {"deletions": None}, _net_contact_growth, base="contacts", by=("channel", "staff", "month"),
           needs_orders=False),
    Metric("lost_contacts", "流失客户数", "lost contacts",
           "删除时间(本地日)落在周期内的去重客户数(客户删除员工或员工删除客户):流失客户数 = Σ周期内被删除的客户"
           "(需要删除记录表 deletions=)。",
           "Number of distinct customers deleted on a day in the period (by the customer or by staff): "
           "lost contacts = Σ customers deleted in the period (needs the deletion log, deletions=).",
           "customer", {"deletions": None}, _lost_contacts, base="contacts",
           by=("channel", "staff", "month", S.DELETED_BY), needs_orders=False),
    Metric("referral_share", "老带新占比", "referral share",
           "周期内新增客户中有推荐人的占比:老带新占比 = 有推荐人ID的新增客户数 / 新增客户数(自己推荐自己不算)。",
           "Share of the period's new contacts who have a referrer: "
           "referral share = new contacts with a referrer_id / new contacts (self-referrals do not count).",
           "customer", {}, _referral_share, ratio=True, base="contacts", by=("channel", "staff", "month"),
           needs_orders=False),
    # 转化 conversion
    Metric("conversion_rate", "转化率", "conversion rate",
           "周期内新增客户中在添加后 within_days 天内完成首次付款的占比:转化率 = 添加后N天内首单的客户数 / 可观察的新增客户数"
           "(添加日+N天须不晚于 as_of,默认 as_of=周期末;添加前已购买的老客户不计入分母)。",
           "Share of the period's new contacts whose first paid order comes within within_days days of being added: "
           "conversion = contacts with a first order within N days / observable new contacts "
           "(added day + N must be on or before as_of, by default the period end; "
           "contacts who had bought before being added are left out).",
           "customer", {"within_days": 30, "as_of": None}, _conversion_rate, ratio=True, base="contacts",
           by=("channel", "staff", "month")),
    Metric("days_to_first_purchase", "首购天数(中位数)", "days to first purchase (median)",
           "周期内新增且在 within_days 天内转化的客户,从添加日到首个付款订单日的天数中位数:首购天数 = median(首单日 − 添加日)。",
           "Median number of days from the day added to the day of the first paid order, over the period's "
           "new contacts who converted within within_days: median(first order day − added day).",
           "customer", {"within_days": 30, "as_of": None}, _days_to_first_purchase, base="contacts",
           by=("channel", "staff", "month")),
    Metric("first_order_value", "首单客单价", "first order value",
           "首个付款订单(客户有史以来的第一笔)落在周期内的,其平均净实付金额:首单客单价 = Σ首单净实付金额 / 首单数。",
           "Mean net amount of customers' first-ever paid orders placed in the period: "
           "first order value = Σ net_amount of first orders / first orders.",
           "order", {}, _first_order_value, ratio=True, by=("channel", "staff", "month")),
    # 裂变 fission
    Metric("invitations_per_referrer", "人均邀请数", "invitations per referrer",
           "周期内通过老带新新增的客户数除以其中不同推荐人的人数:人均邀请数 = 有推荐人的新增客户数 / 去重推荐人数。",
           "New referred contacts in the period per distinct referrer among them: "
           "invitations per referrer = new contacts with a referrer / distinct referrers.",
           "customer", {}, _invitations_per_referrer, ratio=True, base="contacts", by=("month",),
           needs_orders=False),
    Metric("k_factor", "K因子(裂变系数)", "K-factor",
           "周期内通过老带新新增的客户数除以周期开始时已有的客户数:K因子 = 有推荐人的新增客户数 / 周期开始前已添加的客户数。",
           "New referred contacts added in the period per customer known at the period start: "
           "K = new contacts with a referrer / contacts added before start.",
           "customer", {}, _k_factor, ratio=True, base="contacts", by=("month",), needs_orders=False),
    # 成本 acquisition cost (needs the channel cost table: costs=)
    Metric("cost_per_contact", "加粉成本", "cost per new contact",
           "周期内各月渠道花费之和除以周期内新增的客户数:加粉成本 = Σ花费 / 新增客户数。周期须为整月;"
           "花费与新增客户按(渠道, 添加月份)配对,某渠道某月没有花费记录时其新增客户不计入分母(花费未知,不当作0);"
           "有花费而无新增客户的渠道仍计入分子。",
           "Spend of the period's months divided by the contacts added in the period: "
           "cost per contact = Σ spend / new contacts. The period must be whole calendar months; spend and "
           "contacts are matched by (channel, month added): contacts whose channel has no spend row for that "
           "month are left out of the denominator (unknown spend, not zero; counted in uncosted_contacts), "
           "while spend of channels with no new contacts still counts.",
           "customer", {"costs": None}, _cost_per_contact, ratio=True, base="contacts", by=("channel", "month"),
           needs_orders=False),
    Metric("cac", "获客成本", "customer acquisition cost (CAC)",
           "周期内花费除以周期内新增、且在周期末前(或 within_days 天内)完成首次付款的客户数:获客成本 = Σ花费 / 新付费客户数。"
           "添加前已购买的老客户不算新客户;整月周期、按(渠道, 添加月份)配对,规则同加粉成本。"
           "渠道「朋友圈/老带新」的获客成本即老带新获客成本 = 推荐奖励 / 老带新新客户数。",
           "Spend of the period divided by the contacts added in the period whose first paid order came by the "
           "period end (or, with within_days=N, within N days of being added, seen up to as_of >= end + N): "
           "CAC = Σ spend / new paying customers. Contacts who had bought before being added are not new "
           "customers; whole months and (channel, month added) matching as for cost_per_contact. For the channel "
           "朋友圈/老带新 this is the referral CAC: referral rewards / referred new customers.",
           "customer", {"costs": None, "within_days": None, "as_of": None}, _cac, ratio=True, base="contacts",
           by=("channel", "month")),
    Metric("ltv_cac", "LTV/CAC(投入产出比)", "LTV/CAC",
           "周期内新增客户自添加当天至 as_of(默认周期末)的已付款净实付金额之和,除以周期内花费:LTV/CAC = Σ净实付金额 / Σ花费。"
           "整月周期、按(渠道, 添加月份)配对,规则同加粉成本。",
           "Net amount of the paid orders the period's new contacts placed from the day they were added up to "
           "as_of (default: the period end), divided by the period's spend: LTV/CAC = Σ net_amount / Σ spend "
           "(observed to date, not a forecast). Whole months and (channel, month added) matching as for "
           "cost_per_contact.",
           "customer", {"costs": None, "as_of": None}, _ltv_cac, ratio=True, base="contacts",
           by=("channel", "month")),
    # 社群 groups (need the group tables: members=, activity=)
    Metric("group_members", "群成员数", "group members",
           "周期末在群内的成员数:入群时间(本地日)不晚于周期末,且未退群或退群日晚于周期末;成员按(群, 客户)计,"
           "同一客户在两个群里算两人,各群相加等于合计。",
           "Members in the groups at the end of the period: joined on or before the last day and not left by "
           "then (left_at empty or later). A member is a (group, customer) pair: a customer in two groups counts "
           "in both, so the groups add up to the total.",
           "customer", {"members": None}, _group_members, base="groups", by=("group", "month"),
           needs_orders=False),
    Metric("group_joins", "入群人数", "group joins",
           "入群日(本地日)落在周期内的入群次数:退群后再次入群的客户再计一次。",
           "Joins whose local day falls in the period; a customer who left and rejoined counts again.",
           "customer", {"members": None}, _group_joins, base="groups", by=("group", "month"), needs_orders=False),
    Metric("group_exits", "退群人数", "group exits",
           "退群日(本地日)落在周期内的退群次数(退群后再入群再退,再计一次)。",
           "Exits whose local day falls in the period (each time a customer leaves).",
           "customer", {"members": None}, _group_exits, base="groups", by=("group", "month"), needs_orders=False),
    Metric("group_exit_rate", "退群率", "group exit rate",
           "周期内退群次数除以周期开始时的成员数加周期内入群次数:退群率 = 退群数 / (期初成员数 + 入群数)。",
           "Exits in the period divided by the members at its start plus the joins in it: "
           "exit rate = exits / (members at start + joins).",
           "customer", {"members": None}, _group_exit_rate, ratio=True, base="groups", by=("group", "month"),
           needs_orders=False),
    Metric("silent_member_share", "沉默成员占比", "silent member share",
           "周期末的群成员中,在周期最后 silent_days 天(默认7天,含周期末当天)内没有在该群发言的占比:"
           "沉默成员占比 = 沉默成员数 / 周期末成员数(刚入群尚未发言的成员也算沉默)。",
           "Share of the members at the end of the period who sent no message in that group in the last "
           "silent_days days (default 7, the last day included): silent share = silent members / members at the "
           "end (members who joined recently and have not spoken count as silent).",
           "customer", {"members": None, "activity": None, "silent_days": 7}, _silent_member_share, ratio=True,
           base="groups", by=("group", "month"), needs_orders=False),
    Metric("messages_per_member_day", "人均日发言", "messages per member-day",
           "周期内成员在群期间的发言数除以成员在群天数:人均日发言 = Σ发言数 / Σ成员在群天数"
           "(入群日与退群日都算在群;发言时按成员表不在该群的消息不计入,记在 unmatched_messages)。",
           "Messages members sent in the period while in the group, divided by member-days: "
           "messages per member-day = Σ messages / Σ days each member was in the group in the period "
           "(the join and leave days count; messages sent when, by the member table, the sender was not in the "
           "group are left out and counted in unmatched_messages).",
           "customer", {"members": None, "activity": None}, _messages_per_member_day, ratio=True,
           base="groups", by=("group", "month"), needs_orders=False),
]}


# --- public functions ----------------------------------------------------------------

def describe(lang: str = "zh") -> pd.DataFrame:
    """Every registered metric with its name, definition, grain and default parameters.

    Parameters
    ----------
    lang : {"zh", "en"}
        Language of the ``name`` and ``definition`` columns.

    Returns
    -------
    DataFrame with one row per metric: ``id``, ``name``, ``definition``,
    ``grain`` (``order`` or ``customer``), ``params`` (the defaults, as
    ``key=value`` text; empty when the metric has none) and ``by`` (the
    dimensions ``compute(..., by=...)`` accepts for it).

    Examples
    --------
    >>> describe("en").loc[lambda d: d["id"] == "repurchase_rate", ["name", "params"]]
                  name              params
    7  repurchase rate  merge_same_day=True
    """
    if lang not in ("zh", "en"):
        raise SikitInputError(f"lang must be 'zh' or 'en', got {lang!r}")
    rows = [{
        "id": m.id,
        "name": getattr(m, f"name_{lang}"),
        "definition": getattr(m, f"definition_{lang}"),
        "grain": m.grain,
        "params": ", ".join(f"{k}={v!r}" for k, v in m.params.items()),
        "by": ", ".join(m.by),
    } for m in REGISTRY.values()]
    return pd.DataFrame(rows, columns=["id", "name", "definition", "grain", "params", "by"])


def _months(start: pd.Timestamp, end: pd.Timestamp) -> list[tuple[pd.Period, pd.Timestamp, pd.Timestamp]]:
    out = []
    for month in pd.period_range(start, end, freq="M"):
        out.append((month, max(start, month.start_time), min(end, month.end_time.normalize())))
    return out


def _group_labels(orders: pd.DataFrame, contacts, by: str, end: pd.Timestamp) -> pd.Series:
    """The group of every order row: its store, or its customer's channel/staff as known at ``end``."""
    if DIMENSIONS[by] == "orders":
        require_columns(orders, [by], "orders")
        return orders[by]
    if contacts is None:
        raise SikitInputError(f"by={by!r} comes from the contacts table: pass contacts=")
    require_columns(contacts, [S.CUSTOMER_ID, by], "contacts")
    c = contacts
    if S.ADDED_AT in c.columns:
        # a contact added after the period was not in the private domain then; its
        # buyers fall in the unknown (NA) group. A missing added_at cannot be placed
        # in time, so the export's attribute is kept.
        added = _local_day(c[S.ADDED_AT])
        c = c[~(added > end)]
    c = c.drop_duplicates(S.CUSTOMER_ID)
    lookup = pd.Series(c[by].to_numpy(), index=c[S.CUSTOMER_ID].astype("str").to_numpy())
    return orders[S.CUSTOMER_ID].astype("str").map(lookup)


def _split_contacts(metric: Metric, orders, contacts, start, end, by, params) -> pd.DataFrame:
    """One row per value of ``by`` among the contacts added in the period, computed on those contacts.

    A stock at the end (``metric.at_end``: pool_size) has a group per value among the contacts added
    by ``end`` instead, and passes the whole deletion log to every group: its contacts pick their own.
    """
    contacts = _need_contacts(contacts, metric.id, [by])
    labels = contacts[by]
    groups = pd.unique((_known_at(contacts, end) if metric.at_end else _added_between(contacts, start, end))[by])
    if metric.id == "lost_contacts":
        groups = pd.unique(pd.Series([], dtype="object"))
    deletions, del_labels = params.get("deletions"), None
    if "deletions" in metric.params and not metric.at_end:
        # a deletion goes to the channel/staff of the deleted customer's contact (NA: no contact), and a
        # group is also one that only lost contacts in the period, so the groups add up to the total
        deletions = _need_deletions(deletions, metric.id)
        del_labels = _deletion_labels(deletions, contacts, by)
        labels = labels.astype("string").str.strip()
        lost = del_labels[_deleted_between(deletions, start, end).index]
        groups = pd.unique(pd.concat([pd.Series(groups, dtype="string").str.strip(), lost], ignore_index=True))
    costs = None
    if by == S.CHANNEL and "costs" in params:
        # a channel is a group when it added contacts or spent in the period, and sees only its own
        # spend, so the groups' spend adds up to the total
        spent = _period_costs(params["costs"], start, end, metric.id)[S.CHANNEL]
        costs = params["costs"]
        cost_labels = costs[S.CHANNEL].astype("string").str.strip()
        labels = labels.astype("string").str.strip()
        groups = pd.unique(pd.concat([pd.Series(groups, dtype="string").str.strip(), spent], ignore_index=True))
    rows, index = [], []
    for g in groups:
        mask = labels.isna() if pd.isna(g) else (labels == g).fillna(False)
        p = params
        if del_labels is not None:
            mine = del_labels.isna() if pd.isna(g) else (del_labels == g).fillna(False)
            p = {**params, "deletions": deletions[mine.to_numpy(dtype=bool)]}
        if costs is not None:
            mine = cost_labels.isna() if pd.isna(g) else (cost_labels == g).fillna(False)
            p = {**params, "costs": costs[mine.to_numpy(dtype=bool)]}
        rows.append(_row(metric, orders, contacts[mask.to_numpy(dtype=bool)], start, end, p))
        index.append(g)
    columns = ["value", "numerator", "denominator", "start", "end"] if metric.ratio else ["value", "start", "end"]
    columns += [k for k in (rows[0] if rows else {}) if k not in columns]
    out = pd.DataFrame(rows, index=pd.Index(index, name=by, dtype="object"), columns=columns)
    return out.sort_index(na_position="last")


def _row(metric: Metric, orders, contacts, start, end, params) -> dict:
    result = metric.compute(orders, contacts, start=start, end=end, **params)
    core = ("value", "numerator", "denominator")
    # extra columns (uncosted_contacts) come after the period
    return {**{k: v for k, v in result.items() if k in core}, "start": start, "end": end,
            **{k: v for k, v in result.items() if k not in core}}


def compute(metric_id: str, orders: pd.DataFrame, contacts: pd.DataFrame | None = None, *,
            start, end, by: str | None = None, **params) -> pd.DataFrame:
    """Compute one registered metric for the period ``[start, end]``, optionally per group.

    Parameters
    ----------
    metric_id : str
        A key of :data:`REGISTRY` (see :func:`describe`).
    orders : DataFrame or None
        Clean orders: ``customer_id``, ``order_time``, ``net_amount``,
        ``status`` (and ``store`` for ``by="store"``). Only paid orders count.
        May be None for contact metrics that use no orders (new_contacts,
        pool_size, net_contact_growth, referral_share, invitations_per_referrer,
        k_factor).
    contacts : DataFrame, optional
        Clean contacts (one row per customer); needed for ``by="channel"``,
        ``by="staff"`` and every contact metric.
    start, end : date-like
        First and last local day of the period, both inclusive.
    by : {"channel", "staff", "store", "month", "group", "deleted_by"}, optional
        ``channel``/``staff``: the customer's contact attribute (every order of
        a customer goes to one group; customers with no contact, or whose
        contact was added after ``end``, form the NA group), so counts and
        amounts of the groups add up to the total. ``store``: the metric is
        computed on each store's orders alone, so GMV and orders add up but a
        customer buying in two stores is a buyer of both. ``month``: the
        period cut into calendar months (first and last clipped to the period).
        Groups with no paid order in the period are left out, except months.
        Contact metrics (``base="contacts"``) split the contacts instead: a
        group is a channel or staff of the contacts added in the period, and
        ``month`` is the month they were added (cohort of adding month).
        Not every metric accepts every dimension (``describe()["by"]``).
        Cost metrics by ``channel`` also list channels that spent in the
        period without adding anyone, each with its own spend only.
        ``group`` (社群 metrics only): each group that had a member in the
        period (or, for metrics reading activity, a message) computed on its
        own rows of the member and activity tables; counts add up, ratios
        recombine as Σnumerator / Σdenominator.
        ``deleted_by`` (lost_contacts only): who removed whom, ``customer``
        or ``staff`` (NA when the log does not say).
    **params
        Overrides of the metric's defaults (``describe()["params"]``), e.g.
        ``costs=`` (channel, month "YYYY-MM", spend) for cost_per_contact,
        cac and ltv_cac; ``members=`` and ``activity=`` (the clean group
        tables) for the 社群 metrics; ``deletions=`` (the clean deletion log)
        for net_contact_growth and lost_contacts (required) and pool_size
        (optional: without it nobody is subtracted); ``window_days=`` for
        active_customers.

    Returns
    -------
    DataFrame, one row per group (indexed by the dimension) or a single row:
    ``value``; for ratio metrics also ``numerator`` and ``denominator`` (so
    groups can be recombined: Σnumerator / Σdenominator); ``start`` and
    ``end`` of the (sub-)period; cost metrics add ``uncosted_contacts``,
    messages_per_member_day adds ``unmatched_messages``.
    A ratio with a zero denominator is NaN.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a"],
    ...     "order_time": pd.to_datetime(["2026-01-03", "2026-01-20", "2026-01-09", "2026-02-02"]),
    ...     "net_amount": [100.0, 50.0, 30.0, 999.0],
    ...     "status": "paid",
    ...     "store": ["x", "y", "x", "x"],
    ... })
    >>> compute("gmv", orders, start="2026-01-01", end="2026-01-31", by="store")[["value"]]
           value
    store
    x      130.0
    y       50.0
    >>> compute("repurchase_rate", orders, start="2026-01-01", end="2026-01-31")[["value", "numerator", "denominator"]]
       value  numerator  denominator
    0    0.5          1            2
    """
    if metric_id not in REGISTRY:
        raise SikitInputError(f"unknown metric {metric_id!r}; known: {', '.join(REGISTRY)}")
    metric = REGISTRY[metric_id]
    unknown = sorted(set(params) - set(metric.params))
    if unknown:
        allowed = ", ".join(metric.params) or "none"
        raise SikitInputError(f"{metric_id} has no parameter(s) {', '.join(unknown)}; allowed: {allowed}")
    params = {**metric.params, **params}
    start, end = _day(start, "start"), _day(end, "end")
    if end < start:
        raise SikitInputError(f"end ({end:%Y-%m-%d}) is before start ({start:%Y-%m-%d})")
    if metric.needs_orders or orders is not None:
        if orders is None:
            raise SikitInputError(f"{metric_id} needs the orders table")
        require_columns(orders, [S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS], "orders")
    if by is not None and by not in DIMENSIONS:
        raise SikitInputError(f"unknown dimension by={by!r}; allowed: {', '.join(DIMENSIONS)}")
    if by is not None and by not in metric.by:
        raise SikitInputError(f"{metric_id} cannot be split by {by!r}; allowed: {', '.join(metric.by) or 'none'}")
    if metric.base == "contacts" and "as_of" in params and params["as_of"] is None:
        # follow-up metrics see data up to the period end unless told otherwise, the same
        # as_of for every month of a by="month" split
        params["as_of"] = end

    if by is None:
        return pd.DataFrame([_row(metric, orders, contacts, start, end, params)])
    if by == "month":
        rows = [_row(metric, orders, contacts, s, e, params) for _, s, e in _months(start, end)]
        index = pd.PeriodIndex([m for m, _, _ in _months(start, end)], name="month")
        return pd.DataFrame(rows, index=index)

    if by == S.DELETED_BY:
        return _split_deletions(metric, orders, contacts, start, end, params)
    if metric.base == "groups":
        return _split_groups(metric, orders, contacts, start, end, params)
    if metric.base == "contacts":
        return _split_contacts(metric, orders, contacts, start, end, by, params)
    labels = _group_labels(orders, contacts, by, end)
    # only groups that bought in the period (active_customers: in its window); the group of a
    # row is fixed, so a group's later orders (return_rate) stay in it
    first = _window_start(end, params["window_days"]) if metric.at_end else start
    in_period = _paid_between(orders, first, end).index
    groups = pd.unique(labels.loc[in_period])
    rows, index = [], []
    for g in groups:
        mask = labels.isna() if pd.isna(g) else labels == g
        rows.append(_row(metric, orders[mask.to_numpy()], contacts, start, end, params))
        index.append(g)
    columns = ["value", "numerator", "denominator", "start", "end"] if metric.ratio else ["value", "start", "end"]
    out = pd.DataFrame(rows, index=pd.Index(index, name=by, dtype="object"), columns=columns)
    return out.sort_index(na_position="last")


def cohort_retention(orders: pd.DataFrame, *, as_of, freq: str = "M", max_periods: int = 12,
                     values: str = "share") -> pd.DataFrame:
    """Monthly cohort retention: who bought again how many months after their first purchase.

    Parameters
    ----------
    orders : DataFrame
        Clean orders; only paid orders up to the end of ``as_of`` count.
    as_of : date-like
        The last day the orders cover. Only months that have fully ended by
        ``as_of`` are used: a month still running would show a share too low,
        so its cells are NA, never 0, and customers whose first purchase is in
        it form no cohort yet.
    freq : {"M"}
        Calendar months (the only period supported so far).
    max_periods : int, default 12
        Columns ``0 .. max_periods`` months since the first purchase.
    values : {"share", "count"}
        ``share``: fraction of the cohort with a paid order in that month
        (month 0 is 1.0 by construction). ``count``: number of such customers;
        column 0 is the cohort size.

    Returns
    -------
    DataFrame indexed by ``cohort`` (month of first paid purchase) with
    columns ``0 .. max_periods``; unobservable cells are NA.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "b", "a", "c", "c"],
    ...     "order_time": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-02-11", "2026-02-03", "2026-03-30"]),
    ...     "net_amount": 10.0,
    ...     "status": "paid",
    ... })
    >>> cohort_retention(orders, as_of="2026-03-15", max_periods=2)
               0    1   2
    cohort
    2026-01  1.0  0.5 NaN
    2026-02  1.0  NaN NaN
    """
    if freq != "M":
        raise SikitInputError(f"freq must be 'M' (calendar months), got {freq!r}")
    if values not in ("share", "count"):
        raise SikitInputError(f"values must be 'share' or 'count', got {values!r}")
    if not isinstance(max_periods, (int, np.integer)) or max_periods < 0:
        raise SikitInputError(f"max_periods must be a whole number >= 0, got {max_periods!r}")
    day = _day(as_of, "as_of")
    # the last month that has fully ended by the end of as_of
    last_month = (day + pd.Timedelta(days=1)).to_period("M") - 1
    paid = paid_orders(orders, day)
    # months as whole numbers, so "months since first purchase" is a subtraction
    month = paid[_DAY].dt.year * 12 + paid[_DAY].dt.month - 1
    last = last_month.year * 12 + last_month.month - 1
    paid = pd.DataFrame({S.CUSTOMER_ID: paid[S.CUSTOMER_ID], "month": month})[month <= last]
    paid = paid.drop_duplicates()
    cohort = paid.groupby(S.CUSTOMER_ID)["month"].transform("min")
    offset = paid["month"] - cohort
    keep = offset <= max_periods
    counts = (pd.DataFrame({"cohort": cohort[keep], "offset": offset[keep]})
              .groupby(["cohort", "offset"]).size().unstack("offset"))
    columns = pd.RangeIndex(max_periods + 1)
    counts = counts.reindex(columns=columns).fillna(0).astype("int64")
    # cell (cohort c, offset k) is observed only if month c + k has ended
    observed = columns.to_numpy()[None, :] <= (last - counts.index.to_numpy())[:, None]
    # monthly Period ordinals count months from 1970-01
    counts.index = pd.PeriodIndex.from_ordinals(counts.index.to_numpy(dtype="int64") - 1970 * 12,
                                                freq="M", name="cohort")
    counts.columns.name = None
    if values == "count":
        return counts.astype("Int64").where(observed, pd.NA)
    size = counts[0].replace(0, np.nan)
    return counts.div(size, axis=0).astype("float64").where(observed, np.nan)


# --- acquisition: new contacts by month and channel -----------------------------------------

#: How a table labels contacts without a channel (or staff), in zh and en: the zh label is the
#: one :func:`acquisition` writes, the charts show the one of their language.
UNKNOWN: dict[str, tuple[str, str]] = {S.CHANNEL: ("未知渠道", "unknown channel"), S.STAFF: ("未知员工", "unknown staff")}


def acquisition(contacts: pd.DataFrame, start, end, by: str = "channel") -> pd.DataFrame:
    """New contacts (引流) per month of ``[start, end]`` and channel: where the private pool grows from.

    Counts as the ``new_contacts`` metric: distinct customers with an
    ``added_at`` on a local day in the period, each once, in the month and
    channel of their earliest addition in it; a contact without ``added_at``
    is never counted. So the table adds up to
    ``compute("new_contacts", None, contacts, start=start, end=end)``.

    Parameters
    ----------
    contacts : DataFrame
        Clean contacts with ``customer_id``, ``added_at`` and ``by``.
    start, end : date-like
        First and last local day of the period, both inclusive; the first and
        last month count only their days inside it.
    by : {"channel", "staff"}
        The contact attribute of the columns; a missing (or blank) one is
        labelled 未知渠道 (未知员工 for staff).

    Returns
    -------
    DataFrame of new contacts (int64), indexed by ``month`` ("YYYY-MM", every
    month from start's to end's, months without new contacts as 0), one
    column per channel (most new contacts first, the unknown one last).

    Examples
    --------
    >>> import pandas as pd
    >>> contacts = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d", "e"],
    ...     "added_at": pd.to_datetime(["2026-01-05", "2026-01-20", "2026-03-02", "2026-03-09", "2026-04-01"]),
    ...     "channel": ["包裹卡", "门店活码", "门店活码", None, "包裹卡"],
    ... })
    >>> acquisition(contacts, "2026-01-01", "2026-03-31")
    channel  门店活码  包裹卡  未知渠道
    month
    2026-01     1    1     0
    2026-02     0    0     0
    2026-03     1    0     1
    """
    start, end = _day(start, "start"), _day(end, "end")
    if end < start:
        raise SikitInputError(f"end ({end:%Y-%m-%d}) is before start ({start:%Y-%m-%d})")
    if by not in UNKNOWN:
        raise SikitInputError(f"by must be one of {', '.join(UNKNOWN)} (a contact attribute), got {by!r}")
    contacts = _need_contacts(contacts, "acquisition", [by])
    new = _added_between(contacts, start, end)
    new = new[new[S.CUSTOMER_ID].notna().to_numpy()].sort_values(S.ADDED_AT, kind="stable")
    new = new.drop_duplicates(S.CUSTOMER_ID)           # each customer once, at their earliest addition
    month = _local_day(new[S.ADDED_AT]).dt.strftime("%Y-%m").to_numpy(dtype=object)
    unknown = UNKNOWN[by][0]
    label = _ids(new[by]).fillna(unknown).to_numpy(dtype=object)
    months = pd.Index(pd.period_range(start, end, freq="M").strftime("%Y-%m"), name="month", dtype="object")
    counts = pd.Series(1, index=pd.MultiIndex.from_arrays([month, label])).groupby(level=[0, 1]).sum()
    table = counts.unstack(fill_value=0).reindex(index=months, fill_value=0) if len(counts) else (
        pd.DataFrame(index=months, columns=pd.Index([], dtype="object")))
    totals = table.sum()
    order = sorted(table.columns, key=lambda ch: (ch == unknown, -int(totals[ch]), str(ch)))
    table = table[order].astype("int64")
    table.index.name, table.columns.name = "month", by
    return table


# --- fission: referral trees, top referrers, referred vs other ------------------------------

def _known_at(contacts: pd.DataFrame, as_of) -> pd.DataFrame:
    """Contacts added by the end of ``as_of`` (all of them when as_of is None)."""
    if as_of is None:
        return contacts
    day = _local_day(contacts[S.ADDED_AT])
    return contacts[(day <= _day(as_of, "as_of")).to_numpy()]


def referral_tree(contacts: pd.DataFrame, *, as_of=None) -> pd.DataFrame:
    """The referral forest: per root referrer, how many customers its tree holds and how deep it goes.

    An edge runs from each contact's ``referrer_id`` to the contact. A root is
    a referrer who has no referrer of their own (or whose referrer is
    themselves, or who is not among the contacts, e.g. deleted). Self-referrals
    (``referrer_id == customer_id``) are dropped as edges. Referrer chains that
    loop (A -> B -> A) have no root: their members, and everyone hanging off
    them, are left out of the forest and only counted; nothing walks a chain
    twice, so cycles cannot make this loop forever.

    Parameters
    ----------
    contacts : DataFrame
        Clean contacts with ``customer_id``, ``referrer_id`` (and ``added_at``
        when ``as_of`` is given).
    as_of : date-like, optional
        Only contacts added by the end of this day count (an invitee added
        later is not yet an edge).

    Returns
    -------
    DataFrame indexed by ``root_id`` (only roots with at least one invitee),
    sorted by ``size`` then ``root_id``: ``size`` (customers in the tree,
    root included), ``direct`` (the root's own invitees) and ``depth``
    (generations below the root: 1 when only direct invitees). ``attrs``
    holds ``self_referrals``, ``cycles`` (number of loops), ``in_cycles``
    (customers on a loop) and ``unrooted`` (customers whose chain ends in a
    loop, loop members included).

    Examples
    --------
    >>> import pandas as pd
    >>> contacts = pd.DataFrame({"customer_id": ["a", "b", "c", "d", "x", "y"],
    ...                          "referrer_id": [None, "a", "b", "a", "y", "x"]})
    >>> tree = referral_tree(contacts)
    >>> tree
             size  direct  depth
    root_id
    a           4       2      2
    >>> tree.attrs["cycles"], tree.attrs["in_cycles"]
    (1, 2)
    """
    require_columns(contacts, [S.CUSTOMER_ID, S.REFERRER_ID] + ([S.ADDED_AT] if as_of is not None else []),
                    "contacts")
    c = _known_at(contacts, as_of)
    c = c[_ids(c[S.CUSTOMER_ID]).notna().to_numpy()]
    c = c.drop_duplicates(S.CUSTOMER_ID)
    ref, n_self = _referrers(c)
    ids = _ids(c[S.CUSTOMER_ID])
    has = ref.notna().to_numpy()
    parent = pd.Series(ref[has].to_numpy(dtype=object), index=ids[has].to_numpy(dtype=object))
    # roots: referrers who are nobody's invitee
    roots = pd.unique(parent[~parent.isin(parent.index)].to_numpy())
    root_of = pd.Series(roots, index=roots, dtype=object)
    depth = pd.Series(0, index=roots, dtype="int64")
    level, d = pd.Index(roots), 0
    while len(level):  # one step per generation; only nodes reachable from a root are ever visited
        d += 1
        children = parent[parent.isin(level)]
        root_of = pd.concat([root_of, pd.Series(root_of.loc[children.to_numpy()].to_numpy(),
                                                index=children.index, dtype=object)])
        depth = pd.concat([depth, pd.Series(d, index=children.index, dtype="int64")])
        level = children.index
    # what is left has no root: prune leaves until only the loops remain
    left = parent[~parent.index.isin(root_of.index)]
    loops = left
    while True:
        leaf = ~loops.index.isin(loops.to_numpy())
        if not leaf.any():
            break
        loops = loops[~leaf]
    n_cycles, seen = 0, set()
    for node in loops.index:       # every loop node has its parent on the same loop
        if node in seen:
            continue
        n_cycles += 1
        while node not in seen:
            seen.add(node)
            node = loops[node]
    invitees = root_of.drop(roots)
    g = pd.DataFrame({"root": invitees.to_numpy(), "depth": depth.loc[invitees.index].to_numpy()}).groupby("root")
    direct = parent[parent.isin(roots)].value_counts()
    out = pd.DataFrame({"size": g.size() + 1, "direct": direct, "depth": g["depth"].max()})
    out = out.reindex(roots).astype("int64")
    out.index = pd.Index(out.index.astype(object), name="root_id", dtype="object")
    out = out.reset_index().sort_values(["size", "root_id"], ascending=[False, True]).set_index("root_id")
    out.attrs.update(self_referrals=n_self, cycles=n_cycles, in_cycles=int(len(loops)), unrooted=int(len(left)))
    return out


def top_referrers(contacts: pd.DataFrame, start, end, n: int = 10) -> pd.DataFrame:
    """The referrers who brought the most new contacts in ``[start, end]``.

    Counts the contacts added in the period whose ``referrer_id`` names
    someone else (self-referrals do not count).

    Returns
    -------
    DataFrame indexed by ``referrer_id``, at most ``n`` rows, sorted by
    ``invitations`` (descending, ties by id), with ``invitations`` and, when
    the referrer is among the contacts added by ``end``, their ``channel``
    and ``staff`` (NA otherwise).

    Examples
    --------
    >>> import pandas as pd
    >>> contacts = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"],
    ...     "added_at": pd.to_datetime(["2026-01-01", "2026-02-03", "2026-02-09", "2026-03-01"]),
    ...     "referrer_id": [None, "a", "a", "a"],
    ... })
    >>> top_referrers(contacts, "2026-02-01", "2026-02-28")
                 invitations
    referrer_id
    a                      2
    """
    start, end = _day(start, "start"), _day(end, "end")
    if end < start:
        raise SikitInputError(f"end ({end:%Y-%m-%d}) is before start ({start:%Y-%m-%d})")
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool) or n < 1:
        raise SikitInputError(f"n must be a whole number >= 1, got {n!r}")
    contacts = _need_contacts(contacts, "top_referrers", [S.REFERRER_ID])
    ref, _ = _referrers(_added_between(contacts, start, end))
    counts = ref.dropna().value_counts()
    out = pd.DataFrame({"referrer_id": counts.index.astype(object), "invitations": counts.to_numpy("int64")})
    out = out.sort_values(["invitations", "referrer_id"], ascending=[False, True]).head(n).set_index("referrer_id")
    known = _known_at(contacts, end)
    known = known[_ids(known[S.CUSTOMER_ID]).notna().to_numpy()].drop_duplicates(S.CUSTOMER_ID)
    for col in (S.CHANNEL, S.STAFF):
        if col in known.columns:
            lookup = pd.Series(known[col].to_numpy(), index=_ids(known[S.CUSTOMER_ID]).to_numpy(dtype=object))
            out[col] = out.index.map(lookup)
    return out


def referred_vs_other(orders: pd.DataFrame, contacts: pd.DataFrame, *, as_of, start=None, end=None,
                      within_days: int = 30, repurchase_days: int = 90) -> pd.DataFrame:
    """Referred (老带新) against other customers: conversion and repurchase, side by side.

    The customers are the contacts added in ``[start, end]`` (default: all
    contacts added by ``as_of``); "referred" ones have a ``referrer_id``
    naming someone else. Only orders up to the end of ``as_of`` are seen.

    - conversion: as the ``conversion_rate`` metric -- a first paid order
      within ``within_days`` of the day added, over contacts whose window
      ended by ``as_of`` and who had not bought before being added.
    - repurchase: share of buyers who bought again (another purchase day)
      within ``repurchase_days`` after their first purchase day, over buyers
      whose first purchase was at least ``repurchase_days`` before ``as_of``,
      so short and long tenures are compared over the same window
      (90 days by default: over longer windows nearly every lasting buyer
      has bought twice and the rate saturates). ``repeat_days_per_buyer``
      is the mean number of further purchase days in that window.

    Returns
    -------
    DataFrame indexed by ``group`` (``referred``, ``other``) with
    ``group_zh`` (老带新, 其他), ``contacts``, ``converted``,
    ``conversion_base``, ``conversion_rate``, ``repurchased``,
    ``repurchase_base``, ``repurchase_rate``, ``repeat_days_per_buyer``; a
    rate with a zero base is NaN.
    """
    as_of = _day(as_of, "as_of")
    contacts = _need_contacts(contacts, "referred_vs_other", [S.REFERRER_ID])
    end = as_of if end is None else _day(end, "end")
    if start is None:
        start = min(_local_day(contacts[S.ADDED_AT]).min(), end) if contacts[S.ADDED_AT].notna().any() else end
    else:
        start = _day(start, "start")
    if end > as_of:
        raise SikitInputError(f"end ({end:%Y-%m-%d}) is after as_of ({as_of:%Y-%m-%d})")
    for name, v in (("repurchase_days", repurchase_days),):
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool) or v < 1:
            raise SikitInputError(f"{name} must be a whole number of days >= 1, got {v!r}")
    new = _added_between(contacts, start, end).drop_duplicates(S.CUSTOMER_ID)
    ref, _ = _referrers(new)
    referred = pd.Series(ref.notna().to_numpy(), index=new[S.CUSTOMER_ID].astype("str").to_numpy())
    conv = _conversion(orders, new, start, end, as_of, within_days, "referred_vs_other")

    days = _purchases(paid_orders(orders, as_of), True)
    days = days[days[S.CUSTOMER_ID].isin(referred.index)]
    first = days.groupby(S.CUSTOMER_ID)[_DAY].transform("min")
    base = days.loc[first <= as_of - pd.Timedelta(days=repurchase_days), S.CUSTOMER_ID].unique()
    repeat = days.loc[(days[_DAY] > first) & (days[_DAY] <= first + pd.Timedelta(days=repurchase_days)),
                      S.CUSTOMER_ID].value_counts()
    again = repeat.index
    rows = []
    for group, zh, flag in (("referred", "老带新", True), ("other", "其他", False)):
        who = referred.index[referred.to_numpy() == flag]
        c = conv.loc[who]
        b = pd.Index(base).intersection(who)
        conversion = _ratio(int(c["converted"].sum()), int(c["counts"].sum()))
        repurchase = _ratio(int(b.isin(again).sum()), int(len(b)))
        rows.append({"group": group, "group_zh": zh, "contacts": int(len(who)),
                     "converted": conversion["numerator"], "conversion_base": conversion["denominator"],
                     "conversion_rate": conversion["value"],
                     "repurchased": repurchase["numerator"], "repurchase_base": repurchase["denominator"],
                     "repurchase_rate": repurchase["value"],
                     "repeat_days_per_buyer": float(repeat.reindex(b).fillna(0).mean()) if len(b) else np.nan})
    return pd.DataFrame(rows).set_index("group")


def loop_report(orders: pd.DataFrame, contacts: pd.DataFrame | None = None, *, start, end, as_of=None,
                by: str | None = None, costs: pd.DataFrame | None = None, members: pd.DataFrame | None = None,
                activity: pd.DataFrame | None = None, deletions: pd.DataFrame | None = None) -> pd.DataFrame:
    """Every registered metric for one period, one row each (per group with ``by``).

    A metric that cannot be computed on these tables (no deletion log, a next period not yet passed by ``as_of``, a dimension it does
    not accept, no channel cost table) keeps its row with an empty value and
    the reason in ``note``, so nothing is silently left out.

    ``costs`` (the clean channel cost table: channel, month, spend) is passed
    to the metrics that take it (cost_per_contact, cac, ltv_cac); their rows
    carry ``uncosted_contacts``, and an empty value caused by a channel
    without spend rows says so in ``note``.

    ``members`` and ``activity`` (the clean group member and activity
    tables) are passed the same way to the 社群 metrics that take them;
    without them those rows say which table is missing. So is ``deletions``
    (the clean deletion log: customer_id, deleted_at, deleted_by) to
    net_contact_growth and lost_contacts, and to pool_size (which without
    it counts every contact added by ``end``, as its definition says).
    """
    rows = []
    for metric in REGISTRY.values():
        params = {"as_of": as_of} if "as_of" in metric.params and as_of is not None else {}
        for name, table in (("costs", costs), ("members", members), ("activity", activity),
                            ("deletions", deletions)):
            if name in metric.params and table is not None:
                params[name] = table
        head = {"id": metric.id, "name_zh": metric.name_zh, "name_en": metric.name_en}
        try:
            if by is not None and by not in metric.by:
                raise SikitInputError(f"{metric.id} cannot be split by {by}")
            table = compute(metric.id, orders, contacts, start=start, end=end, by=by, **params)
        except SikitInputError as exc:
            rows.append({**head, "note": str(exc)})
            continue
        # to_dict, not iterrows: a row Series would cast a NaN value to NaT beside the dates
        for group, row in table.to_dict(orient="index").items():
            rows.append({**head, **({by: group} if by else {}), **row, "note": ""})
    first = ["id", "name_zh", "name_en", *([by] if by else []), "value", "numerator", "denominator"]
    out = pd.DataFrame(rows)
    # When every metric failed (e.g. no contacts and by="channel") there is no value column yet.
    out = out.reindex(columns=[*first, *[c for c in out.columns if c not in first]])
    # An empty value always says why: nobody in the base is not the same as "0".
    silent = out["value"].isna() & (out["note"] == "")
    if UNCOSTED in out.columns:
        unknown = silent & (out[UNCOSTED].fillna(0) > 0)
        out.loc[unknown, "note"] = [
            f"no spend recorded for the channel and month of {int(n)} new contact(s): cost unknown, not zero"
            for n in out.loc[unknown, UNCOSTED]]
        silent &= ~unknown
    out.loc[silent, "note"] = "no customers or orders in the base for this period"
    defs = {m.id: (m.definition_zh, m.definition_en) for m in REGISTRY.values()}
    out["definition_zh"] = out["id"].map(lambda i: defs[i][0])
    out["definition_en"] = out["id"].map(lambda i: defs[i][1])
    return out
