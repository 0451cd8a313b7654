"""The Ibis features step gives the pandas functions' frames, on DuckDB and on PySpark.

Every difference between the engines that matters here (local days and the
session time zone, days as differences of dates, NULLs in the earliest of two
dates, integer division, the order of customers) is pinned down by a test.
"""

from __future__ import annotations

import shutil

import numpy as np
import pandas as pd
import pytest

ibis = pytest.importorskip("ibis")

import sikit  # noqa: E402
from sikit import _schema as S  # noqa: E402
from sikit._errors import SikitInputError  # noqa: E402
from sikit._features import btyd_summary, rfm  # noqa: E402
from sikit._features_ibis import (  # noqa: E402
    connect,
    contacts_table,
    orders_table,
    repurchase_labels_ibis,
    rfm_expr,
    rfm_ibis,
    btyd_summary_ibis,
)
from sikit._propensity import repurchase_labels  # noqa: E402
from sikit.datasets import CDNOW_CALIBRATION_END, load_cdnow  # noqa: E402

TZ = S.TIMEZONE
# The sample's orders run to 2026-10-31 23:56: the earlier days leave orders after as_of.
SAMPLE_DAYS = ["2025-03-31", "2026-06-30", "2026-10-31"]


def same(got, expected):
    """Equal frames: index, columns and dtypes exactly; floats to 1e-9 (integers and dates exactly)."""
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-9, atol=1e-9)
    for col in expected.columns:
        if not pd.api.types.is_float_dtype(expected[col]):
            pd.testing.assert_series_equal(got[col], expected[col], check_exact=True)


@pytest.fixture(scope="module")
def sample():
    return sikit.clean(contacts="data/sample/contacts.csv", orders="data/sample/orders.xlsx")


@pytest.fixture(scope="module")
def cdnow():
    return load_cdnow("sample")


def _t(day_time):
    return pd.Timestamp(day_time, tz=TZ)


@pytest.fixture
def edge():
    """Hand-made cases around as_of = 2026-03-10 (Asia/Shanghai)."""
    rows = [
        # a: two orders on one day, plus refunded, cancelled and unpaid ones that must not count
        ("a", "2026-03-01 09:00", 10.0, "paid"), ("a", "2026-03-01 18:00", 20.0, "paid"),
        ("a", "2026-03-05 10:00", 40.0, "paid"), ("a", "2026-03-06 10:00", 500.0, "refunded"),
        ("a", "2026-03-07 10:00", 600.0, "cancelled"), ("a", "2026-03-08 10:00", 700.0, "unpaid"),
        # b: 23:59 on as_of counts, 00:01 the next day does not; the day before at 23:59 is 1 day ago
        ("b", "2026-03-09 23:59", 5.0, "paid"), ("b", "2026-03-10 23:59", 7.0, "paid"),
        ("b", "2026-03-11 00:01", 900.0, "paid"),
        # c: bought only after as_of
        ("c", "2026-03-11 00:01", 50.0, "paid"),
        # d: 00:01 local is still the previous day in UTC; a partly refunded order at its net amount
        ("d", "2026-02-01 00:01", 12.5, "paid"),
        # e: contact added before their first purchase; f: added after it
        ("e", "2026-03-03 12:00", 30.0, "paid"), ("f", "2026-01-15 12:00", 8.0, "paid"),
        # h: a paid order without an amount is a purchase of 0, as pandas' sum skips it
        ("h", "2026-03-02 12:00", np.nan, "paid"), ("h", "2026-03-02 13:00", 5.0, "paid"),
        # no customer, no status: never counted
        (None, "2026-03-01 12:00", 99.0, "paid"), ("g", "2026-03-01 12:00", 99.0, None),
    ]
    orders = pd.DataFrame(rows, columns=[S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS])
    orders[S.ORDER_TIME] = pd.to_datetime(orders[S.ORDER_TIME]).dt.tz_localize(TZ).astype(f"datetime64[us, {TZ}]")
    orders[S.CUSTOMER_ID] = orders[S.CUSTOMER_ID].astype("str")
    orders[S.STATUS] = orders[S.STATUS].astype("str")
    contacts = pd.DataFrame({
        S.CUSTOMER_ID: ["d", "e", "f", "n1", "n2", "n3", "n4", "n4"],
        S.ADDED_AT: [_t("2026-01-20 08:00"), _t("2026-02-20 23:59"), _t("2026-02-01 10:00"),
                     _t("2026-03-10 23:59"),  # never bought, added on as_of: known
                     _t("2026-03-11 00:01"),  # added after as_of: not known yet
                     pd.NaT,                   # no added_at: cannot be placed in time
                     _t("2026-03-02 10:00"), _t("2026-02-02 10:00")],  # twice: the earlier counts
    }).astype({S.ADDED_AT: f"datetime64[us, {TZ}]", S.CUSTOMER_ID: "str"})
    return orders, contacts


AS_OF = "2026-03-10"


# --- DuckDB against pandas ---------------------------------------------------------------

@pytest.mark.parametrize("as_of", SAMPLE_DAYS)
@pytest.mark.parametrize("collapse", [False, True])
def test_rfm_sample(sample, as_of, collapse):
    same(rfm_ibis(sample.orders, as_of, collapse_same_day=collapse),
         rfm(sample.orders, as_of, collapse_same_day=collapse))
    same(rfm_ibis(sample.orders, as_of, sample.contacts, collapse_same_day=collapse),
         rfm(sample.orders, as_of, contacts=sample.contacts, collapse_same_day=collapse))


@pytest.mark.parametrize("as_of", SAMPLE_DAYS)
@pytest.mark.parametrize("unit", ["D", "W"])
def test_btyd_sample(sample, as_of, unit):
    same(btyd_summary_ibis(sample.orders, as_of, unit=unit), btyd_summary(sample.orders, as_of, unit=unit))


@pytest.mark.parametrize("as_of", SAMPLE_DAYS[:2])
@pytest.mark.parametrize("horizon", [30, 90])
def test_labels_sample(sample, as_of, horizon):
    got = repurchase_labels_ibis(sample.orders, as_of, horizon)
    expected = repurchase_labels(sample.orders, as_of, horizon)
    assert len(expected) > 0
    pd.testing.assert_series_equal(got, expected, check_exact=True)


def test_cdnow(cdnow):
    for collapse in (False, True):
        same(rfm_ibis(cdnow, CDNOW_CALIBRATION_END, collapse_same_day=collapse),
             rfm(cdnow, CDNOW_CALIBRATION_END, collapse_same_day=collapse))
    for unit in ("D", "W"):
        got = btyd_summary_ibis(cdnow, CDNOW_CALIBRATION_END, unit=unit)
        same(got, btyd_summary(cdnow, CDNOW_CALIBRATION_END, unit=unit))
    assert got["frequency"].sum() == 2457  # Hardie's published summary
    pd.testing.assert_series_equal(repurchase_labels_ibis(cdnow, CDNOW_CALIBRATION_END, 90),
                                   repurchase_labels(cdnow, CDNOW_CALIBRATION_END, 90))


@pytest.mark.parametrize("collapse", [False, True])
def test_edge_cases(edge, collapse):
    orders, contacts = edge
    expected = rfm(orders, AS_OF, contacts=contacts, collapse_same_day=collapse)
    got = rfm_ibis(orders, AS_OF, contacts, collapse_same_day=collapse)
    same(got, expected)
    assert list(got.index) == ["a", "b", "d", "e", "f", "h", "n1", "n4"]  # not c (later), n2 (later), n3 (no date)
    assert got.loc["a", "frequency"] == (2 if collapse else 3) and got.loc["a", "monetary"] == 70.0
    assert got.loc["b", "recency_days"] == 0 and got.loc["b", "monetary"] == 12.0
    assert got.loc["e", "tenure_days"] == 18 and got.loc["f", "tenure_days"] == 54
    assert got.loc["n1", "tenure_days"] == 0 and pd.isna(got.loc["n1", "recency_days"])
    assert got.loc["h", "monetary"] == 5.0 and got.loc["h", "monetary_mean"] == (5.0 if collapse else 2.5)
    assert got.loc["n4", "frequency"] == 0 and np.isnan(got.loc["n4", "monetary_mean"])
    same(rfm_ibis(orders, AS_OF, collapse_same_day=collapse), rfm(orders, AS_OF, collapse_same_day=collapse))
    for unit in ("D", "W"):
        same(btyd_summary_ibis(orders, AS_OF, unit=unit), btyd_summary(orders, AS_OF, unit=unit))
    pd.testing.assert_series_equal(repurchase_labels_ibis(orders, "2026-03-09", 1),
                                   repurchase_labels(orders, "2026-03-09", 1))


def test_days_are_differences_of_local_dates(edge):
    """23:59 yesterday is 1 day ago and 00:01 today 0, not the hours elapsed or UTC dates."""
    orders, _ = edge
    got = rfm_ibis(orders[orders[S.CUSTOMER_ID] == "b"], "2026-03-11")
    assert got.loc["b", "recency_days"] == 0 and got.loc["b", "days_since_first_purchase"] == 2
    got = rfm_ibis(orders[orders[S.CUSTOMER_ID] == "d"], "2026-02-01")
    assert got.loc["d", "first_purchase"] == pd.Timestamp("2026-02-01")  # 2026-01-31 in UTC


def test_times_in_another_zone_give_the_same_days(edge):
    orders, contacts = edge
    utc = orders.assign(**{S.ORDER_TIME: orders[S.ORDER_TIME].dt.tz_convert("UTC")})
    naive = orders.assign(**{S.ORDER_TIME: orders[S.ORDER_TIME].dt.tz_localize(None)})  # local wall clock
    expected = rfm(orders, AS_OF, contacts=contacts)
    same(rfm_ibis(utc, AS_OF, contacts), expected)
    same(rfm_ibis(naive, AS_OF, contacts), expected)


def test_duckdb_session_time_zone_is_pinned(edge, tmp_path):
    """A time-zone-aware Parquet time becomes a day under the session zone: sikit sets it to Asia/Shanghai."""
    orders, contacts = edge
    orders.to_parquet(tmp_path / "orders.parquet")
    con = ibis.duckdb.connect()
    con.raw_sql("SET TimeZone = 'UTC'")
    got = rfm_ibis(tmp_path / "orders.parquet", AS_OF, backend=con)
    assert con.raw_sql("SELECT current_setting('TimeZone')").fetchone()[0] == TZ
    same(got, rfm(orders, AS_OF))
    assert connect().raw_sql("SELECT current_setting('TimeZone')").fetchone()[0] == TZ


def test_empty_result_keeps_the_shape(edge):
    orders, _ = edge
    same(rfm_ibis(orders, "2020-01-01"), rfm(orders, "2020-01-01"))


def test_as_of_with_a_time_is_refused(edge):
    with pytest.raises(SikitInputError):
        rfm_ibis(edge[0], "2026-03-10 12:00")


# --- inputs ----------------------------------------------------------------------------------

def test_inputs_give_the_same_result(sample, tmp_path):
    as_of = "2026-06-30"
    expected = rfm(sample.orders, as_of, contacts=sample.contacts)
    sample.orders.to_parquet(tmp_path / "orders.parquet")
    sample.contacts.to_parquet(tmp_path / "contacts.parquet")
    folder = tmp_path / "parts"
    folder.mkdir()
    half = len(sample.orders) // 2
    sample.orders.iloc[:half].to_parquet(folder / "part-0.parquet")
    sample.orders.iloc[half:].to_parquet(folder / "part-1.parquet")
    # CSV: times written with their +08:00 offset; DuckDB reads them as instants
    sample.orders.to_csv(tmp_path / "orders.csv", index=False)
    con = connect()
    cases = {
        "parquet": (tmp_path / "orders.parquet", str(tmp_path / "contacts.parquet")),
        "folder": (folder, sample.contacts),
        "csv": (str(tmp_path / "orders.csv"), sample.contacts),
        "ibis": (orders_table(sample.orders, con), contacts_table(tmp_path / "contacts.parquet", con)),
    }
    for name, (orders, contacts) in cases.items():
        same(rfm_ibis(orders, as_of, contacts), expected)
    same(btyd_summary_ibis(tmp_path / "orders.parquet", as_of), btyd_summary(sample.orders, as_of))


def test_bad_inputs(edge, tmp_path):
    with pytest.raises(SikitInputError):
        orders_table(pd.DataFrame({S.CUSTOMER_ID: ["a"]}))
    with pytest.raises(SikitInputError, match="parquet"):
        orders_table(tmp_path / "orders.json")
    with pytest.raises(SikitInputError):
        orders_table(tmp_path)  # a folder without Parquet files
    with pytest.raises(SikitInputError):
        orders_table(42)
    with pytest.raises(SikitInputError, match="unit"):
        btyd_summary_ibis(edge[0], AS_OF, unit="M")


# --- point in time -------------------------------------------------------------------------

def _with_later_orders(orders, as_of):
    """Orders plus some placed after as_of: new customers, existing ones, 00:00:01 the next day."""
    day = pd.Timestamp(as_of).tz_localize(TZ) + pd.Timedelta(days=1)
    ids = list(orders[S.CUSTOMER_ID].dropna().unique()[:20]) + ["late_1", "late_2"]
    later = pd.DataFrame({
        S.CUSTOMER_ID: ids,
        S.ORDER_TIME: [day + pd.Timedelta(seconds=1 + 3600 * i) for i in range(len(ids))],
        S.NET_AMOUNT: 1000.0,
        S.STATUS: S.PAID,
    }).astype({S.ORDER_TIME: orders[S.ORDER_TIME].dtype, S.CUSTOMER_ID: "str", S.STATUS: "str"})
    return pd.concat([orders[list(later.columns)], later], ignore_index=True)


def test_later_orders_change_nothing(sample):
    as_of = "2026-06-30"
    more = _with_later_orders(sample.orders, as_of)
    same(rfm_ibis(more, as_of, sample.contacts), rfm_ibis(sample.orders, as_of, sample.contacts))
    same(btyd_summary_ibis(more, as_of), btyd_summary_ibis(sample.orders, as_of))


def test_imports_lazily():
    import subprocess
    import sys

    code = "import sys, sikit, sikit.features; assert 'ibis' not in sys.modules; " \
           "from sikit.features import rfm_ibis; assert 'ibis' in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


# --- PySpark -------------------------------------------------------------------------------

@pytest.fixture(scope="session")
def spark(tmp_path_factory):
    if shutil.which("java") is None:
        pytest.skip("PySpark needs Java (17+) and `java` is not on PATH")
    pyspark_sql = pytest.importorskip("pyspark.sql")
    session = (
        pyspark_sql.SparkSession.builder.master("local[1]").appName("sikit-tests")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "1")
        .config("spark.driver.memory", "2g")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.sql.warehouse.dir", str(tmp_path_factory.mktemp("spark-warehouse")))
        .config("spark.sql.session.timeZone", "UTC")  # sikit must set Asia/Shanghai itself
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield ibis.pyspark.connect(session)
    session.stop()


def _duck_and_spark(fn, spark_backend):
    return fn(connect()), fn(spark_backend)


def test_spark_equals_duckdb_and_pandas(spark, sample, tmp_path):
    as_of = "2026-06-30"  # orders after it exist
    sample.orders.to_parquet(tmp_path / "orders.parquet")
    orders = sample.orders[list((S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS))]
    for src in (orders, tmp_path / "orders.parquet"):  # Parquet: tz-aware times read under the session zone
        duck, spk = _duck_and_spark(lambda b: rfm_ibis(src, as_of, sample.contacts, backend=b), spark)
        same(spk, duck)
        same(duck, rfm(sample.orders, as_of, contacts=sample.contacts))
    duck, spk = _duck_and_spark(lambda b: btyd_summary_ibis(orders, as_of, unit="W", backend=b), spark)
    same(spk, duck)
    same(duck, btyd_summary(sample.orders, as_of, unit="W"))
    duck, spk = _duck_and_spark(lambda b: repurchase_labels_ibis(orders, as_of, 90, backend=b), spark)
    pd.testing.assert_series_equal(spk, duck, check_exact=True)
    assert spark.raw_sql("SELECT current_timezone()").collect()[0][0] == TZ
    assert not spk.index.duplicated().any()  # see labels_expr: no DISTINCT-then-ORDER BY on Spark


def test_spark_edge_cases_and_point_in_time(spark, edge, sample):
    orders, contacts = edge
    duck, spk = _duck_and_spark(lambda b: rfm_ibis(orders, AS_OF, contacts, backend=b, collapse_same_day=True), spark)
    same(spk, duck)
    same(duck, rfm(orders, AS_OF, contacts=contacts, collapse_same_day=True))
    as_of = "2026-03-31"
    more = _with_later_orders(sample.orders, as_of)
    same(rfm_ibis(more, as_of, backend=spark), rfm(sample.orders, as_of))


def test_the_expression_is_backend_neutral(spark, edge):
    """One expression object compiled for both engines: the same SQL shape, no backend-specific code."""
    orders, contacts = edge
    for backend in (connect(), spark):
        e = rfm_expr(orders_table(orders, backend), AS_OF, contacts_table(contacts, backend))
        assert backend.compile(e)  # compiles for both


def test_spark_windows_equal_duckdb(spark, sample):
    """The propensity windows (one scan, several cutoffs, a customer subset, labels) agree value by value."""
    from sikit._features_ibis import windows_ibis

    orders = sample.orders[list((S.CUSTOMER_ID, S.ORDER_TIME, S.NET_AMOUNT, S.STATUS))]
    ids = rfm(sample.orders, "2026-06-30").index[::2]
    cutoffs = ["2026-01-31", "2026-04-30"]
    duck, spk = _duck_and_spark(
        lambda b: windows_ibis(orders, cutoffs, 60, customers=ids, label=True, backend=b), spark)
    for d, s in zip(duck, spk, strict=True):
        assert len(d) > 100 and d["bought"].any()
        pd.testing.assert_frame_equal(s, d, check_exact=True)


def test_own_duckdb_connections_cap_memory_and_spill_outside_the_working_directory(monkeypatch):
    import tempfile

    def setting(con, name):
        return con.raw_sql(f"SELECT current_setting('{name}')").fetchone()[0]

    con = connect()
    assert setting(con, "TimeZone") == TZ
    assert setting(con, "temp_directory").startswith(tempfile.gettempdir())
    default = setting(con, "memory_limit")
    monkeypatch.setenv("SIKIT_DUCKDB_MEMORY", "512MB")
    assert setting(connect(), "memory_limit") != default
    monkeypatch.setenv("SIKIT_DUCKDB_MEMORY", "lots")
    with pytest.raises(SikitInputError, match="SIKIT_DUCKDB_MEMORY must be an amount"):
        connect()
