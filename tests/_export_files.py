"""Small export files written the way real tools write them (GB18030 CSV with a title, XLSX)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl
import pandas as pd

CONTACT_HEADER = ["外部联系人ID", "客户名称", "手机号", "unionid", "添加时间", "添加渠道", "跟进员工", "企业标签", "备注"]
CONTACT_ROWS = [
    ["wmA1", "小王", "138 0013 8000", "uA", "2024-01-05 15:04:05", "门店活码", "导购-王丽", "宝妈,敏感肌", ""],
    ["wmA2", "小王", "+86 13800138000", "uA", "2024/3/1 10:00", "包裹卡", "导购-李强", "学生党", ""],
    ["wmB1", "阿May", "13900139000.0", "", "2024年2月3日 09:30", "抖音直播", "导购-王丽", "", ""],
    ["wmB2", "May", "139-0013-9000", "", "20240410", "小红书", "导购-赵敏", "直播粉", ""],
    ["wmC1", "测试账号", "13700137000", "", "2024-01-01", "公众号", "导购-王丽", "", ""],
    ["", "", "138****8000", "", "2024-01-01", "公众号", "", "", "没有任何ID"],
    ["wmD1", "老李", "", "uD", "2024-05-01T02:00:00Z", "朋友圈/老带新", "导购-李强", "", ""],
]
ORDER_HEADER = ["订单编号", "客户ID", "买家手机号", "下单时间", "实付金额", "退款金额", "订单状态", "门店"]
ORDER_ROWS = [
    ["E1", "wmA2", "", "2024-03-02 12:00:00", "¥1,299.00", "", "交易成功", "上海静安店"],
    ["E2", "", "13900139000", "2024-04-11 12:00", "199元", "", "已发货", "线上商城"],
    ["E2", "", "13900139000", "2024-04-11 12:00", "199元", "", "已退款", "线上商城"],
    ["E3", "wmD1", "", "2024-05-02 08:00", "89.00", "30", "已完成", "线上商城"],
    ["E4", "wmX9", "", "2024-05-03 08:00", "89.00", "", "待付款", "线上商城"],
    ["", "wmA1", "", "2024-05-03 08:00", "89.00", "", "交易成功", "线上商城"],
    ["E5", "wmA1", "", "--", "89.00", "", "交易成功", "线上商城"],
    ["E6", "wmA1", "", "2024-06-18 20:00", "待定", "", "交易成功", "线上商城"],
]


def write_text_export(path: Path, header, rows, *, encoding="gb18030", sep=",", title="企业微信客户列表,导出时间:2026-11-01"):
    buf = io.StringIO()
    if title:
        buf.write(title + "\r\n")
    w = csv.writer(buf, delimiter=sep, lineterminator="\r\n")
    w.writerow(header)
    w.writerows(rows)
    text = buf.getvalue()
    path.write_bytes(text.encode(encoding) if encoding != "utf-16" else text.encode("utf-16"))
    return path


def write_xlsx(path: Path, header, rows, *, title_rows=0):
    wb = openpyxl.Workbook()
    ws = wb.active
    for i in range(title_rows):
        ws.append([f"订单导出 第{i + 1}行标题"])
    ws.append(header)
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


# Contacts for the side tables (groups, deletions): wmA and wmA2 are one person
# (same unionid), so the customer keeps wmA, the earlier contact.
TWO_ACCOUNT_CONTACTS = pd.DataFrame({
    "外部联系人ID": ["wmA", "wmA2", "wmB", "wmC"],
    "unionid": ["u1", "u1", "u2", "u3"],
    "添加时间": ["2026-01-01 10:00", "2026-01-03 10:00", "2026-01-02 10:00", "2026-01-02 11:00"],
})
