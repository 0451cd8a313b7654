"""Point-in-time customer features from clean orders.

Every function here takes an ``as_of`` day and sees only orders placed at
or before the end of that day (local time): no feature can see the future.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _schema as S
from ._errors import SikitInputError, require_columns

__all__ = ["as_of_day", "paid_orders", "rfm", "btyd_summary", "FEATURE_NAMES"]

#: Feature columns of :func:`rfm`: (zh, en) labels for charts and tables.
FEATURE_NAMES: dict[str, tuple[str, str]] = {
    S.RECENCY_DAYS: ("最近一次购买距今天数", "days since last purchase"),
    S.FREQUENCY: ("购买次数", "purchases"),
    S.MONETARY: ("累计消费金额", "total net spend"),
    S.MONETARY_MEAN: ("平均每次消费", "mean spend per purchase"),
    S.DAYS_SINCE_FIRST: ("首次购买距今天数", "days since first purchase"),
    S.TENURE_DAYS: ("成为客户天数", "days as a customer"),
}

_UNITS = {"D": 1, "W": 7}


def as_of_day(as_of) -> pd.Timestamp:
    """The ``as_of`` day as a naive midnight timestamp; data up to the end of that day count.

    A time of day is refused rather than silently rounded, because rounding
    down would let the rest of that day's orders in.

    Examples
    --------
    >>> as_of_day("2026-10-31")
    Timestamp('2026-10-31 00:00:00')
    >>> as_of_day("2026-10-31 12:00")
    Traceback (most recent call last):
    ...
    sikit._errors.SikitInputError: as_of must be a day such as 2026-10-31 (data up to the end of that day count), got '2026-10-31 12:00'
    """
    try:
        day = pd.Timestamp(as_of)
    except (ValueError, TypeError):
        day = pd.NaT
    if day is pd.NaT or pd.isna(day) or day != day.normalize():
        raise SikitInputError(
            f"as_of must be a day such as 2026-10-31 (data up to the end of that day count), got {as_of!r}"
        )
    return day.tz_localize(None) if day.tzinfo is not None else day


def _local_day(times: pd.Series) -> pd.Series:
    """Calendar day of each time in the brand's time zone, as naive midnight timestamps."""
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        times = times.dt.tz_convert(S.TIMEZONE).dt.tz_localize(None)
    return times.dt.normalize()


def _before_end_of(times: pd.Series, day: pd.Timestamp) -> pd.Series:
    return _local_day(times) <= day


def paid_orders(orders: pd.DataFrame, as_of) -> pd.DataFrame:
    """Paid orders placed at or before the end of ``as_of``, with their local ``order_day``.

    Refunded, cancelled and unpaid orders do not count as purchases; a
    partly refunded order counts with its net amount. Given its own output
    (``customer_id``, ``order_day``, ``net_amount``), it only cuts at
    ``as_of``: a caller that looks at many cut-offs filters the orders once.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "net_amount": [10.0, 20.0, 5.0],
    ...                        "order_time": pd.to_datetime(["2026-01-01", "2026-01-05", "2026-01-03"]),
    ...                        "status": ["paid", "paid", "refunded"]})
    >>> paid = paid_orders(orders, "2026-01-31")
    >>> len(paid), len(paid_orders(paid, "2026-01-04"))
    (2, 1)
    """
    day = as_of_day(as_of)
    if "order_day" in orders.columns and S.STATUS not in orders.columns:
        return orders[(orders["order_day"] <= day).to_numpy()]
    require_columns(orders, [S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS], "orders")
    o = orders[[S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS]]
    o = o[(o[S.STATUS] == S.PAID) & o[S.CUSTOMER_ID].notna()]
    order_day = _local_day(o[S.ORDER_TIME])
    keep = order_day <= day
    return pd.DataFrame({
        S.CUSTOMER_ID: o[S.CUSTOMER_ID][keep].astype("str"),
        "order_day": order_day[keep],
        S.NET_AMOUNT: o[S.NET_AMOUNT][keep].astype("float64"),
    })


#: Money is summed as whole millionths of a yuan: exact whatever order the rows come in, so
#: pandas agrees to the last bit with an engine's DECIMAL(38, 6) sums (sikit.features.rfm_ibis),
#: and a parallel engine gives the same result on every run.
MONEY_SCALE = 1_000_000


def _micro(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with ``_micro``: its net amount in whole millionths (a missing amount is 0, as sums skip it)."""
    return frame.assign(_micro=(frame[S.NET_AMOUNT].fillna(0.0) * MONEY_SCALE).round().astype("int64"))


def _money(micro_sum: pd.Series) -> pd.Series:
    return micro_sum / MONEY_SCALE


def _per_day(paid: pd.DataFrame) -> pd.DataFrame:
    """One row per customer and purchase day (the BTYD convention)."""
    out = _micro(paid).groupby([S.CUSTOMER_ID, "order_day"], as_index=False, sort=False)["_micro"].sum()
    return out.assign(**{S.NET_AMOUNT: _money(out.pop("_micro"))})


def _days(delta: pd.Series) -> pd.Series:
    return (delta / pd.Timedelta(days=1)).round().astype("Int64")


def rfm(orders: pd.DataFrame, as_of, *, contacts: pd.DataFrame | None = None,
        collapse_same_day: bool = False) -> pd.DataFrame:
    """Recency, frequency and monetary features per customer, as seen at the end of ``as_of``.

    Parameters
    ----------
    orders : DataFrame
        Clean orders (``sikit.clean(...).orders``): ``customer_id``,
        ``order_time``, ``net_amount``, ``status``. Only paid orders at or
        before ``as_of`` count.
    as_of : date-like
        The day the features describe; orders up to the end of it count.
    contacts : DataFrame, optional
        Clean contacts. When given, contacts added at or before ``as_of``
        who have not bought appear with ``frequency`` 0 and ``monetary`` 0;
        contacts without an ``added_at`` cannot be placed in time and appear
        only if they bought.
    collapse_same_day : bool, default False
        Count purchase days instead of orders (the BTYD convention).

    Returns
    -------
    DataFrame indexed by ``customer_id`` (sorted) with ``first_purchase``,
    ``last_purchase``, ``recency_days`` (days since the last purchase, 0 if
    it was on ``as_of``), ``frequency`` (paid orders, or purchase days),
    ``monetary`` (total net spend), ``monetary_mean`` (net spend per
    purchase), ``days_since_first_purchase`` and ``tenure_days`` (days since
    the customer became known: added as a contact or first purchase,
    whichever came first).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a"],
    ...     "order_time": pd.to_datetime(["2026-01-01", "2026-01-21", "2026-01-11", "2026-02-01"]),
    ...     "net_amount": [100.0, 50.0, 80.0, 999.0],
    ...     "status": ["paid", "paid", "paid", "paid"],
    ... })
    >>> rfm(orders, as_of="2026-01-31")[["recency_days", "frequency", "monetary"]]
                 recency_days  frequency  monetary
    customer_id
    a                      10          2     150.0
    b                      20          1      80.0
    """
    day = as_of_day(as_of)
    paid = paid_orders(orders, day)
    unit = _per_day(paid) if collapse_same_day else paid
    g = _micro(unit).groupby(S.CUSTOMER_ID, sort=True)
    out = pd.DataFrame({
        S.FIRST_PURCHASE: g["order_day"].min(),
        S.LAST_PURCHASE: g["order_day"].max(),
        S.FREQUENCY: g.size().astype("int64"),
        S.MONETARY: _money(g["_micro"].sum()),
    })
    known = out[S.FIRST_PURCHASE]
    if contacts is not None:
        require_columns(contacts, [S.CUSTOMER_ID, S.ADDED_AT], "contacts")
        c = contacts[[S.CUSTOMER_ID, S.ADDED_AT]].dropna()
        added = _local_day(c[S.ADDED_AT])
        c = pd.Series(added[added <= day].to_numpy(), index=c[S.CUSTOMER_ID][added <= day].astype("str"))
        c = c.groupby(level=0).min()
        out = out.reindex(out.index.union(c.index))
        out.index.name = S.CUSTOMER_ID
        out[S.FREQUENCY] = out[S.FREQUENCY].fillna(0).astype("int64")
        out[S.MONETARY] = out[S.MONETARY].fillna(0.0)
        known = pd.concat([out[S.FIRST_PURCHASE], c.reindex(out.index)], axis=1).min(axis=1)
    out[S.MONETARY_MEAN] = out[S.MONETARY] / out[S.FREQUENCY].where(out[S.FREQUENCY] > 0)
    out[S.RECENCY_DAYS] = _days(day - out[S.LAST_PURCHASE])
    out[S.DAYS_SINCE_FIRST] = _days(day - out[S.FIRST_PURCHASE])
    out[S.TENURE_DAYS] = _days(day - known)
    out.index.name = S.CUSTOMER_ID
    return out[[S.FIRST_PURCHASE, S.LAST_PURCHASE, S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY,
                S.MONETARY_MEAN, S.DAYS_SINCE_FIRST, S.TENURE_DAYS]]


def btyd_summary(orders: pd.DataFrame, as_of, *, unit: str = "D") -> pd.DataFrame:
    """The buy-till-you-die summary per customer who bought at or before ``as_of``.

    Same-day purchases are collapsed into one. ``frequency`` is the number
    of repeat purchase days, ``recency`` the time from the first to the last
    purchase day and ``T`` the time from the first purchase day to the end
    of ``as_of``, both in ``unit`` (``"D"`` days or ``"W"`` weeks of 7 days).
    ``monetary_value`` is the mean net spend of the repeat purchase days (0
    when there are none), as the Gamma-Gamma model expects.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "order_time": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 18:00", "2026-01-15 10:00", "2026-01-08 10:00"]),
    ...     "net_amount": [10.0, 20.0, 40.0, 5.0],
    ...     "status": "paid",
    ... })
    >>> btyd_summary(orders, as_of="2026-01-29", unit="W")
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  4.0            40.0
    b                    0      0.0  3.0             0.0
    """
    if unit not in _UNITS:
        raise SikitInputError(f"unit must be 'D' (days) or 'W' (weeks), got {unit!r}")
    day = as_of_day(as_of)
    # Day order within each customer is all that .first() below needs: a stable sort on the
    # day alone keeps it and is several times faster than sorting by (customer, day).
    days = _per_day(paid_orders(orders, day)).sort_values("order_day", kind="stable")
    g = _micro(days).groupby(S.CUSTOMER_ID, sort=True)
    first, last = g["order_day"].min(), g["order_day"].max()
    n = g.size()
    repeat_spend = _money(g["_micro"].sum() - g["_micro"].first())
    step = pd.Timedelta(days=_UNITS[unit])
    out = pd.DataFrame({
        "frequency": (n - 1).astype("int64"),
        "recency": (last - first) / step,
        "T": (day - first) / step,
        "monetary_value": (repeat_spend / (n - 1).where(n > 1)).fillna(0.0),
    })
    out.index.name = S.CUSTOMER_ID
    return out
