"""The orders-to-features step written once in Ibis: DuckDB on one machine, PySpark on a cluster.

:func:`rfm_ibis`, :func:`btyd_summary_ibis` and :func:`repurchase_labels_ibis`
give the same frames as :func:`sikit.features.rfm`,
:func:`sikit.features.btyd_summary` and
:func:`sikit._propensity.repurchase_labels`, but scan the orders in a
database engine instead of pandas: an in-memory DuckDB by default, or any
Ibis backend passed as ``backend`` (the same expressions run unchanged on
``ibis.pyspark.connect(session)``). Orders may be a pandas DataFrame, a
Parquet or CSV file, a folder of Parquet files, or an Ibis table.

Where the engines differ, the expressions pin the meaning down:

- **Local days.** An order's day is its calendar day in Asia/Shanghai.
  Time-zone-aware times (clean Parquet) are turned into days by the engine
  under its session time zone, so :func:`orders_table` sets that zone to
  Asia/Shanghai (DuckDB ``TimeZone``, Spark ``spark.sql.session.timeZone``);
  a pandas frame is handed over with naive local times, which every engine
  reads as wall-clock times.
- **Days are differences of dates**, never of timestamps: a timestamp
  difference counts day boundaries crossed on DuckDB but whole days elapsed
  on Spark.
- **Division** is done on float64 operands; **NULLs** in the
  earliest-of-two (``tenure_days``) are handled explicitly rather than left to
  each engine's ``LEAST``; a missing amount (NULL or NaN) is 0 and an empty
  sum is 0, as pandas' sums skip them.
- **Missing values from pandas.** Spark's conversion of a pandas frame turns
  a missing string into the text ``"NaN"``, so rows without a customer, time
  or status (which never count) are left out before a frame is handed over.
- **Order** of customers: the engine sorts, and pandas sorts again if the
  engine's collation disagreed with pandas' code-point order.
- **Distinct ids** come from ``group_by``: Ibis 12 compiles
  ``select(...).distinct().order_by(...)`` for Spark as a DISTINCT over all
  columns before the projection, which keeps duplicates.

Ibis is an optional dependency (``pip install 'sikit[scale]'``); importing
:mod:`sikit` does not import it.
"""

from __future__ import annotations

import os
import re
import tempfile
import uuid
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd
import pyarrow as pa

from . import _schema as S
from ._errors import SikitInputError, require_columns
from ._features import _UNITS, as_of_day

__all__ = [
    "orders_table", "contacts_table", "connect", "use_local_time_zone", "paid_expr", "rfm_expr", "btyd_expr",
    "labels_expr", "rfm_ibis", "btyd_summary_ibis", "repurchase_labels_ibis",
    "windows_expr", "windows_ibis", "WINDOW_COLUMNS",
]

ORDER_COLUMNS = (S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS)
CONTACT_COLUMNS = (S.CUSTOMER_ID, S.ADDED_AT)
_DAY = "order_day"
_RFM_COLUMNS = [S.FIRST_PURCHASE, S.LAST_PURCHASE, S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY,
                S.MONETARY_MEAN, S.DAYS_SINCE_FIRST, S.TENURE_DAYS]


# --- backends and inputs -------------------------------------------------------------------

#: Memory a DuckDB connection of sikit's own may use before it spills to disk
#: (``SIKIT_DUCKDB_MEMORY`` overrides it). At tier L (93.6M orders), the
#: propensity window of 6.2M customers peaked at 4.3 GB under this cap, ran out
#: of memory under 2 GB, and took 7 GB under DuckDB's default (80% of RAM).
DUCKDB_MEMORY = "4GB"


def connect() -> ibis.BaseBackend:
    """A fresh in-memory DuckDB connection: session time zone Asia/Shanghai, memory capped.

    DuckDB may use :data:`DUCKDB_MEMORY` (or ``$SIKIT_DUCKDB_MEMORY``, such as
    ``8GB``) and spills beyond it to a folder in the system's temporary
    directory, never to the working directory.

    Examples
    --------
    >>> con = connect()
    >>> con.name
    'duckdb'
    """
    memory = os.environ.get("SIKIT_DUCKDB_MEMORY", DUCKDB_MEMORY).strip()
    if not re.fullmatch(r"\d+(\.\d+)?\s*[KMGT]i?B", memory, flags=re.IGNORECASE):
        raise SikitInputError(f"SIKIT_DUCKDB_MEMORY must be an amount such as 2GB or 512MB, got {memory!r}")
    con = ibis.duckdb.connect()
    con.raw_sql(f"SET memory_limit = '{memory}'")
    # Results are always sorted by customer id (see _run): insertion order need not be kept,
    # which lets DuckDB spill big aggregations instead of running out of memory.
    con.raw_sql("SET preserve_insertion_order = false")
    con.raw_sql(f"SET temp_directory = '{Path(tempfile.gettempdir()) / 'sikit-duckdb'}'")
    return use_local_time_zone(con)


def use_local_time_zone(backend: ibis.BaseBackend) -> ibis.BaseBackend:
    """Set the session time zone of ``backend`` to Asia/Shanghai, the brand's zone; return it.

    Turning a time-zone-aware time into a calendar day follows the session
    zone on DuckDB and Spark, so it must be the brand's. Other backends are
    left as they are.
    """
    if backend.name == "duckdb":
        backend.raw_sql(f"SET TimeZone = '{S.TIMEZONE}'")
    elif backend.name == "pyspark":
        backend.raw_sql(f"SET TIME ZONE '{S.TIMEZONE}'")
    return backend


def _register(frame: pd.DataFrame, columns, backend, what: str) -> ir.Table:
    require_columns(frame, list(columns), what)
    # A row without a customer, a time or a status can never count; leaving it out here
    # also keeps Spark's pandas conversion from turning a missing string into the text "NaN".
    frame = frame[list(columns)].dropna(subset=[c for c in columns if c != S.NET_AMOUNT])
    for col in frame.columns:  # hand over local wall-clock times: no engine time zone involved
        if isinstance(frame[col].dtype, pd.DatetimeTZDtype):
            frame[col] = frame[col].dt.tz_convert(S.TIMEZONE).dt.tz_localize(None)
    name = f"sikit_{what}_{uuid.uuid4().hex[:12]}"
    # As Arrow: Ibis's own pandas type inference reads an option pandas 3.1 deprecates.
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    if backend.name == "pyspark":  # Spark has no temporary tables, only temporary views
        return backend.create_view(name, table, overwrite=True)
    return backend.create_table(name, table, temp=True)


def _read(path: Path, backend) -> ir.Table:
    if path.is_dir():
        files = sorted(path.glob("*.parquet"))
        if not files:
            raise SikitInputError(f"no .parquet files in folder {str(path)!r}")
        # DuckDB takes a list of files, Spark a folder.
        return backend.read_parquet(files if backend.name == "duckdb" else str(path))
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return backend.read_parquet(str(path))
    if suffix == ".csv":
        return backend.read_csv(str(path))
    raise SikitInputError(f"expected a .parquet or .csv file or a folder of .parquet files, got {str(path)!r}")


def _table(obj, backend, columns, what: str) -> ir.Table:
    if not isinstance(obj, ir.Table):
        backend = use_local_time_zone(backend) if backend is not None else connect()
    if isinstance(obj, pd.DataFrame):
        return _register(obj, columns, backend, what)
    if isinstance(obj, (str, Path)):
        table = _read(Path(obj), backend)
    elif isinstance(obj, ir.Table):
        table = obj
    else:
        raise SikitInputError(f"{what} must be a DataFrame, a file path or an Ibis table, got {type(obj).__name__}")
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise SikitInputError(f"{what} lack column(s) {missing}")
    return table


def orders_table(orders, backend: ibis.BaseBackend | None = None) -> ir.Table:
    """Clean orders as an Ibis table on ``backend`` (default: a new in-memory DuckDB).

    Parameters
    ----------
    orders : DataFrame, str, Path or ibis.Table
        Clean orders with ``customer_id``, ``order_time``, ``net_amount`` and
        ``status``. A DataFrame is registered in the backend (only those
        columns, times as naive Asia/Shanghai wall-clock times, rows without
        a customer, time or status left out: they never count); a path is
        read in place: a ``.parquet`` file, a folder of ``.parquet`` files or
        a ``.csv`` file (Parquet keeps the types; a CSV is tested on DuckDB
        only, with times written with their ``+08:00`` offset as pandas
        writes them). An Ibis table is returned as it is.
    backend : Ibis backend, optional
        Where to register or read. Its session time zone is set to
        Asia/Shanghai (see :func:`use_local_time_zone`).

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a"], "order_time": pd.to_datetime(["2026-01-01 23:59"]),
    ...                        "net_amount": [10.0], "status": ["paid"]})
    >>> t = orders_table(orders)
    >>> t.columns
    ('customer_id', 'order_time', 'net_amount', 'status')
    >>> t.count().execute()
    1
    """
    return _table(orders, backend, ORDER_COLUMNS, "orders")


def contacts_table(contacts, backend: ibis.BaseBackend | None = None) -> ir.Table:
    """Clean contacts (``customer_id``, ``added_at``) as an Ibis table, read like :func:`orders_table`."""
    return _table(contacts, backend, CONTACT_COLUMNS, "contacts")


# --- expressions ---------------------------------------------------------------------------

def _date(day: pd.Timestamp) -> ir.DateScalar:
    return ibis.date(day.year, day.month, day.day)


def _days_between(later, earlier) -> ir.IntegerValue:
    """Whole days from the date ``earlier`` to the date ``later`` (NULL if either is NULL)."""
    return later.delta(earlier, unit="day")


def _paid_rows(orders_t: ir.Table, day: pd.Timestamp) -> ir.Table:
    """Paid orders with a customer placed before the end of the local day ``day``, without their days.

    The bound is a wall-clock time: engines read it in the session time zone
    (Asia/Shanghai, see :func:`use_local_time_zone`) against time-zone-aware
    times, and as it is against naive local times.
    """
    end = day + pd.Timedelta(days=1)
    o = orders_t.filter((orders_t[S.STATUS] == S.PAID) & orders_t[S.CUSTOMER_ID].notnull()
                        & (orders_t[S.ORDER_TIME] < ibis.literal(end.to_pydatetime(), type="timestamp")))
    amount = o[S.NET_AMOUNT].cast("float64")
    return o.select(
        customer_id=o[S.CUSTOMER_ID].cast("string"),
        order_time=o[S.ORDER_TIME],
        # pandas' sums skip a missing amount; engines keep NaN (and Spark reads pandas' NaN as NaN)
        net_amount=ibis.ifelse(amount.isnull() | amount.isnan(), 0.0, amount),
    )


def paid_expr(orders_t: ir.Table, as_of) -> ir.Table:
    """Paid orders with a customer, on or before the local day ``as_of``: ``customer_id``, ``order_day``, ``net_amount``.

    The Ibis form of :func:`sikit.features.paid_orders`: refunded, cancelled
    and unpaid orders (and a NULL status) do not count; ``order_day`` is the
    order's calendar day in Asia/Shanghai; a missing (NULL or NaN) amount is
    0, as pandas' sums skip it.
    """
    o = _paid_rows(orders_t, as_of_day(as_of))
    return o.select(o[S.CUSTOMER_ID], order_day=o[S.ORDER_TIME].date(), net_amount=o[S.NET_AMOUNT])


def _money_sum(amount, where=None) -> ir.FloatingValue:
    """A sum of money as DECIMAL(38, 6), then float64: exact whatever order an engine adds the rows in.

    The same whole millionths pandas sums (:data:`sikit._features.MONEY_SCALE`),
    so both agree to the last bit; NULL (nothing to add) is 0.
    """
    return amount.cast("decimal(38, 6)").sum(where=where).coalesce(0).cast("float64")


def _per_day(paid: ir.Table) -> ir.Table:
    """One row per customer and purchase day; a day whose amounts are all NULL spends 0, as in pandas."""
    return paid.group_by([S.CUSTOMER_ID, _DAY]).aggregate(net_amount=_money_sum(paid[S.NET_AMOUNT]))


def _earliest(a, b):
    """The earlier of two dates, ignoring a NULL one (``LEAST`` treats NULL differently per engine)."""
    return ibis.least(a.coalesce(b), b.coalesce(a))


def rfm_expr(orders_t: ir.Table, as_of, contacts_t: ir.Table | None = None,
             collapse_same_day: bool = False) -> ir.Table:
    """The expression behind :func:`rfm_ibis`: one row per customer, in no particular order.

    ``first_purchase`` and ``last_purchase`` are dates; the day counts are
    integers (NULL for a contact who has not bought). Run it on the backend
    of ``orders_t`` with its session time zone set to Asia/Shanghai (as
    :func:`orders_table` does); :func:`rfm_ibis` shapes it like :func:`sikit.features.rfm`.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a"], "net_amount": [1.0, 2.0], "status": "paid",
    ...                        "order_time": pd.to_datetime(["2026-01-01 23:59", "2026-01-02 00:01"])})
    >>> rfm_expr(orders_table(orders), "2026-01-31").select("customer_id", "frequency", "recency_days").to_pandas()
      customer_id  frequency  recency_days
    0           a          2            29
    """
    day = as_of_day(as_of)
    today = _date(day)
    if collapse_same_day:
        unit = _per_day(paid_expr(orders_t, day))
        out = unit.group_by(S.CUSTOMER_ID).aggregate(**{
            S.FIRST_PURCHASE: unit[_DAY].min(),
            S.LAST_PURCHASE: unit[_DAY].max(),
            S.FREQUENCY: unit.count(),
            S.MONETARY: _money_sum(unit[S.NET_AMOUNT]),
        })
    else:
        # No order needs its own day here: the first and last days are the days of the earliest
        # and latest times (turning a time into a local day keeps the order), which spares the
        # engine a time-zone conversion per order (a quarter of the scan at 100M orders).
        paid = _paid_rows(orders_t, day)
        g = paid.group_by(S.CUSTOMER_ID).aggregate(
            first=paid[S.ORDER_TIME].min(), last=paid[S.ORDER_TIME].max(), n=paid.count(),
            spend=_money_sum(paid[S.NET_AMOUNT]))
        out = g.select(g[S.CUSTOMER_ID], **{S.FIRST_PURCHASE: g["first"].date(), S.LAST_PURCHASE: g["last"].date(),
                                            S.FREQUENCY: g.n, S.MONETARY: g.spend})
    known = out[S.FIRST_PURCHASE]
    if contacts_t is not None:
        c = contacts_t.filter(contacts_t[S.CUSTOMER_ID].notnull() & contacts_t[S.ADDED_AT].notnull())
        c = c.select(customer_id=c[S.CUSTOMER_ID].cast("string"), added_day=c[S.ADDED_AT].date())
        c = c.filter(c.added_day <= today).group_by(S.CUSTOMER_ID).aggregate(added_day=c.added_day.min())
        j = out.outer_join(c, S.CUSTOMER_ID)
        out = j.select(
            customer_id=j[S.CUSTOMER_ID].coalesce(j[f"{S.CUSTOMER_ID}_right"]),
            first_purchase=j[S.FIRST_PURCHASE],
            last_purchase=j[S.LAST_PURCHASE],
            frequency=j[S.FREQUENCY].coalesce(0),
            monetary=j[S.MONETARY].coalesce(0.0),
            known=_earliest(j[S.FIRST_PURCHASE], j.added_day),
        )
        known = out.known
    freq = out[S.FREQUENCY]
    return out.select(
        out[S.CUSTOMER_ID], out[S.FIRST_PURCHASE], out[S.LAST_PURCHASE],
        **{
            S.RECENCY_DAYS: _days_between(today, out[S.LAST_PURCHASE]),
            S.FREQUENCY: freq.cast("int64"),
            S.MONETARY: out[S.MONETARY],
            S.MONETARY_MEAN: ibis.ifelse(freq > 0, out[S.MONETARY] / freq.cast("float64"), ibis.null("float64")),
            S.DAYS_SINCE_FIRST: _days_between(today, out[S.FIRST_PURCHASE]),
            S.TENURE_DAYS: _days_between(today, known),
        },
    )


def btyd_expr(orders_t: ir.Table, as_of, unit: str = "D") -> ir.Table:
    """The expression behind :func:`btyd_summary_ibis`: ``customer_id``, ``frequency``, ``recency``, ``T``, ``monetary_value``.

    Days of the summary are differences of local dates, divided as float64
    by the unit (1 or 7 days); see :func:`btyd_summary_ibis` for an example.
    """
    if unit not in _UNITS:
        raise SikitInputError(f"unit must be 'D' (days) or 'W' (weeks), got {unit!r}")
    day = as_of_day(as_of)
    days = _per_day(paid_expr(orders_t, day))
    days = days.mutate(first_day=days[_DAY].min().over(group_by=S.CUSTOMER_ID))
    g = days.group_by(S.CUSTOMER_ID).aggregate(
        first=days[_DAY].min(),
        last=days[_DAY].max(),
        n=days.count(),
        repeat_spend=_money_sum(ibis.ifelse(days[_DAY] == days.first_day, 0.0, days[S.NET_AMOUNT])),
    )
    step = float(_UNITS[unit])
    repeats = (g.n - 1).cast("int64")
    return g.select(
        g[S.CUSTOMER_ID],
        frequency=repeats,
        recency=_days_between(g["last"], g["first"]).cast("float64") / step,
        T=_days_between(_date(day), g["first"]).cast("float64") / step,
        monetary_value=ibis.ifelse(repeats > 0, g.repeat_spend / repeats.cast("float64"), 0.0),
    )


def labels_expr(orders_t: ir.Table, as_of, horizon: int) -> ir.Table:
    """Customers with a paid order on a local day in ``(as_of, as_of + horizon]``: one ``customer_id`` column, distinct.

    See :func:`repurchase_labels_ibis` for an example.
    """
    start = as_of_day(as_of)
    paid = paid_expr(orders_t, start + pd.Timedelta(days=horizon))
    # group_by, not distinct(): Ibis 12 compiles select(...).distinct().order_by(...) for Spark
    # as DISTINCT over all columns before the projection, which keeps duplicate ids.
    return paid.filter(paid[_DAY] > _date(start)).group_by(S.CUSTOMER_ID).aggregate()


#: Columns of :func:`windows_expr` per cutoff (``bought`` only with labels).
WINDOW_COLUMNS = (S.FIRST_PURCHASE, S.LAST_PURCHASE, S.FREQUENCY, "purchase_days", S.MONETARY,
                  "orders_last_horizon", "spend_last_horizon", "orders_previous_horizon", "spend_previous_horizon")


def windows_expr(orders_t: ir.Table, cutoffs, horizon: int, *, customers: ir.Table | None = None,
                 label: bool = False) -> ir.Table:
    """The order counts behind propensity windows at several cutoffs, in one scan: one row per customer.

    For each cutoff ``k`` (position in ``cutoffs``), columns ``<name>__k``
    for every name in :data:`WINDOW_COLUMNS`: ``first_purchase`` and
    ``last_purchase`` (dates, NULL if no purchase yet), ``frequency`` (paid
    orders), ``purchase_days``, ``monetary``, ``orders_last_horizon``,
    ``spend_last_horizon``, ``orders_previous_horizon``,
    ``spend_previous_horizon`` and, with ``label``, ``bought__k`` (a paid
    order in ``(cutoff, cutoff + horizon]``). Orders after the latest cutoff
    (plus the horizon, with labels) are never read. With ``customers`` (a
    table with a ``customer_id`` column), only those customers. Spend is
    summed as decimals, so it does not depend on the order in which an
    engine adds rows up (DuckDB's parallel float sums do).
    """
    days = [as_of_day(c) for c in cutoffs]
    h = pd.Timedelta(days=horizon)
    paid = paid_expr(orders_t, max(days) + h if label else max(days))
    if customers is not None:
        paid = paid.semi_join(customers, S.CUSTOMER_ID)
    # One row per customer and day first: the purchase days are then a count, not a count distinct.
    per_day = paid.group_by([S.CUSTOMER_ID, _DAY]).aggregate(n=paid.count(), spend=_money_sum(paid[S.NET_AMOUNT]))
    d, n = per_day[_DAY], per_day.n

    def spend(where):
        return _money_sum(per_day.spend, where)

    columns = {}
    for k, day in enumerate(days):
        seen = d <= _date(day)
        last = seen & (d > _date(day - h))
        previous = (d <= _date(day - h)) & (d > _date(day - 2 * h))
        columns.update({
            f"{S.FIRST_PURCHASE}__{k}": d.min(where=seen),
            f"{S.LAST_PURCHASE}__{k}": d.max(where=seen),
            f"{S.FREQUENCY}__{k}": n.sum(where=seen).coalesce(0),
            f"purchase_days__{k}": per_day.count(where=seen),
            f"{S.MONETARY}__{k}": spend(seen),
            f"orders_last_horizon__{k}": n.sum(where=last).coalesce(0),
            f"spend_last_horizon__{k}": spend(last),
            f"orders_previous_horizon__{k}": n.sum(where=previous).coalesce(0),
            f"spend_previous_horizon__{k}": spend(previous),
        })
        if label:
            columns[f"bought__{k}"] = per_day.count(where=(d > _date(day)) & (d <= _date(day + h))) > 0
    return per_day.group_by(S.CUSTOMER_ID).aggregate(**columns)


# --- pandas-shaped results -----------------------------------------------------------------

def _run(expr: ir.Table) -> pd.DataFrame:
    """Execute on the expression's own backend and index by ``customer_id``, sorted as pandas sorts."""
    # Through Arrow, converted here: the types are ours to set, and Ibis's own pandas
    # conversion reads an option pandas 3.1 deprecates.
    ordered = expr.order_by(S.CUSTOMER_ID)
    df = use_local_time_zone(ibis.get_backend(expr)).to_pyarrow(ordered).to_pandas(date_as_object=False)
    df[S.CUSTOMER_ID] = df[S.CUSTOMER_ID].astype("str")
    df = df.set_index(S.CUSTOMER_ID)
    # The engine sorts faster; its collation decides only whether pandas must sort again.
    return df if df.index.is_monotonic_increasing else df.sort_index()


def _days_column(values: pd.Series) -> pd.Series:
    return pd.to_datetime(values).astype("datetime64[us]")


def _inputs(orders, contacts, backend):
    """Orders and contacts as tables on one backend: ``backend``, the orders table's own, or a new DuckDB."""
    orders_t = orders_table(orders, backend)
    contacts_t = None if contacts is None else contacts_table(contacts, backend or ibis.get_backend(orders_t))
    return orders_t, contacts_t


def rfm_ibis(orders, as_of, contacts=None, *, backend: ibis.BaseBackend | None = None,
             collapse_same_day: bool = False) -> pd.DataFrame:
    """:func:`sikit.features.rfm` computed by an engine: the same frame, from a DataFrame, a file or a table.

    Parameters
    ----------
    orders : DataFrame, str, Path or ibis.Table
        Clean orders (see :func:`orders_table`).
    as_of : date-like
        The day the features describe; orders up to the end of it count.
    contacts : DataFrame, str, Path or ibis.Table, optional
        Clean contacts; read like ``orders``, on the same backend.
    backend : Ibis backend, optional
        The engine (default: a new in-memory DuckDB); Ibis tables run on
        their own backend. Its session time zone is set to Asia/Shanghai.
    collapse_same_day : bool, default False
        Count purchase days instead of orders.

    Returns
    -------
    DataFrame
        Exactly as :func:`sikit.features.rfm`: indexed by ``customer_id``
        (sorted), the same columns and dtypes.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "b", "a"],
    ...     "order_time": pd.to_datetime(["2026-01-01", "2026-01-21", "2026-01-11", "2026-02-01"]),
    ...     "net_amount": [100.0, 50.0, 80.0, 999.0],
    ...     "status": ["paid", "paid", "paid", "paid"],
    ... })
    >>> rfm_ibis(orders, as_of="2026-01-31")[["recency_days", "frequency", "monetary"]]
                 recency_days  frequency  monetary
    customer_id
    a                      10          2     150.0
    b                      20          1      80.0
    """
    orders_t, contacts_t = _inputs(orders, contacts, backend)
    df = _run(rfm_expr(orders_t, as_of, contacts_t, collapse_same_day=collapse_same_day))
    for col in (S.FIRST_PURCHASE, S.LAST_PURCHASE):
        df[col] = _days_column(df[col])
    for col in (S.RECENCY_DAYS, S.DAYS_SINCE_FIRST, S.TENURE_DAYS):
        df[col] = df[col].astype("Int64")
    df[S.FREQUENCY] = df[S.FREQUENCY].astype("int64")
    for col in (S.MONETARY, S.MONETARY_MEAN):
        df[col] = df[col].astype("float64")
    return df[_RFM_COLUMNS]


def btyd_summary_ibis(orders, as_of, *, unit: str = "D", backend: ibis.BaseBackend | None = None) -> pd.DataFrame:
    """:func:`sikit.features.btyd_summary` computed by an engine; the same frame.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({
    ...     "customer_id": ["a", "a", "a", "b"],
    ...     "order_time": pd.to_datetime(["2026-01-01 09:00", "2026-01-01 18:00", "2026-01-15 10:00", "2026-01-08 10:00"]),
    ...     "net_amount": [10.0, 20.0, 40.0, 5.0],
    ...     "status": "paid",
    ... })
    >>> btyd_summary_ibis(orders, as_of="2026-01-29", unit="W")
                 frequency  recency    T  monetary_value
    customer_id
    a                    1      2.0  4.0            40.0
    b                    0      0.0  3.0             0.0
    """
    orders_t, _ = _inputs(orders, None, backend)
    df = _run(btyd_expr(orders_t, as_of, unit=unit))
    return df.astype({"frequency": "int64", "recency": "float64", "T": "float64", "monetary_value": "float64"})


def repurchase_labels_ibis(orders, as_of, horizon: int, *, backend: ibis.BaseBackend | None = None) -> pd.Series:
    """:func:`sikit._propensity.repurchase_labels` computed by an engine: True for each customer who bought in the window.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "b", "c"],
    ...                        "order_time": pd.to_datetime(["2026-01-31 23:59", "2026-02-01 00:01", "2026-03-05 12:00"]),
    ...                        "net_amount": 1.0, "status": "paid"})
    >>> repurchase_labels_ibis(orders, "2026-01-31", horizon=30)
    customer_id
    b    True
    Name: bought, dtype: bool
    """
    orders_t, _ = _inputs(orders, None, backend)
    ids = _run(labels_expr(orders_t, as_of, horizon)).index
    return pd.Series(True, index=pd.Index(ids, name=S.CUSTOMER_ID), name="bought")


def _ids_table(ids: pd.Index, backend) -> ir.Table:
    """A one-column table of customer ids on ``backend`` (to restrict a scan to a sample)."""
    frame = pd.DataFrame({S.CUSTOMER_ID: pd.Series(ids, dtype="str")})
    name = f"sikit_ids_{uuid.uuid4().hex[:12]}"
    table = ibis.memtable(pa.Table.from_pandas(frame, preserve_index=False))
    if backend.name == "pyspark":
        return backend.create_view(name, table, overwrite=True)
    return backend.create_table(name, table, temp=True)


def windows_ibis(orders, cutoffs, horizon: int, *, customers: pd.Index | None = None, label: bool = False,
                 backend: ibis.BaseBackend | None = None) -> list[pd.DataFrame]:
    """:func:`windows_expr` run and split: one frame per cutoff, of the customers who had bought by then.

    Each frame is indexed by ``customer_id`` (sorted) with the columns of
    :data:`WINDOW_COLUMNS` (dates as datetimes) and, with ``label``, ``bought``.

    Examples
    --------
    >>> import pandas as pd
    >>> orders = pd.DataFrame({"customer_id": ["a", "a", "b"], "net_amount": [1.0, 2.0, 4.0], "status": "paid",
    ...                        "order_time": pd.to_datetime(["2026-01-01", "2026-01-01", "2026-02-10"])})
    >>> jan, feb = windows_ibis(orders, ["2026-01-31", "2026-02-28"], 30, label=True)
    >>> jan[["frequency", "purchase_days", "monetary", "bought"]]
                 frequency  purchase_days  monetary  bought
    customer_id
    a                    2              1       3.0   False
    >>> feb.index.tolist()
    ['a', 'b']
    """
    cutoffs = list(cutoffs)
    orders_t, _ = _inputs(orders, None, backend)
    subset = None if customers is None else _ids_table(customers, ibis.get_backend(orders_t))
    wide = _run(windows_expr(orders_t, cutoffs, horizon, customers=subset, label=label))
    frames = []
    for k in range(len(cutoffs)):
        names = [*WINDOW_COLUMNS, *(["bought"] if label else [])]
        df = wide[[f"{c}__{k}" for c in names]].set_axis(names, axis=1)
        df = df[(df[S.FREQUENCY] > 0).to_numpy()].copy()
        for col in (S.FIRST_PURCHASE, S.LAST_PURCHASE):
            df[col] = _days_column(df[col])
        for col in (S.FREQUENCY, "purchase_days", "orders_last_horizon", "orders_previous_horizon"):
            df[col] = df[col].astype("int64")
        for col in (S.MONETARY, "spend_last_horizon", "spend_previous_horizon"):
            df[col] = df[col].astype("float64")
        if label:
            df["bought"] = df["bought"].astype("bool")
        frames.append(df)
    return frames
