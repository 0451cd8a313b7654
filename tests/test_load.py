"""Loading real exports: encodings, title lines, XLSX/Parquet, header aliases, clear errors."""

from __future__ import annotations

import pandas as pd
import pytest
from _export_files import CONTACT_HEADER, CONTACT_ROWS, ORDER_HEADER, ORDER_ROWS, write_text_export, write_xlsx

import sikit
from sikit import SikitInputError, read_contacts, read_orders


@pytest.mark.parametrize(
    ("encoding", "sep", "title"),
    [
        ("gb18030", ",", "企业微信客户列表,导出时间:2026-11-01"),
        ("gbk", ",", None),
        ("utf-8", ",", None),
        ("utf-8-sig", ",", "客户列表"),
        ("utf-16", "\t", "客户列表"),  # Excel's "Unicode text"
        ("utf-8", "\t", None),
    ],
)
def test_text_encodings_and_title_lines(tmp_path, encoding, sep, title):
    path = write_text_export(tmp_path / "c.txt", CONTACT_HEADER, CONTACT_ROWS, encoding=encoding, sep=sep, title=title)
    df = read_contacts(path)
    assert len(df) == len(CONTACT_ROWS)
    assert df["name"].iloc[0] == "小王"
    assert df["customer_id"].iloc[0] == "wmA1"
    first = 3 if title else 2
    assert df["source_row"].tolist() == list(range(first, first + len(CONTACT_ROWS)))
    assert (df["source_file"] == "c.txt").all()


def test_xlsx_with_title_rows_keeps_excel_row_numbers(tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", ORDER_HEADER, ORDER_ROWS, title_rows=2)
    df = read_orders(path)
    assert len(df) == len(ORDER_ROWS)
    # Two title rows, header on Excel row 3, first data row is row 4.
    assert df["source_row"].iloc[0] == 4
    assert df["order_id"].iloc[0] == "E1"


def test_excel_numbers_for_ids_and_phones(tmp_path):
    path = write_xlsx(tmp_path / "o.xlsx", ["订单号", "会员ID", "手机号", "支付时间", "支付金额"],
                      [[1001, 2002.0, 13800138000, "2024-01-05 10:00", 99]])
    result = sikit.clean(orders=path)
    row = result.orders.iloc[0]
    assert row["order_id"] == "1001"
    assert row["customer_id"] == "2002"


def test_parquet_with_canonical_columns(tmp_path):
    frame = pd.DataFrame({"order_id": ["E1"], "customer_id": ["wm1"], "order_time": ["2024-01-05"], "amount": [9.9]})
    frame.to_parquet(tmp_path / "o.parquet")
    df = read_orders(tmp_path / "o.parquet")
    assert df["amount"].iloc[0] == 9.9
    assert df["source_row"].iloc[0] == 1


def test_header_priority_and_ignored_columns(tmp_path):
    path = write_text_export(
        tmp_path / "o.csv", ["支付时间", "订单号", "下单时间", "客户ID", "实付金额", "商品名称"],
        [["2024-01-06", "E1", "2024-01-05", "wm1", "10"]], encoding="utf-8", title=None,
    )
    df = read_orders(path)
    assert df["order_time"].iloc[0] == "2024-01-05"  # 下单时间 is listed before 支付时间
    assert "商品名称" in df.attrs["ignored_columns"]


def test_several_files_keep_their_own_rows(tmp_path):
    a = write_text_export(tmp_path / "p1.csv", ORDER_HEADER, ORDER_ROWS[:2], encoding="utf-8", title=None)
    b = write_text_export(tmp_path / "p2.csv", ORDER_HEADER, ORDER_ROWS[2:4], encoding="utf-8", title=None)
    df = read_orders([a, b])
    assert df["source_file"].tolist() == ["p1.csv", "p1.csv", "p2.csv", "p2.csv"]
    assert df["source_row"].tolist() == [2, 3, 2, 3]


def test_blank_lines_are_rows_not_silently_skipped(tmp_path):
    path = tmp_path / "o.csv"
    path.write_text("订单号,客户ID,下单时间,实付金额\nE1,wm1,2024-01-05,10\n\nE2,wm1,2024-01-06,20\n", encoding="utf-8")
    df = read_orders(path)
    assert len(df) == 3
    assert df["source_row"].tolist() == [2, 3, 4]


def test_missing_required_column_names_it_and_the_accepted_headers(tmp_path):
    path = write_text_export(tmp_path / "o.csv", ["订单号", "客户ID", "实付金额"], [["E1", "wm1", "10"]],
                             encoding="utf-8", title=None)
    with pytest.raises(SikitInputError) as err:
        read_orders(path)
    message = str(err.value)
    assert "order_time" in message and "下单时间" in message and "支付时间" in message
    assert "\n" not in message


def test_contacts_without_any_id_column(tmp_path):
    path = write_text_export(tmp_path / "c.csv", ["客户名称", "添加时间"], [["小王", "2024-01-01"]],
                             encoding="utf-8", title=None)
    with pytest.raises(SikitInputError, match="customer_id"):
        read_contacts(path)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "empty"),
        (b"\x00\x01\x02\x03\xff\xfe\x00\x00\x10" * 50, "binary"),
        (b"PK\x03\x04 not really a zip", "cannot read the spreadsheet"),
        ("\n\n".encode(), "empty"),
        ("just,some,words\n1,2,3\n".encode(), "no header row"),
    ],
)
def test_unreadable_files_say_so(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_bytes(content)
    with pytest.raises(SikitInputError, match=expected):
        read_orders(path)


def test_missing_file(tmp_path):
    with pytest.raises(SikitInputError, match="not found"):
        read_contacts(tmp_path / "nope.csv")


def test_orders_split_over_sheets_are_all_read(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    first = wb.active
    first.title = "订单1"
    first.append(ORDER_HEADER)
    first.append(ORDER_ROWS[0])
    notes = wb.create_sheet("说明")
    notes.append(["导出说明:金额单位为元"])
    second = wb.create_sheet("订单2")
    second.append(["订单导出(续)"])
    second.append(ORDER_HEADER)
    second.append(ORDER_ROWS[3])
    wb.save(tmp_path / "o.xlsx")
    df = read_orders(tmp_path / "o.xlsx")
    assert df["order_id"].tolist() == ["E1", "E3"]
    assert df["source_file"].tolist() == ["o.xlsx#订单1", "o.xlsx#订单2"]
    assert df["source_row"].tolist() == [2, 3]


def test_quoted_fields_spanning_lines_keep_the_line_they_start_on(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text('客户列表\n外部联系人ID,备注\nwm1,"第一行\n第二行"\nwm2,ok\n\nwm3,"a\n\nb"\nwm4,x\n', encoding="utf-8")
    df = read_contacts(path)
    assert df["customer_id"].fillna("").tolist() == ["wm1", "wm2", "", "wm3", "wm4"]
    assert df["source_row"].tolist() == [3, 5, 6, 7, 10]
