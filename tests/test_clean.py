"""Cleaning: identity, orders, nothing lost, idempotent, deterministic, private."""

from __future__ import annotations

import re

import pandas as pd
import pytest

import sikit

MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
def result(contacts_csv, orders_xlsx):
    return sikit.clean(contacts=contacts_csv, orders=orders_xlsx)


def _customer_of(result, source_row):
    c, m = result.contacts, result.merged
    hit = c[c["source_row"] == source_row]
    if len(hit):
        return hit["customer_id"].iloc[0]
    into = m[(m["table"] == "contacts") & (m["source_row"] == source_row)]["into_source_row"].iloc[0]
    return c.loc[c["source_row"] == into, "customer_id"].iloc[0]


def test_row_account_balances(result):
    for name, t in result.report["tables"].items():
        assert t["rows_in"] == t["kept"] + t["merged"] + t["rejected"], name
    assert result.report["balanced"]


def test_identity_merges_by_unionid_and_phone(result):
    # rows 3/4 share unionid uA, rows 5/6 share a phone written three ways
    assert _customer_of(result, 3) == _customer_of(result, 4) == "wmA1"
    assert _customer_of(result, 5) == _customer_of(result, 6) == "wmB1"
    assert _customer_of(result, 3) != _customer_of(result, 5)
    merged = result.merged.set_index(["table", "source_row"])
    assert merged.loc[("contacts", 4), "reason"] == "same_unionid"
    assert merged.loc[("contacts", 6), "reason"] == "same_phone"
    a = result.contacts.set_index("customer_id").loc["wmA1"]
    assert a["n_contacts"] == 2
    assert set(a["tags"].split(",")) == {"宝妈", "敏感肌", "学生党"}


def test_rejections_have_reasons_and_rows(result):
    rej = result.rejected.set_index(["table", "source_row"])
    assert rej.loc[("contacts", 7), "reason"] == "test_account"
    assert rej.loc[("contacts", 8), "reason"] == "no_id"
    # orders.xlsx: a title row, the header on row 2, data from row 3
    assert rej.loc[("orders", 8), "reason"] == "no_order_id"
    assert rej.loc[("orders", 9), "reason"] == "bad_order_time"
    assert rej.loc[("orders", 10), "reason"] == "bad_amount"
    assert (result.rejected["source_file"].isin(["contacts.csv", "orders.xlsx"])).all()


def test_orders_status_refunds_and_matching(result):
    o = result.orders.set_index("order_id")
    assert o.loc["E1", "customer_id"] == "wmA1"  # keyed by the merged-away contact wmA2
    assert o.loc["E1", "amount"] == 1299.0 and o.loc["E1", "status"] == "paid"
    assert o.loc["E2", "customer_id"] == "wmB1"  # keyed by phone only
    assert o.loc["E2", "status"] == "refunded" and o.loc["E2", "net_amount"] == 0  # latest status wins
    assert o.loc["E3", "status"] == "paid" and o.loc["E3", "net_amount"] == pytest.approx(59.0)
    assert o.loc["E4", "status"] == "unpaid" and o.loc["E4", "net_amount"] == 0
    assert not o.loc["E4", "matched"] and o.loc["E4", "customer_id"] == "wmX9"
    assert result.report["tables"]["orders"]["unmatched"] == 1
    assert str(o["order_time"].dtype) == "datetime64[us, Asia/Shanghai]"


def test_negative_amount_is_a_refund_of_the_same_order():
    orders = pd.DataFrame({
        "订单号": ["E1", "E1", "E2", "E2", "E3"],
        "客户ID": ["wm1"] * 5,
        "下单时间": ["2024-01-05 10:00"] * 5,
        "实付金额": ["299", "-299", "299", "-50", "-80"],
        "订单状态": ["交易成功", "退款成功", "交易成功", "退款成功", "退款成功"],
    })
    o = sikit.clean(orders=orders).orders.set_index("order_id")
    assert o.loc["E1", "status"] == "refunded" and o.loc["E1", "net_amount"] == 0
    assert o.loc["E2", "status"] == "paid" and o.loc["E2", "net_amount"] == 249  # partial refund
    assert o.loc["E3", "status"] == "refunded" and o.loc["E3", "net_amount"] == 0


def test_family_phone_with_two_unionids_is_not_merged():
    contacts = pd.DataFrame({
        "外部联系人ID": ["wm1", "wm2", "wm3"],
        "unionid": ["u1", "u2", None],
        "手机号": ["13800138000", "13800138000", "13800138000"],
    })
    r = sikit.clean(contacts=contacts)
    assert len(r.contacts) == 3
    assert r.report["tables"]["contacts"]["identity"]["phone_shared_by_different_unionids"] == 1


def test_ids_made_from_phones_are_pseudonymous_and_stable():
    contacts = pd.DataFrame({"手机号": ["13800138000", "+86 138 0013 8000", "13900139000"],
                             "添加时间": ["2024-01-01", "2024-02-01", "2024-01-01"]})
    a = sikit.clean(contacts=contacts, id_key="brand-secret").contacts
    b = sikit.clean(contacts=contacts, id_key="brand-secret").contacts
    c = sikit.clean(contacts=contacts, id_key="other-secret").contacts
    assert len(a) == 2
    assert a["customer_id"].tolist() == b["customer_id"].tolist()
    assert a["customer_id"].tolist() != c["customer_id"].tolist()
    for cid in a["customer_id"]:
        assert "138" not in cid[:5] and not MOBILE.search(cid)


def test_member_id_that_is_a_phone_is_not_shown_as_id():
    contacts = pd.DataFrame({"会员ID": ["13800138000"], "客户名称": ["小王"]})
    orders = pd.DataFrame({"订单号": ["E1"], "会员ID": ["13800138000"], "下单时间": ["2024-01-01"], "实付金额": ["1"]})
    r = sikit.clean(contacts=contacts, orders=orders)
    cid = r.contacts["customer_id"].iloc[0]
    assert not MOBILE.search(cid)
    assert r.orders["customer_id"].iloc[0] == cid and r.orders["matched"].iloc[0]


def test_every_source_row_accounted_exactly_once(result, contacts_csv, orders_xlsx):
    seen = pd.concat([
        result.contacts[["source_file", "source_row"]],
        result.orders[["source_file", "source_row"]],
        result.merged[["source_file", "source_row"]],
        result.rejected[["source_file", "source_row"]],
    ])
    assert not seen.duplicated().any()
    expected = {("contacts.csv", r) for r in range(3, 3 + len(sikit.read_contacts(contacts_csv)))}
    expected |= {("orders.xlsx", r) for r in range(3, 3 + len(sikit.read_orders(orders_xlsx)))}
    assert set(map(tuple, seen.itertuples(index=False))) == expected


def test_clean_does_not_mutate_input():
    contacts = pd.DataFrame({"外部联系人ID": [" wm1 "], "手机号": ["+86 13800138000"]})
    before = contacts.copy()
    sikit.clean(contacts=contacts)
    pd.testing.assert_frame_equal(contacts, before)


def test_cleaning_own_output_changes_nothing(result, tmp_path):
    paths = result.write(tmp_path / "one")
    again = sikit.clean(contacts=paths["contacts"], orders=paths["orders"])
    pd.testing.assert_frame_equal(again.contacts, result.contacts)
    pd.testing.assert_frame_equal(again.orders, result.orders)
    for t in again.report["tables"].values():
        assert t["merged"] == 0 and t["rejected"] == 0


def test_same_input_same_files(contacts_csv, orders_xlsx, tmp_path):
    a = sikit.clean(contacts=contacts_csv, orders=orders_xlsx).write(tmp_path / "a")
    b = sikit.clean(contacts=contacts_csv, orders=orders_xlsx).write(tmp_path / "b")
    for name in a:
        assert a[name].read_bytes() == b[name].read_bytes(), name


def test_nothing_shown_carries_a_full_phone(result, tmp_path):
    paths = result.write(tmp_path)
    shown = [result.summary("zh"), result.summary("en"), result.identity_map.to_string(),
             result.rejected.to_string(), result.merged.to_string()]
    shown += [paths[n].read_text(encoding="utf-8-sig") for n in ("identity_map", "rejected", "merged", "report")]
    for text in shown:
        assert not MOBILE.search(text), MOBILE.search(text)
    assert "138****8000" in paths["identity_map"].read_text(encoding="utf-8-sig")


def test_exports_are_excel_safe(tmp_path):
    contacts = pd.DataFrame({"外部联系人ID": ["=HYPERLINK(\"http://x\")", "wm2"], "客户名称": ["测试", "@SUM(A1)"]})
    r = sikit.clean(contacts=contacts)
    paths = r.write(tmp_path)
    raw = paths["rejected"].read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # BOM: Excel on Chinese Windows reads UTF-8
    text = raw.decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "\n=" not in text and ",=" not in text and ",@" not in text


def test_nothing_given_is_an_error():
    with pytest.raises(sikit.SikitInputError):
        sikit.clean()


def test_phone_chain_joining_two_unionids_is_reported():
    # wm2 (no unionid) appears twice, once with each phone: it chains u1 and u2 together.
    contacts = pd.DataFrame({
        "外部联系人ID": ["wm1", "wm2", "wm2", "wm3"],
        "unionid": ["u1", None, None, "u2"],
        "手机号": ["13800138000", "13800138000", "13900139000", "13900139000"],
    })
    r = sikit.clean(contacts=contacts)
    assert len(r.contacts) == 1
    assert r.report["tables"]["contacts"]["identity"]["customers_with_several_unionids"] == 1
    r = sikit.clean(contacts=contacts.iloc[[0, 1, 3]])  # without the chain: two customers, none flagged
    assert len(r.contacts) == 2
    assert r.report["tables"]["contacts"]["identity"]["customers_with_several_unionids"] == 0
