"""The simulated brand: files as real tools write them, truth that matches them row for row."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re

import numpy as np
import openpyxl
import pandas as pd
import pytest

from sikit import _schema as S
from sikit._errors import SikitInputError
from sikit.sample import CONTACT_HEADER, DIRT_RATES, ORDER_HEADER, SampleData, generate

N = 1500
SEED = 7
FILES = ("contacts.csv", "orders.xlsx", "truth/contacts_truth.csv", "truth/orders_truth.csv", "group_members.csv",
         "group_activity.csv", "deletions.csv")


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    out = tmp_path_factory.mktemp("export")
    return out, generate(out, customers=N, seed=SEED)


@pytest.fixture(scope="module")
def parquet(tmp_path_factory):
    out = tmp_path_factory.mktemp("parquet")
    return out, generate(out, customers=N, seed=SEED, format="parquet")


@pytest.fixture(scope="module")
def csv_records(export):
    """contacts.csv as (physical line number, record) pairs, title and header included."""
    out, _ = export
    text = (out / "contacts.csv").read_bytes().decode("gb18030")
    lines = text.split("\r\n")
    assert lines[-1] == ""
    return [(i, next(csv.reader([line]))) for i, line in enumerate(lines[:-1], start=1)]


@pytest.fixture(scope="module")
def xlsx_rows(export):
    out, _ = export
    wb = openpyxl.load_workbook(out / "orders.xlsx", read_only=True)
    rows = list(wb.active.iter_rows(values_only=True))
    wb.close()
    return rows


def _codes(series: pd.Series) -> pd.Series:
    return series.fillna("").str.split(";").apply(lambda c: set(c) - {""})


def _has(series: pd.Series, code: str) -> np.ndarray:
    return _codes(series).apply(lambda c: code in c).to_numpy()


# --- determinism ---------------------------------------------------------------------------


def test_same_seed_gives_byte_identical_files(export, tmp_path):
    out, _ = export
    generate(tmp_path, customers=N, seed=SEED)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (out / name).read_bytes(), name


def test_different_seed_gives_different_files(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    generate(a, customers=200, seed=1)
    generate(b, customers=200, seed=2)
    generate(tmp_path / "a2", customers=200, seed=1)
    for name in FILES:
        assert (a / name).read_bytes() != (b / name).read_bytes(), name
        assert (a / name).read_bytes() == (tmp_path / "a2" / name).read_bytes(), name


def test_parquet_is_deterministic(tmp_path):
    generate(tmp_path / "a", customers=300, seed=5, format="parquet")
    generate(tmp_path / "b", customers=300, seed=5, format="parquet")
    for name in ("contacts.parquet", "orders.parquet", "truth/contacts_truth.parquet", "truth/orders_truth.parquet"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


# --- the files ------------------------------------------------------------------------------


def test_contacts_csv_is_gb18030_with_a_title_line(export):
    out, data = export
    raw = (out / "contacts.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")
    text = raw.decode("gb18030")
    assert re.search("[\u4e00-\u9fff]", text)
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF only
    title, header = text.split("\r\n")[:2]
    assert title == "企业微信客户列表,导出时间:2026-11-01 09:30:00"
    assert next(csv.reader([header])) == list(CONTACT_HEADER)
    assert list(data.contacts.columns) == list(CONTACT_HEADER)
    assert data.paths["contacts"] == out / "contacts.csv"


def test_orders_xlsx_has_the_headers_and_real_cells(xlsx_rows):
    assert list(xlsx_rows[0]) == list(ORDER_HEADER)
    body = xlsx_rows[1:]
    col = {h: i for i, h in enumerate(ORDER_HEADER)}
    kinds = lambda name: {type(r[col[name]]).__name__ for r in body}  # noqa: E731
    assert {"datetime", "str", "float"} <= kinds("下单时间")  # real dates, text, Excel serials
    assert {"int", "str", "NoneType"} <= kinds("买家手机号")  # numbers as Excel keeps them, text
    assert {"str", "NoneType"} <= kinds("客户ID")
    amounts = [r[col["实付金额"]] for r in body]
    assert any(isinstance(a, (int, float)) and a < 0 for a in amounts)  # refund rows
    assert any(isinstance(a, str) and a.startswith("¥") for a in amounts)
    assert {r[col["订单状态"]] for r in body} <= set(S.STATUS_ALIASES)
    assert {r[col["下单渠道"]] for r in body} == {"小程序商城", "门店", "企微导购链接", "直播间"}


def test_ids_look_like_the_real_ones(export):
    _, data = export
    ids = data.contacts["外部联系人ID"]
    assert ids[ids != ""].str.fullmatch(r"wm[0-9A-Za-z]{24}").all()
    union = data.contacts["unionid"]
    assert union[union != ""].str.fullmatch(r"o[0-9A-Za-z_-]{27}").all()
    person_rows = data.contacts_truth["person_id"].notna().to_numpy()
    assert 0.6 < (union[person_rows] != "").mean() < 0.8
    oid = data.orders["订单编号"].dropna()
    assert oid.str.fullmatch(r"E20\d{17}").all()
    truth = data.orders_truth
    date = truth["order_time_true"].str[:10].str.replace("-", "")
    assert (truth["order_id_true"].str[1:9] == date).all()


# --- truth matches the files ------------------------------------------------------------------------


def test_contacts_truth_matches_the_csv_row_for_row(export, csv_records):
    _, data = export
    truth = data.contacts_truth
    records = csv_records[2:]
    assert len(records) == len(truth) == len(data.contacts)
    assert [n for n, _ in records] == truth["source_row"].tolist()
    assert truth["source_row"].iloc[0] == 3
    blank = _has(truth["dirt"], "blank_row")
    assert 1 <= blank.sum() <= 2
    for (n, rec), is_blank, row in zip(records, blank, data.contacts.itertuples(index=False)):
        assert list(rec) == list(row), n
        assert all(v == "" for v in rec) == is_blank, n
    test_rows = truth["is_test"].to_numpy()
    assert test_rows.sum() == round(DIRT_RATES["contacts"]["test_account"] * N)
    assert truth.loc[test_rows, "person_id"].isna().all()
    assert truth.loc[~test_rows & ~blank, "person_id"].notna().mean() > 0.99
    assert truth["person_id"].nunique() == N


def test_orders_truth_matches_the_xlsx_row_for_row(export, xlsx_rows):
    _, data = export
    truth = data.orders_truth
    body = xlsx_rows[1:]
    assert len(body) == len(truth) == len(data.orders)
    assert truth["source_row"].tolist() == list(range(2, len(body) + 2))
    for (_, t), row in zip(truth.iterrows(), body):
        codes = set(filter(None, t["dirt"].split(";")))
        if "no_order_id" in codes:
            assert row[0] is None
        else:
            assert row[0] == t["order_id_true"]
        assert (row[1] is None) == ("phone_only" in codes)
        if "bad_time" in codes:
            assert row[3] in ("--", "0000-00-00 00:00:00") or re.fullmatch(r"\d{4}-13-45", row[3])
        elif isinstance(row[3], dt.datetime):
            assert row[3].isoformat() + "+08:00" == t["order_time_true"]
        if "refund_row" in codes:
            assert row[4] == -t["refund_true"] < 0
        elif "amount_text" in codes:
            assert isinstance(row[4], str)
        elif "bad_amount" not in codes:
            assert row[4] == pytest.approx(t["amount_true"])
    # page repeats come after the first copy of their order
    seen = set()
    for oid, codes in zip(truth["order_id_true"], _codes(truth["dirt"])):
        if "duplicate_page" in codes:
            assert oid in seen
        seen.add(oid)


def test_truth_csv_files_read_back(export):
    out, data = export
    ct = pd.read_csv(out / "truth" / "contacts_truth.csv", keep_default_na=False, dtype=str)
    ot = pd.read_csv(out / "truth" / "orders_truth.csv", keep_default_na=False, dtype=str)
    assert list(ct.columns) == ["source_row", "person_id", "dirt", "is_test", "phone_true", "added_at_true"]
    assert list(ot.columns) == ["source_row", "person_id", "order_id_true", "dirt", "order_time_true",
                                "amount_true", "refund_true", "status_true"]
    assert ct["source_row"].astype(int).tolist() == data.contacts_truth["source_row"].tolist()
    assert ot["dirt"].tolist() == data.orders_truth["dirt"].tolist()
    assert set(ot["status_true"]) == {S.PAID, S.REFUNDED, S.CANCELLED, S.UNPAID}


def test_statuses_resolve_to_the_truth_by_the_schema_rule(parquet):
    """Across the rows of one order, the furthest status (ties: the later row) is the true one."""
    _, data = parquet
    rows = data.orders.assign(order=data.orders_truth["order_id_true"],
                              stage=data.orders[S.STATUS].map(S.STATUS_ALIASES).map(S.STATUS_STAGE))
    final = rows.iloc[::-1].sort_values(["order", "stage"], ascending=[True, False], kind="stable")
    final = final.drop_duplicates("order").set_index("order")[S.STATUS].map(S.STATUS_ALIASES)
    true = data.orders_truth.drop_duplicates("order_id_true").set_index("order_id_true")["status_true"]
    assert (final.reindex(true.index) == true).all()


def test_amounts_and_refunds_add_up(parquet):
    _, data = parquet
    o, t = data.orders, data.orders_truth
    refund_rows = o[S.AMOUNT] < 0
    assert _has(t["dirt"], "refund_row").tolist() == refund_rows.tolist()
    sale = o[~refund_rows].groupby(t["order_id_true"])[S.AMOUNT].max()
    truth = t.drop_duplicates("order_id_true").set_index("order_id_true")
    ok = sale.notna()
    assert np.allclose(sale[ok], truth.loc[sale.index[ok], "amount_true"])
    refund = pd.concat([o[S.REFUND_AMOUNT], -o[S.AMOUNT].where(refund_rows, 0)], axis=1).max(axis=1)
    refund = refund.groupby(t["order_id_true"]).max()
    assert np.allclose(refund, truth.loc[refund.index, "refund_true"])
    partial = (truth["status_true"] == S.PAID) & (truth["refund_true"] > 0)
    assert 0.01 < partial.mean() < 0.06


# --- the story -------------------------------------------------------------------------------------


def _persons(data: SampleData) -> pd.DataFrame:
    """One row per person: first contact row's channel and tier, paid orders."""
    ct = data.contacts_truth
    first = data.contacts[ct["person_id"].notna().to_numpy()].assign(
        person_id=ct["person_id"].dropna().to_numpy())
    first = first.drop_duplicates("person_id").set_index("person_id")
    orders = data.orders_truth.drop_duplicates("order_id_true")
    paid = orders[orders["status_true"] == S.PAID].groupby("person_id").size()
    return pd.DataFrame({"channel": first["添加渠道"], "tier": first["会员等级"],
                         "paid": paid.reindex(first.index, fill_value=0)})


def test_about_ten_orders_per_person(export):
    _, data = export
    per_person = data.orders_truth["order_id_true"].nunique() / N
    assert 7 < per_person < 13
    persons = _persons(data)
    assert 0.2 < (persons["paid"] == 0).mean() < 0.55  # a share never buys


def test_referred_customers_and_members_buy_more(export):
    _, data = export
    p = _persons(data)
    referred = p["channel"] == "朋友圈/老带新"
    member = p["tier"] != ""
    assert set(p.loc[member, "tier"]) == {"普通会员", "银卡", "金卡", "黑金"}
    assert p.loc[referred, "paid"].mean() > 1.2 * p.loc[~referred & ~member, "paid"].mean()
    assert p.loc[member, "paid"].mean() > 1.5 * p.loc[~member, "paid"].mean()


def test_referrers_are_earlier_customers(export):
    _, data = export
    c, ct = data.contacts, data.contacts_truth
    row_of = dict(zip(c["外部联系人ID"], ct["source_row"]))
    referred = c[c["推荐人ID"] != ""]
    assert len(referred) > 0
    assert (referred["添加渠道"] == "朋友圈/老带新").all()
    assert all(row_of[r] < row_of[e] for r, e in zip(referred["推荐人ID"], referred["外部联系人ID"]))


def test_seasonal_peak(export):
    _, data = export
    orders = data.orders_truth.drop_duplicates("order_id_true")
    when = pd.to_datetime(orders["order_time_true"].str[:19])
    per_day = {m: (when.dt.month == m).sum() / when[when.dt.month == m].dt.normalize().nunique() for m in (8, 11)}
    assert per_day[11] > 1.2 * per_day[8]


def test_orders_follow_the_contact(parquet):
    _, data = parquet
    added = data.contacts_truth.groupby("person_id")["added_at_true"].min()
    t = data.orders_truth.dropna(subset=["person_id"])
    assert (t["order_time_true"].to_numpy() > added.reindex(t["person_id"]).to_numpy()).all()


# --- dirt --------------------------------------------------------------------------------------------


def _close(observed: float, rate: float, n: int) -> bool:
    return abs(observed - rate) <= 4 * math.sqrt(rate * (1 - rate) / n) + 0.15 * rate + 1 / n


def test_contact_dirt_rates(export):
    _, data = export
    truth = data.contacts_truth
    codes = _codes(truth["dirt"])
    person_rows = truth["person_id"].notna().to_numpy()
    rates = DIRT_RATES["contacts"]
    dup = codes.apply(lambda c: bool(c & {"duplicate_shared_unionid", "duplicate_shared_phone"}))
    dup_persons = truth.loc[dup.to_numpy(), "person_id"].value_counts()
    assert len(dup_persons) == round(rates["duplicate"] * N)
    assert (dup_persons == 2).sum() == round(rates["duplicate_third_row"] * len(dup_persons))
    for code in ("duplicate_unresolvable", "family_phone", "test_account", "no_id"):
        assert codes.apply(lambda c: code in c).sum() == round(rates[code] * N), code
    for code, rate in rates.items():
        if code.startswith("phone_") or code in ("time_format", "text_padding"):
            observed = codes[person_rows].apply(lambda c: code in c).mean()
            assert _close(observed, rate, int(person_rows.sum())), (code, observed, rate)


def test_order_dirt_rates(export):
    _, data = export
    truth = data.orders_truth
    codes = _codes(truth["dirt"])
    n_orders = truth["order_id_true"].nunique()
    for code, rate in DIRT_RATES["orders"].items():
        if code == "not_a_contact":
            observed = truth.loc[truth["person_id"].isna(), "order_id_true"].nunique() / n_orders
        elif code in ("duplicate_page", "status_update", "refund_row"):
            observed = codes.apply(lambda c: code in c).sum() / n_orders
        else:
            observed = codes.apply(lambda c: code in c).mean()
        assert _close(observed, rate, n_orders), (code, observed, rate)


def test_dirt_shows_in_the_cells(export):
    _, data = export
    c, t = data.contacts, data.contacts_truth
    phone = c["手机号"]
    assert phone[_has(t["dirt"], "phone_float")].str.endswith(".0").all()
    assert phone[_has(t["dirt"], "phone_masked")].str.contains(r"\*\*\*\*").all()
    assert phone[_has(t["dirt"], "phone_scientific")].str.contains("E+", regex=False).all()
    assert phone[_has(t["dirt"], "phone_missing")].eq("").all()
    clean = ~t["dirt"].str.contains("phone_") & (t["phone_true"] != "")
    assert (phone[clean] == t.loc[clean, "phone_true"]).all()
    added = c["添加时间"]
    plain = ~_has(t["dirt"], "time_format") & ~_has(t["dirt"], "blank_row")
    assert added[plain].str.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d").all()
    assert (added[plain] == t.loc[plain, "added_at_true"].str[:19].str.replace("T", " ")).all()
    odd = added[_has(t["dirt"], "time_format")]
    assert odd.str.contains("/").any() and odd.str.contains("年").any() and odd.str.endswith("Z").any()
    assert c.loc[t["is_test"].to_numpy(), "客户名称"].str.contains("测试|test|员工").mean() > 0.5
    assert c.loc[_has(t["dirt"], "no_id"), ["外部联系人ID", "unionid", "手机号"]].eq("").all().all()


def test_a_good_resolver_can_reach_high_recall_and_precision(export):
    """Joining contact rows on unionid or a normalised phone finds nearly every pair, and few wrong ones."""
    _, data = export
    c, t = data.contacts, data.contacts_truth
    keep = np.flatnonzero(t["person_id"].notna().to_numpy() & ~t["is_test"].to_numpy())
    parent = list(range(len(t)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for key in (c["unionid"].to_numpy(), t["phone_true"].to_numpy()):
        first = {}
        for i in keep:
            if key[i]:
                j = first.setdefault(key[i], i)
                parent[find(i)] = find(j)
    df = pd.DataFrame({"cluster": [find(i) for i in keep], "person": t["person_id"].to_numpy()[keep]})

    def pairs(groups):
        n = groups.size()
        return int((n * (n - 1) // 2).sum())

    true_pairs, found = pairs(df.groupby("person")), pairs(df.groupby("cluster"))
    right = pairs(df.groupby(["cluster", "person"]))
    assert right / true_pairs >= 0.97
    assert right / found >= 0.97


# --- parquet and frames ------------------------------------------------------------------------------


def test_parquet_has_canonical_typed_columns(parquet):
    out, data = parquet
    contacts = pd.read_parquet(out / "contacts.parquet")
    orders = pd.read_parquet(out / "orders.parquet")
    assert list(contacts.columns) == [S.CUSTOMER_ID, S.NAME, S.PHONE, S.UNIONID, S.ADDED_AT, S.CHANNEL, S.STAFF,
                                      S.TAGS, S.REFERRER_ID, S.MEMBER_TIER, S.GROUPS, S.REMARK]
    assert list(orders.columns) == [S.ORDER_ID, S.CUSTOMER_ID, S.PHONE, S.ORDER_TIME, S.AMOUNT, S.REFUND_AMOUNT,
                                    S.STATUS, S.STORE, S.CHANNEL]
    assert str(contacts[S.ADDED_AT].dtype) == f"datetime64[us, {S.TIMEZONE}]"
    assert str(orders[S.ORDER_TIME].dtype) == f"datetime64[us, {S.TIMEZONE}]"
    assert orders[S.AMOUNT].dtype == np.float64 and orders[S.REFUND_AMOUNT].dtype == np.float64
    assert contacts[S.PHONE].dropna().str.fullmatch(r"1\d{10}").all()
    assert orders[S.PHONE].dropna().str.fullmatch(r"1\d{10}").all()
    assert set(orders[S.STATUS]) <= set(S.STATUS_ALIASES)
    pd.testing.assert_frame_equal(orders, data.orders)
    truth = pd.read_parquet(out / "truth" / "orders_truth.parquet")
    assert truth["source_row"].tolist() == list(range(1, len(orders) + 1))
    assert set(data.paths) == {"contacts", "orders", "contacts_truth", "orders_truth", "costs", "group_members",
                               "group_activity", "deletions"}
    costs = pd.read_parquet(out / "channel_costs.parquet")
    assert list(costs.columns) == [S.MONTH, S.CHANNEL, S.SPEND] and costs[S.SPEND].gt(0).all()
    members = pd.read_parquet(out / "group_members.parquet")
    activity = pd.read_parquet(out / "group_activity.parquet")
    assert list(members.columns) == [S.GROUP_NAME, S.CUSTOMER_ID, S.JOINED_AT, S.LEFT_AT]
    assert list(activity.columns) == [S.ACTIVITY_DATE, S.GROUP_NAME, S.CUSTOMER_ID, S.MESSAGES]
    assert str(members[S.JOINED_AT].dtype) == f"datetime64[us, {S.TIMEZONE}]"
    assert activity[S.MESSAGES].gt(0).all() and len(members) > 0 and len(activity) > 0
    pd.testing.assert_frame_equal(members, data.group_members)
    deletions = pd.read_parquet(out / "deletions.parquet")
    assert list(deletions.columns) == [S.CUSTOMER_ID, S.DELETED_AT, S.DELETED_BY, S.STAFF] and len(deletions) > 0
    assert str(deletions[S.DELETED_AT].dtype) == f"datetime64[us, {S.TIMEZONE}]"
    pd.testing.assert_frame_equal(deletions, data.deletions)


def test_group_files_are_the_same_in_both_formats(export, parquet):
    (out, e), (_, p) = export, parquet
    assert e.paths["group_members"] == out / "group_members.csv"
    assert e.paths["group_activity"] == out / "group_activity.csv"
    for name in ("group_members", "group_activity"):
        raw = (out / f"{name}.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == raw.count(b"\n")
    assert e.group_members["外部联系人ID"].tolist() == p.group_members[S.CUSTOMER_ID].tolist()
    assert e.group_activity["发言数"].tolist() == p.group_activity[S.MESSAGES].tolist()
    joined = p.group_members[S.JOINED_AT].dt.strftime("%Y-%m-%d %H:%M:%S")
    assert e.group_members["入群时间"].tolist() == joined.tolist()


def test_deletion_log_is_the_same_in_both_formats(export, parquet):
    (out, e), (_, p) = export, parquet
    assert e.paths["deletions"] == out / "deletions.csv"
    raw = (out / "deletions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == raw.count(b"\n")
    assert raw.decode("utf-8-sig").splitlines()[1] == "外部联系人ID,删除时间,删除方,跟进员工"
    assert e.deletions["外部联系人ID"].tolist() == p.deletions[S.CUSTOMER_ID].tolist()
    deleted = p.deletions[S.DELETED_AT].dt.strftime("%Y-%m-%d %H:%M:%S")
    assert e.deletions["删除时间"].tolist() == deleted.tolist()
    assert set(e.deletions["删除方"]) <= {"客户删除员工", "员工删除客户"}


def test_parquet_has_the_same_rows_and_row_level_dirt_as_the_export(export, parquet):
    _, e = export
    _, p = parquet
    text_only = {"phone_float", "phone_prefix", "phone_fullwidth", "phone_masked", "phone_scientific",
                 "phone_landline", "phone_wrong_length", "time_format", "text_padding", "amount_text",
                 "phone_format"}
    for name in ("contacts_truth", "orders_truth"):
        a, b = getattr(e, name), getattr(p, name)
        assert len(a) == len(b)
        assert a["person_id"].equals(b["person_id"])
        assert (_codes(a["dirt"]).apply(lambda c: c - text_only) == _codes(b["dirt"])).all()
        assert not _codes(b["dirt"]).apply(lambda c: bool(c & text_only)).any()
    assert (e.orders_truth["order_id_true"] == p.orders_truth["order_id_true"]).all()
    assert (p.orders[S.ORDER_ID].isna() == _has(p.orders_truth["dirt"], "no_order_id")).all()
    assert (p.orders[S.ORDER_TIME].isna() == _has(p.orders_truth["dirt"], "bad_time")).all()
    assert (p.orders[S.AMOUNT].isna() == _has(p.orders_truth["dirt"], "bad_amount")).all()


def test_out_none_returns_frames_only(tmp_path):
    data = generate(customers=60, seed=3)
    assert data.paths == {}
    assert len(data.contacts) == len(data.contacts_truth)
    assert len(data.orders) == len(data.orders_truth)
    assert list(tmp_path.iterdir()) == []
    pq = generate(customers=60, seed=3, format="parquet")
    assert pq.paths == {} and len(pq.orders) == len(data.orders)


@pytest.mark.parametrize("kwargs", [
    {"format": "csv"}, {"customers": 0}, {"customers": 2.5}, {"seed": -1},
    {"start": "2019-01-01"}, {"end": "2024-01-10"}, {"start": "not a date"},
])
def test_bad_arguments(kwargs):
    with pytest.raises(SikitInputError):
        generate(**kwargs)


def test_other_date_ranges(tmp_path):
    data = generate(customers=100, seed=1, start="2025-03-01", end="2025-12-31")
    when = pd.to_datetime(data.orders_truth["order_time_true"].str[:19])
    assert when.min() >= pd.Timestamp("2025-03-01") and when.max() <= pd.Timestamp("2025-12-31 23:59:59")
    added = pd.to_datetime(data.contacts_truth["added_at_true"].replace("", None).dropna().str[:19])
    assert added.min() >= pd.Timestamp("2025-03-01")
