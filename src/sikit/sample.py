"""A simulated private-domain (私域) brand: realistic exports with known truth.

:func:`generate` invents a cosmetics-and-lifestyle brand that adds customers
to its WeCom (企业微信) through store QR codes, parcel cards, live streams and
referrals, and sells to them through a mini-program mall, stores, staff links
and live rooms. It writes the two files a brand's operations team would hand
over -- a WeCom contact export (``contacts.csv``) and an order export
(``orders.xlsx``) -- dirtied the way real exports are dirty, plus ground-truth
files that say which person every row belongs to and which dirt it carries.

Buying follows the BG/NBD story: while "alive", each customer buys as a
Poisson process with their own rate (gamma distributed across customers) and
after every purchase drops out with their own probability (beta distributed);
purchases follow a promotion calendar (618, 双11, 春节). Everything is
vectorised: a million customers (about ten million order rows) take well
under a minute with ``format="parquet"``.

The dirt is injected at the rates in :data:`DIRT_RATES`; see ``docs/sample.md``
for the file layout and what each dirt code means.
"""

from __future__ import annotations

import csv
import datetime as _dt
import functools
import io
import math
import re
import zipfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from os import PathLike
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from . import _schema as S
from ._errors import SikitInputError

__all__ = ["ACTIVITY_DAYS", "CONTACT_COLUMNS", "CONTACT_HEADER", "COST_COLUMNS", "COST_HEADER", "COST_PER_CONTACT",
           "DELETION_COLUMNS", "DELETION_HEADER", "DELETION_RATE", "DIRT_RATES", "GROUP_ACTIVITY_COLUMNS", "GROUP_ACTIVITY_HEADER", "GROUP_MEMBER_COLUMNS",
           "GROUP_MEMBER_HEADER", "ORDER_COLUMNS", "ORDER_HEADER", "SampleData", "generate"]

#: Injected dirt, by table, as ``code -> rate``. The codes are the ones written
#: to the ``dirt`` column of the truth files (joined by ``;``), except the two
#: knobs ``duplicate`` and ``duplicate_third_row`` noted below.
#:
#: Units (what the rate is a share of):
#:
#: contacts, share of true persons (``customers``)
#:     ``duplicate`` -- persons with a second contact row that a resolver can
#:     join to the first through a shared unionid and/or phone (the extra rows
#:     carry ``duplicate_shared_unionid`` and/or ``duplicate_shared_phone``);
#:     ``duplicate_unresolvable`` -- persons with a second row sharing neither
#:     (a second WeChat account); ``family_phone`` -- persons whose rows show
#:     another, earlier-added person's phone; ``test_account`` and ``no_id`` --
#:     extra rows belonging to no person.
#: contacts, share of duplicated persons
#:     ``duplicate_third_row`` -- of the ``duplicate`` persons, those with a
#:     third row.
#: contacts, share of the contact rows of persons (test, no-id and blank rows
#: excluded)
#:     the ``phone_*`` formats, ``time_format`` and ``text_padding``.
#: orders, share of true orders (one order id = one order)
#:     ``duplicate_page`` (the order appears twice), ``status_update`` (the
#:     repeat carries a later status; a subset of ``duplicate_page``),
#:     ``refund_row`` (a separate row with a negative 实付金额) and
#:     ``not_a_contact`` (the buyer is in no contact row).
#: orders, share of order rows
#:     ``phone_only`` (empty 客户ID), ``phone_format`` (a phone-only row whose
#:     phone is text in another format), ``amount_text``, ``time_format``,
#:     ``no_order_id``, ``bad_time``, ``bad_amount``.
#:
#: Besides these, one or two fully blank rows (``blank_row``) sit somewhere in
#: ``contacts.csv``. With ``format="parquet"`` only the row-level dirt exists
#: (duplicates, family phones, missing phones, test/no-id/blank rows, page
#: repeats, status updates, refund rows, unmatched and phone-only buyers,
#: missing order ids, times and amounts); the text-format codes never appear.
DIRT_RATES: dict[str, dict[str, float]] = {
    "contacts": {
        "duplicate": 0.08,
        "duplicate_third_row": 0.15,
        "duplicate_unresolvable": 0.0015,
        "family_phone": 0.0008,
        "test_account": 0.005,
        "no_id": 0.002,
        "phone_missing": 0.10,
        "phone_float": 0.03,
        "phone_prefix": 0.05,
        "phone_fullwidth": 0.01,
        "phone_masked": 0.01,
        "phone_scientific": 0.01,
        "phone_landline": 0.005,
        "phone_wrong_length": 0.005,
        "time_format": 0.10,
        "text_padding": 0.03,
    },
    "orders": {
        "duplicate_page": 0.01,
        "status_update": 0.003,
        "refund_row": 0.005,
        "not_a_contact": 0.03,
        "phone_only": 0.05,
        "phone_format": 0.015,
        "amount_text": 0.05,
        "time_format": 0.08,
        "no_order_id": 0.001,
        "bad_time": 0.001,
        "bad_amount": 0.001,
    },
}

# --- the brand --------------------------------------------------------------------

#: Headers of ``contacts.csv`` (export) and the canonical columns of ``contacts.parquet``, in order.
CONTACT_HEADER = ("外部联系人ID", "客户名称", "手机号", "unionid", "添加时间", "添加渠道", "跟进员工",
                  "企业标签", "推荐人ID", "会员等级", "所在群聊", "备注")
CONTACT_COLUMNS = (S.CUSTOMER_ID, S.NAME, S.PHONE, S.UNIONID, S.ADDED_AT, S.CHANNEL, S.STAFF,
                   S.TAGS, S.REFERRER_ID, S.MEMBER_TIER, S.GROUPS, S.REMARK)
#: Headers of ``orders.xlsx`` (export) and the canonical columns of ``orders.parquet``, in order.
ORDER_HEADER = ("订单编号", "客户ID", "买家手机号", "下单时间", "实付金额", "退款金额", "订单状态", "门店",
                "下单渠道")
ORDER_COLUMNS = (S.ORDER_ID, S.CUSTOMER_ID, S.PHONE, S.ORDER_TIME, S.AMOUNT, S.REFUND_AMOUNT,
                 S.STATUS, S.STORE, S.CHANNEL)

_CONTACT_CODES = ("duplicate_shared_unionid", "duplicate_shared_phone", "duplicate_unresolvable",
                  "family_phone", "phone_missing", "phone_float", "phone_prefix", "phone_fullwidth",
                  "phone_masked", "phone_scientific", "phone_landline", "phone_wrong_length",
                  "time_format", "text_padding", "test_account", "no_id", "blank_row")
_ORDER_CODES = ("duplicate_page", "status_update", "phone_only", "phone_format", "not_a_contact",
                "amount_text", "refund_row", "time_format", "no_order_id", "bad_time", "bad_amount")
_CB = {c: 1 << i for i, c in enumerate(_CONTACT_CODES)}
_OB = {c: 1 << i for i, c in enumerate(_ORDER_CODES)}
# codes that exist only in the text export (dropped from the parquet truth)
_TEXT_ONLY_CONTACT = sum(_CB[c] for c in ("phone_float", "phone_prefix", "phone_fullwidth", "phone_masked",
                                          "phone_scientific", "phone_landline", "phone_wrong_length",
                                          "time_format", "text_padding"))
_TEXT_ONLY_ORDER = sum(_OB[c] for c in ("phone_format", "amount_text", "time_format"))

_CHANNELS = ("门店活码", "包裹卡", "抖音直播", "小红书", "公众号", "朋友圈/老带新", "企微搜索手机号")
_STORE_CH, _PARCEL, _LIVE, _XHS, _MP, _REF, _SEARCH = range(7)
_CH_SHARE0 = np.array([0.30, 0.18, 0.06, 0.07, 0.12, 0.08, 0.19])  # at `start`
_CH_SHARE1 = np.array([0.24, 0.16, 0.16, 0.09, 0.07, 0.14, 0.14])  # at `end`: live and referral grow
_CONVERSION = np.array([0.62, 0.70, 0.45, 0.35, 0.40, 0.72, 0.55])  # share who ever buy
_MEMBER_P = np.array([0.32, 0.18, 0.12, 0.12, 0.20, 0.28, 0.22])
_SAME_DAY = np.array([0.45, 0.20, 0.35, 0.10, 0.10, 0.20, 0.25])   # first order on the day added

_TIERS = ("普通会员", "银卡", "金卡", "黑金")
_TIER_P = np.array([0.50, 0.28, 0.16, 0.06])
_TIER_LAMBDA = np.array([1.5, 1.8, 2.2, 2.8])
_TIER_DROPOUT = np.array([0.7, 0.6, 0.5, 0.4])
_TIER_PRICE = np.array([0.10, 0.20, 0.35, 0.60])

# BG/NBD parameters: lambda ~ Gamma(shape, scale) purchases per (season-weighted) day,
# dropout p ~ Beta(a, b) after each purchase.
_LAMBDA_SHAPE, _LAMBDA_SCALE = 0.8, 0.074
_DROPOUT_A, _DROPOUT_B = 1.1, 22.0
_FIRST_DELAY_DAYS = 20.0
_REF_LAMBDA, _REF_DROPOUT = 1.4, 0.7

_STORES = ("上海静安店", "上海徐汇店", "杭州湖滨店", "南京新街口店", "北京三里屯店", "成都太古里店",
           "深圳万象城店", "广州天河店", "线上商城")
_ONLINE = len(_STORES) - 1
_STORE_W = np.array([0.18, 0.14, 0.14, 0.10, 0.14, 0.10, 0.12, 0.08])
_STAFF_BY_STORE = (("王丽", "李娜", "张敏", "刘洋"), ("陈静", "杨帆", "赵婷"), ("黄磊", "周琳", "吴倩"),
                   ("徐佳", "孙悦", "马超"), ("朱莉", "胡蓉", "郭晶", "何雪"), ("林芳", "罗丹", "高峰"),
                   ("郑爽", "梁雯", "宋佳"), ("谢娟", "唐宁"),
                   ("韩雪", "冯晓", "董蕾", "萧然", "程璐", "曹颖", "袁媛"))
_STAFF = tuple(f"导购-{n}" for names in _STAFF_BY_STORE for n in names)
_STAFF_STORE = np.array([i for i, names in enumerate(_STAFF_BY_STORE) for _ in names])

_ORDER_CHANNELS = ("小程序商城", "门店", "企微导购链接", "直播间")
_ORDER_CH_BY_CONTACT_CH = np.array([
    [0.35, 0.45, 0.15, 0.05],  # 门店活码
    [0.60, 0.05, 0.25, 0.10],  # 包裹卡
    [0.35, 0.05, 0.15, 0.45],  # 抖音直播
    [0.60, 0.05, 0.25, 0.10],  # 小红书
    [0.60, 0.10, 0.22, 0.08],  # 公众号
    [0.45, 0.20, 0.30, 0.05],  # 老带新
    [0.45, 0.25, 0.25, 0.05],  # 企微搜索
    [0.50, 0.35, 0.00, 0.15],  # buyers who are not contacts
])

_STATUS_TEXT = ("交易成功", "已完成", "已发货", "待发货", "已退款", "退款成功", "已关闭", "已取消", "待付款",
                "部分退款")
_ST_SUCCESS, _ST_DONE, _ST_SHIPPED, _ST_TO_SHIP, _ST_REFUNDED, _ST_REFUND_OK, _ST_CLOSED, \
    _ST_CANCELLED, _ST_UNPAID, _ST_PARTIAL = range(10)
_CANONICAL = (S.PAID, S.REFUNDED, S.CANCELLED, S.UNPAID)
_PAID, _REFUNDED, _CANCELLEDC, _UNPAIDC = range(4)


def _status_table() -> np.ndarray:
    """Exported status text by (canonical status, age bucket, 1/20 chance slot).

    Paid orders show 待发货/已发货 when recent (under 2 days / under 8 days before
    the export), 交易成功 or 已完成 later.
    """
    table = np.empty((4, 3, 20), dtype=np.int8)
    slot = np.arange(20)
    table[_PAID, 0] = np.where(slot < 16, _ST_TO_SHIP, _ST_SHIPPED)
    table[_PAID, 1] = np.where(slot < 12, _ST_SHIPPED, _ST_SUCCESS)
    table[_PAID, 2] = np.where(slot < 13, _ST_SUCCESS, _ST_DONE)
    table[_REFUNDED] = np.where(slot < 12, _ST_REFUNDED, _ST_REFUND_OK)
    table[_CANCELLEDC] = np.where(slot < 12, _ST_CLOSED, _ST_CANCELLED)
    table[_UNPAIDC] = _ST_UNPAID
    return table.ravel()


_STATUS_TABLE = _status_table()

_TAGS = ("敏感肌", "油皮", "干皮", "混合皮", "宝妈", "学生党", "职场白领", "高客单", "价格敏感", "直播粉",
         "小红书种草", "门店体验", "老带新", "618活动", "双11活动", "新品试用")
_SKIN_P = np.array([0.28, 0.18, 0.18, 0.16])  # rest: unknown
_LIFE_P = np.array([0.16, 0.12, 0.22])        # 宝妈, 学生党, 职场白领; rest: unknown

_REMARKS = ("老客户", "已发优惠券", "需要开发票", "孕期注意成分", "对酒精过敏", "喜欢小样", "VIP客户",
            "约了下周到店", "已加群", "送过生日礼", "偏好淡香", "想要试用装", "价格敏感", "朋友介绍")
_TEST_NAMES = ("测试账号", "test01", "测试-勿删", "内部测试", "test", "测试2", "员工-小李", "wecom_test")
_TEST_REMARKS = ("内部员工", "测试勿删", "内部员工", "")
_TEST_PHONES = (13800138000, 13900000000, 18888888888, 13888888888, 13000000000)

_NICK_CORE = ("小雨", "小鱼", "米粒", "糖糖", "橙子", "桃子", "小鹿", "熊熊", "猫咪", "兔兔", "晴天", "月亮",
              "星星", "云朵", "微风", "安安", "乐乐", "果果", "豆豆", "朵朵", "可乐", "布丁", "芒果", "柚子",
              "樱桃", "奶茶", "饭团", "小熊", "向日葵", "栀子花", "薄荷", "柠檬", "晨曦", "夏天", "初心",
              "简单", "随缘", "静好", "木子", "一一", "阿琳", "小美", "婷婷", "佳佳", "小丸子", "甜甜")
_NICK_PHRASE = ("岁月静好", "平安喜乐", "知足常乐", "快乐每一天", "做个好梦", "花开富贵", "柠檬不萌",
                "一只小肥羊", "安静的美男子", "宝宝妈妈", "努力的小胖", "人间值得", "温柔且坚定", "慢慢来",
                "好运连连", "美美哒", "元气少女", "佛系青年", "早睡早起", "天天开心", "追光的人", "山有木兮")
_NICK_EN = ("Amy", "Lily", "Coco", "Vivian", "Cherry", "Sunny", "Grace", "Joy", "Emma", "Kelly", "Tina",
            "Yuki", "Momo", "Nancy", "Linda", "Jessica", "Echo", "Ivy", "Zoe", "Mia", "Jason", "Kevin",
            "Leo", "Tony", "Anna", "Sophie")
_SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董萧"
_TITLES = ("女士", "先生", "小姐", "姐", "哥", "阿姨")
_EMOJI = ("🌸", "🍓", "🌙", "✨", "🐱", "🍀", "💕", "🌈", "🐰", "☀️", "🌻", "🍑", "🦋", "🌷", "💫")

# Price ladder (yuan) items are sold at; orders are one or two items, then discounts.
_PRICES = np.array([19, 29, 39, 49, 59, 69, 79, 89, 99, 109, 119, 129, 139, 149, 159, 169, 179, 189, 199,
                    219, 239, 259, 269, 299, 329, 359, 369, 399, 429, 459, 499, 529, 569, 599, 659, 699,
                    799, 899, 999, 1099, 1199, 1299, 1399, 1599, 1799, 1999, 2299, 2599, 2999, 3599, 3999,
                    4999, 5999, 6999, 8999, 9999], dtype=np.float64)
_LOG_MIDS = (np.log(_PRICES[1:]) + np.log(_PRICES[:-1])) / 2  # nearest ladder price in log terms
_LOG_LO, _LOG_STEP = math.log(10.0), (math.log(20000.0) - math.log(10.0)) / 8192
_PRICE_GRID = np.searchsorted(_LOG_MIDS, _LOG_LO + (np.arange(8192) + 0.5) * _LOG_STEP)
_PERCENT_OFF = np.array([0.95, 0.9, 0.88, 0.85, 0.8, 0.75])
_COUPONS = np.array([5.0, 10.0, 20.0, 30.0, 50.0, 100.0])

# Chinese New Year, 2019-2033 (the ends let every day in 2020-2032 find the CNY before and after it).
_CNY = ("2019-02-05", "2020-01-25", "2021-02-12", "2022-02-01", "2023-01-22", "2024-02-10", "2025-01-29",
        "2026-02-17", "2027-02-06", "2028-01-26", "2029-02-13", "2030-02-03", "2031-01-23", "2032-02-11",
        "2033-01-31")
_FIRST_YEAR, _LAST_YEAR = 2020, 2032

# Hour-of-day weights.
_HOURS_ADD = np.array([0.3, 0.15, 0.1, 0.05, 0.05, 0.1, 0.3, 0.6, 1, 1.5, 2, 2.2, 2, 2, 2.2, 2.3, 2.3, 2.2,
                       2.3, 2.8, 3.2, 3.0, 2.2, 1.0])
_HOURS_STORE = np.array([0, 0, 0, 0, 0, 0, 0, 0, 0, 0.3, 1.5, 2.2, 2.4, 2.2, 2.4, 2.6, 2.6, 2.5, 2.6, 2.8,
                         2.6, 1.8, 0.4, 0.05])
_HOURS_LIVE = np.array([0.8, 0.3, 0.1, 0.02, 0.02, 0.02, 0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.6, 0.6, 0.7,
                        0.8, 0.9, 1.2, 2.5, 3.5, 4.0, 3.5, 2.0])
_HOURS_ORDER = np.array([1.2, 0.6, 0.3, 0.15, 0.1, 0.15, 0.3, 0.7, 1.2, 1.8, 2.4, 2.6, 2.4, 2.0, 2.1, 2.2,
                         2.1, 2.0, 2.1, 2.6, 3.2, 3.6, 3.2, 2.2])

_XLSX_MAX_ROWS = 1_048_575  # data rows below the header
_FULLWIDTH_DIGITS = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")
_FULLWIDTH_ASCII = {c: c + 0xFEE0 for c in range(0x21, 0x7F)}
_ID_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", np.uint8)
_UNIONID_ALPHABET = np.frombuffer(
    b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_", np.uint8)
_MOBILE_PREFIXES = np.array([130, 131, 132, 133, 134, 135, 136, 137, 138, 139, 147, 150, 151, 152, 153,
                             155, 156, 157, 158, 159, 166, 173, 175, 176, 177, 178, 180, 181, 182, 183,
                             184, 185, 186, 187, 188, 189, 191, 198, 199], dtype=np.int64)
_AREA_CODES = ("021", "010", "0571", "025", "020", "0755", "028", "0512")


@dataclass
class SampleData:
    """What :func:`generate` made.

    Attributes
    ----------
    contacts, orders : pandas.DataFrame
        The two exports as written. For ``format="export"`` they hold the raw
        cells under the Chinese headers (strings for the CSV; strings,
        numbers and datetimes for the XLSX); for ``format="parquet"`` the
        canonical, typed columns.
    contacts_truth, orders_truth : pandas.DataFrame
        One row per row of the export, in the same order: ``source_row``,
        ``person_id``, ``dirt`` and the true values (see ``docs/sample.md``).
    paths : dict of str to pathlib.Path
        ``contacts``, ``orders``, ``contacts_truth``, ``orders_truth``,
        ``costs``, ``group_members``, ``group_activity``, ``deletions`` ->
        the files written; empty when ``out`` was None.
    costs : pandas.DataFrame
        The channel cost sheet (月份, 渠道, 投放费用): monthly spend per paid
        channel, from each channel's new contacts times its cost per contact
        (:data:`COST_PER_CONTACT`) with month-to-month noise.
    group_members, group_activity : pandas.DataFrame
        WeCom customer groups (社群): one row per group and member (群名称,
        外部联系人ID, 入群时间, 退群时间) and one row per day, group and member
        who spoke that day (日期, 群名称, 外部联系人ID, 发言数; the last
        :data:`ACTIVITY_DAYS` days up to ``end``). Export headers and text
        values with ``format="export"``, canonical typed columns with
        ``format="parquet"``.
    deletions : pandas.DataFrame
        WeCom's deletion log (流失客户): one row per contact deleted after
        being added (外部联系人ID, 删除时间, 删除方, 跟进员工), by time.
    """

    contacts: pd.DataFrame
    orders: pd.DataFrame
    contacts_truth: pd.DataFrame
    orders_truth: pd.DataFrame
    paths: dict[str, Path] = field(default_factory=dict)
    costs: pd.DataFrame | None = None
    group_members: pd.DataFrame | None = None
    group_activity: pd.DataFrame | None = None
    deletions: pd.DataFrame | None = None


def generate(out: str | PathLike | None = None, *, customers: int = 3000, seed: int = 0,
             format: str = "export", start: str = "2024-01-01", end: str = "2026-10-31") -> SampleData:
    """Simulate a brand's WeCom contacts and orders, dirty as real exports.

    Parameters
    ----------
    out : str or path-like, optional
        Folder to write into (created if missing). None writes nothing and
        only returns the frames.
    customers : int, default 3000
        Number of true persons. About 10 order rows per person follow (a
        million customers give about ten million order rows).
    seed : int, default 0
        Seed of :func:`numpy.random.default_rng`; the same seed gives
        byte-identical files, in either format the same persons, rows and
        row-level dirt.
    format : {"export", "parquet"}, default "export"
        ``"export"`` writes ``contacts.csv`` (GB18030, CRLF, a title line
        above the Chinese header), ``orders.xlsx`` and
        ``truth/contacts_truth.csv``, ``truth/orders_truth.csv`` (UTF-8).
        ``"parquet"`` writes ``contacts.parquet`` and ``orders.parquet`` with
        the canonical columns of :mod:`sikit._schema` and typed values
        (tz-aware Asia/Shanghai times, float amounts, phones as text), and
        ``truth/*.parquet``; it is the fast path for large sizes.
    start, end : str, default "2024-01-01", "2026-10-31"
        First and last day (inclusive) on which customers are added and
        buy; both within 2020-2032.

    Returns
    -------
    SampleData
        The frames written and the paths.

    Raises
    ------
    SikitInputError
        For a bad argument, or when ``format="export"`` would need more rows
        than one XLSX sheet holds (use ``format="parquet"``).

    Notes
    -----
    ``source_row`` in the truth files is the physical line of ``contacts.csv``
    (title line 1, header line 2, first record 3), the Excel row of
    ``orders.xlsx`` (header row 1, first record 2), and the 1-based record
    number in the parquet files. The dirt rates are :data:`DIRT_RATES`.

    Examples
    --------
    >>> from sikit.sample import generate
    >>> s = generate(customers=50, seed=1)
    >>> list(s.contacts.columns[:4])
    ['外部联系人ID', '客户名称', '手机号', 'unionid']
    >>> len(s.contacts) == len(s.contacts_truth) and len(s.orders) == len(s.orders_truth)
    True
    >>> int(s.contacts_truth["person_id"].nunique())
    50
    >>> s.paths
    {}
    """
    if format not in ("export", "parquet"):
        raise SikitInputError(f"format must be 'export' or 'parquet', not {format!r}")
    if isinstance(customers, bool) or not isinstance(customers, (int, np.integer)) or customers < 1:
        raise SikitInputError(f"customers must be a positive whole number, not {customers!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise SikitInputError(f"seed must be a non-negative whole number, not {seed!r}")
    cal = _calendar(start, end)
    rng = np.random.default_rng(int(seed))
    sim = _simulate(rng, int(customers), cal)

    if format == "export":
        if sim.o_rows > _XLSX_MAX_ROWS:
            raise SikitInputError(
                f"{sim.o_rows:,} order rows do not fit in one XLSX sheet ({_XLSX_MAX_ROWS:,} rows): "
                f"use fewer customers (about {int(customers * _XLSX_MAX_ROWS / sim.o_rows):,}) "
                f"or format='parquet'")
        data = _export_frames(sim, cal)
        data.costs = _channel_costs(sim, cal, int(seed))
        data.group_members, data.group_activity = _export_groups(_groups(sim, cal, int(seed)), sim, cal)
        data.deletions = _export_deletions(_deletions(sim, cal, int(seed)), sim, cal)
        del sim
        if out is not None:
            data.paths = _write_export(data, Path(out), cal)
        return data
    costs = _channel_costs(sim, cal, int(seed))
    members, activity = _parquet_groups(_groups(sim, cal, int(seed)), sim, cal)
    deletions = _parquet_deletions(_deletions(sim, cal, int(seed)), sim, cal)
    tables = _parquet_tables(sim, cal)
    del sim
    paths = _write_parquet(tables, Path(out)) if out is not None else {}
    if out is not None:
        paths["costs"] = Path(out) / "channel_costs.parquet"
        costs.rename(columns=dict(zip(COST_HEADER, COST_COLUMNS))).to_parquet(paths["costs"], index=False)
        for name, table in (("group_members", members), ("group_activity", activity), ("deletions", deletions)):
            paths[name] = Path(out) / f"{name}.parquet"
            pq.write_table(table, paths[name], compression="zstd")
    frames = {name: _to_pandas(tables.pop(name)) for name in list(tables)}
    return SampleData(**frames, paths=paths, costs=costs, group_members=members.to_pandas(),
                      group_activity=activity.to_pandas(), deletions=deletions.to_pandas())


#: Yuan per new contact by channel: materials and staff time for 门店活码 and
#: 包裹卡, ads for 抖音直播, 小红书 and 公众号, the reward paid to the referrer for
#: 朋友圈/老带新. 企微搜索手机号 costs nothing and has no row in the sheet.
COST_PER_CONTACT = {"门店活码": 15.0, "包裹卡": 5.0, "抖音直播": 50.0, "小红书": 60.0, "公众号": 25.0,
                    "朋友圈/老带新": 25.0}
#: Headers of ``channel_costs.xlsx`` and the canonical columns of ``channel_costs.parquet``.
COST_HEADER = ("月份", "渠道", "投放费用")
COST_COLUMNS = (S.MONTH, S.CHANNEL, S.SPEND)


def _channel_costs(sim, cal, seed: int) -> pd.DataFrame:
    """Monthly spend per paid channel, consistent with the simulated new contacts.

    Its own random stream, so adding it changed none of the other files.
    """
    rng = np.random.default_rng([seed, 20261123])
    base = sim.c_kind == 0  # a person's first contact: when and where they were acquired
    day = cal.start + (sim.c_sec[base] // 86400).astype("timedelta64[D]")
    month = np.datetime_as_string(day.astype("datetime64[M]"))
    added = pd.DataFrame({"month": month, "channel": np.asarray(_CHANNELS)[sim.c_ch[base]]})
    counts = added.groupby(["month", "channel"]).size().rename("contacts").reset_index()
    counts = counts[counts["channel"].isin(list(COST_PER_CONTACT))].reset_index(drop=True)
    noise = rng.lognormal(0.0, 0.15, len(counts))
    spend = np.round(counts["contacts"] * counts["channel"].map(COST_PER_CONTACT) * noise)
    return pd.DataFrame({COST_HEADER[0]: counts["month"], COST_HEADER[1]: counts["channel"],
                         COST_HEADER[2]: spend.astype("float64")})


#: Headers of ``group_members.csv`` and the canonical columns of ``group_members.parquet``.
GROUP_MEMBER_HEADER = ("群名称", "外部联系人ID", "入群时间", "退群时间")
GROUP_MEMBER_COLUMNS = (S.GROUP_NAME, S.CUSTOMER_ID, S.JOINED_AT, S.LEFT_AT)
#: Headers of ``group_activity.csv`` and the canonical columns of ``group_activity.parquet``.
GROUP_ACTIVITY_HEADER = ("日期", "群名称", "外部联系人ID", "发言数")
GROUP_ACTIVITY_COLUMNS = (S.ACTIVITY_DATE, S.GROUP_NAME, S.CUSTOMER_ID, S.MESSAGES)
#: Days of group activity in the sample, ending on ``end``: WeCom keeps group
#: statistics for 180 days.
ACTIVITY_DAYS = 180
# Members get activity in chunks of this many, so memory stays flat at any size.
_ACTIVITY_CHUNK = 20_000


def _groups(sim, cal, seed: int) -> SimpleNamespace:
    """Group memberships and daily messages, consistent with 所在群聊 and the add times.

    Each person in a group (by the contacts' 所在群聊) is a member through their
    first contact (``c_kind == 0``). Its own random stream, so adding it changed
    none of the other files.
    """
    rng = np.random.default_rng([seed, 20261124])
    names = sorted({p for g in sim.gstrings if g for p in g.split(",")},
                   key=lambda n: (re.sub(r"\d+群$", "", n), int(re.search(r"(\d+)群$", n).group(1))))
    gid = {n: i for i, n in enumerate(names)}
    first = np.array([gid[g.split(",")[0]] if g else -1 for g in sim.gstrings] + [-1], dtype=np.int64)
    second = np.array([gid[g.split(",")[1]] if "," in g else -1 for g in sim.gstrings] + [-1], dtype=np.int64)
    base = np.flatnonzero((sim.c_kind == 0) & (sim.c_pid >= 0))
    gs = sim.c_groups[base]
    row = np.concatenate([base, base])
    grp = np.concatenate([first[gs], second[gs]])
    keep = grp >= 0
    row, grp = row[keep], grp[keep]
    n, G = len(row), len(names)

    # joined: within hours of being added (45%) or 1-14 days later, never after the last day
    added = sim.c_sec[row]
    later = rng.integers(1, 15, n) * 86400 + rng.integers(-4 * 3600, 4 * 3600, n)
    delay = np.where(rng.random(n) < 0.45, rng.integers(60, 6 * 3600, n), later)
    joined = np.minimum(added + delay, cal.end_sec)
    joined = np.maximum(joined, added)

    # groups differ: some decline (many leave, activity falls), some grow
    trend = rng.choice(np.array([-1, 0, 1], dtype=np.int8), G, p=[0.3, 0.45, 0.25])
    t = trend[grp]
    leaves = rng.random(n) < np.select([t < 0, t > 0], [0.45, 0.05], 0.15)
    stay = rng.exponential(1.0, n) * np.where(t < 0, 60.0, 120.0) * 86400
    left = np.where(leaves, joined + 7 * 86400 + stay.astype(np.int64), -1)
    left[left > cal.end_sec] = -1

    # activity: most members silent, a few active; fading with time in the group
    kind = np.searchsorted([0.08, 0.35], rng.random(n), side="right")  # 0 active, 1 occasional, 2 silent
    rate = np.array([0.25, 0.03, 0.0])[kind] * rng.lognormal(0.0, 0.5, n)
    mean_msgs = np.array([4.0, 1.5, 1.0])[kind]
    D = min(ACTIVITY_DAYS, cal.ndays)
    d0 = cal.ndays - D
    days = np.arange(d0, cal.ndays)
    tt = np.arange(D) / max(D - 1, 1)
    shape = np.stack([1.3 - 0.9 * tt, np.ones(D), 0.8 + 0.5 * tt])  # by trend -1, 0, 1
    promo = np.where(cal.in618[days] | cal.in11[days], 2.0, 1.0)
    jday = joined // 86400
    lday = np.where(left >= 0, left // 86400, cal.ndays)
    talk = np.flatnonzero((rate > 0) & (lday >= d0))
    parts = []
    for lo in range(0, len(talk), _ACTIVITY_CHUNK):
        m = talk[lo:lo + _ACTIVITY_CHUNK]
        tenure = days[None, :] - jday[m, None]
        inside = (tenure >= 0) & (days[None, :] <= lday[m, None])
        p = rate[m, None] * (0.25 + 0.75 * np.exp(-np.maximum(tenure, 0) / 60.0)) * shape[t[m] + 1] * promo
        hit = inside & (rng.random((len(m), D)) < np.minimum(p, 0.9))
        mi, di = np.nonzero(hit)
        mm = m[mi]
        msgs = 1 + rng.poisson(mean_msgs[mm] - 1.0)
        parts.append((mm, days[di], msgs))
    if parts:
        a_mem, a_day, a_msgs = (np.concatenate(x) for x in zip(*parts))
    else:
        a_mem, a_day, a_msgs = (np.zeros(0, np.int64) for _ in range(3))

    order = np.lexsort((joined, grp))
    inv = np.empty(n, dtype=np.int64)
    inv[order] = np.arange(n)
    a_order = np.lexsort((inv[a_mem], a_day))
    return SimpleNamespace(
        names=names, row=row[order], grp=grp[order], joined=joined[order], left=left[order],
        a_row=row[a_mem][a_order], a_grp=grp[a_mem][a_order], a_day=a_day[a_order],
        a_msgs=a_msgs[a_order].astype(np.int64),
    )


def _local_text(cal, secs, unit="s") -> np.ndarray:
    ts = cal.start.astype("datetime64[s]") + np.asarray(secs).astype("timedelta64[s]")
    return np.char.replace(np.datetime_as_string(ts, unit=unit), "T", " ")


def _export_groups(g, sim, cal) -> tuple[pd.DataFrame, pd.DataFrame]:
    names = np.asarray(g.names, dtype=object)
    ext = _ascii_strings(sim.ext_ids[sim.c_ext[g.row]]) if len(g.row) else np.zeros(0, str)
    members = pd.DataFrame({
        GROUP_MEMBER_HEADER[0]: names[g.grp],
        GROUP_MEMBER_HEADER[1]: ext,
        GROUP_MEMBER_HEADER[2]: _local_text(cal, g.joined),
        GROUP_MEMBER_HEADER[3]: np.where(g.left >= 0, _local_text(cal, np.maximum(g.left, 0)), ""),
    }, dtype="str")
    a_ext = _ascii_strings(sim.ext_ids[sim.c_ext[g.a_row]]) if len(g.a_row) else np.zeros(0, str)
    activity = pd.DataFrame({
        GROUP_ACTIVITY_HEADER[0]: pd.array(np.datetime_as_string(cal.start + g.a_day.astype("timedelta64[D]")),
                                           dtype="str"),
        GROUP_ACTIVITY_HEADER[1]: pd.array(names[g.a_grp], dtype="str"),
        GROUP_ACTIVITY_HEADER[2]: pd.array(a_ext, dtype="str"),
        GROUP_ACTIVITY_HEADER[3]: g.a_msgs,
    })
    return members, activity


def _parquet_groups(g, sim, cal) -> tuple[pa.Table, pa.Table]:
    names = pa.array(g.names, type=pa.string())
    members = pa.table({
        S.GROUP_NAME: names.take(pa.array(g.grp)),
        S.CUSTOMER_ID: _arrow_strings(sim.ext_ids[sim.c_ext[g.row]]).cast(pa.string()),
        S.JOINED_AT: _timestamps(cal, g.joined),
        S.LEFT_AT: _timestamps(cal, np.maximum(g.left, 0), g.left >= 0),
    })
    day0 = (cal.start - np.datetime64("1970-01-01", "D")).astype(np.int64)
    activity = pa.table({
        S.ACTIVITY_DATE: pa.array((day0 + g.a_day).astype(np.int32), type=pa.date32()),
        S.GROUP_NAME: names.take(pa.array(g.a_grp)),
        S.CUSTOMER_ID: _arrow_strings(sim.ext_ids[sim.c_ext[g.a_row]]).cast(pa.string()),
        S.MESSAGES: pa.array(g.a_msgs, type=pa.int64()),
    })
    return members, activity


#: Headers of ``deletions.csv`` and the canonical columns of ``deletions.parquet``.
DELETION_HEADER = ("外部联系人ID", "删除时间", "删除方", "跟进员工")
DELETION_COLUMNS = (S.CUSTOMER_ID, S.DELETED_AT, S.DELETED_BY, S.STAFF)
#: Base chance that a person's first contact is deleted some time after being
#: added, before the channel and buyer weights of :func:`_deletions`.
DELETION_RATE = 0.06
_DELETED_BY_TEXT = ("客户删除员工", "员工删除客户")


def _deletions(sim, cal, seed: int) -> SimpleNamespace:
    """Contacts deleted after being added: WeCom's 流失客户 list.

    Only a person's first contact (``c_kind == 0``) is deleted. Live-stream
    and 小红书 contacts and people who never buy are deleted more often; most
    deletions are by the customer. Its own random stream, so adding it changed
    none of the other files.
    """
    rng = np.random.default_rng([seed, 20261125])
    base = np.flatnonzero((sim.c_kind == 0) & (sim.c_pid >= 0))
    bought = np.zeros(int(sim.c_pid.max()) + 1, dtype=bool)
    pids = sim.o_pid[sim.o_pid >= 0]
    bought[pids[pids < len(bought)]] = True
    ch = sim.c_ch[base]
    w = np.select([ch == _LIVE, ch == _XHS, ch == _REF], [2.2, 1.8, 0.5], 1.0)
    w = w * np.where(bought[sim.c_pid[base]], 0.35, 1.6)
    p = np.minimum(DELETION_RATE * w / w.mean(), 0.9)
    hit = rng.random(len(base)) < p
    row = base[hit]
    # most deletions come soon after adding (the promotion is over), some much later
    soon = rng.random(len(row)) < 0.5
    days = np.where(soon, rng.exponential(7.0, len(row)), rng.exponential(90.0, len(row)))
    at = sim.c_sec[row] + 3600 + (days * 86400).astype(np.int64)
    keep = at <= cal.end_sec
    row, at = row[keep], at[keep]
    by = (rng.random(len(row)) < 0.2).astype(np.int8)  # 0 customer (80%), 1 staff
    order = np.argsort(at, kind="stable")
    return SimpleNamespace(row=row[order], at=at[order], by=by[order])


def _export_deletions(d, sim, cal) -> pd.DataFrame:
    ext = _ascii_strings(sim.ext_ids[sim.c_ext[d.row]]) if len(d.row) else np.zeros(0, str)
    return pd.DataFrame({
        DELETION_HEADER[0]: ext,
        DELETION_HEADER[1]: _local_text(cal, d.at),
        DELETION_HEADER[2]: np.asarray(_DELETED_BY_TEXT, dtype=object)[d.by],
        DELETION_HEADER[3]: np.asarray(_STAFF, dtype=object)[sim.c_staff[d.row]],
    }, dtype="str")


def _parquet_deletions(d, sim, cal) -> pa.Table:
    return pa.table({
        S.CUSTOMER_ID: _arrow_strings(sim.ext_ids[sim.c_ext[d.row]]).cast(pa.string()),
        S.DELETED_AT: _timestamps(cal, d.at),
        S.DELETED_BY: pa.array(np.asarray(_DELETED_BY_TEXT, dtype=object)[d.by], type=pa.string()),
        S.STAFF: pa.array(np.asarray(_STAFF, dtype=object)[sim.c_staff[d.row]], type=pa.string()),
    })


# --- calendar -------------------------------------------------------------------------


def _parse_day(value, what: str) -> np.datetime64:
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise SikitInputError(f"{what} must be a date like '2024-01-01', not {value!r}") from exc
    if ts is pd.NaT or ts.tzinfo is not None:
        raise SikitInputError(f"{what} must be a plain date like '2024-01-01', not {value!r}")
    if not _FIRST_YEAR <= ts.year <= _LAST_YEAR:
        raise SikitInputError(f"{what} must lie in {_FIRST_YEAR}-{_LAST_YEAR} (the built-in 春节 dates), "
                              f"not {value!r}")
    return np.datetime64(ts.date(), "D")


def _calendar(start, end) -> SimpleNamespace:
    d0, d1 = _parse_day(start, "start"), _parse_day(end, "end")
    if d1 - d0 < np.timedelta64(27, "D"):
        raise SikitInputError(f"end ({end}) must be at least four weeks after start ({start})")
    days = np.arange(d0, d1 + np.timedelta64(1, "D"))
    n = len(days)
    months = days.astype("datetime64[M]")
    month = months.astype(np.int64) % 12 + 1
    dom = (days - months.astype("datetime64[D]")).astype(np.int64) + 1
    dow = (days.astype(np.int64) + 3) % 7  # Monday = 0
    cny = np.array(_CNY, dtype="datetime64[D]")
    k = np.searchsorted(cny, days, side="right")
    since = (days - cny[k - 1]).astype(np.int64)  # 0 on 春节 itself
    until = (cny[k] - days).astype(np.int64)      # >= 1
    in618 = (month == 6) & (dom <= 18)
    in11 = ((month == 10) & (dom >= 20)) | ((month == 11) & (dom <= 11))
    holiday = since <= 6
    pre_cny = (until >= 8) & (until <= 21)

    # purchase intensity (mean 1 over the range)
    s = np.ones(n)
    s[dow >= 5] *= 1.12
    s[(month == 7) | (month == 8)] *= 0.85
    s[in618] *= 2.0
    s[(month == 6) & (dom == 18)] *= 2.5
    s[in11] *= 2.0
    s[((month == 10) & (dom == 31)) | ((month == 11) & (dom == 1))] *= 1.6
    s[(month == 11) & (dom == 11)] *= 3.5
    s[(month == 11) & (dom >= 12) & (dom <= 20)] *= 0.8
    s[(month == 12) & (dom == 12)] *= 1.8
    s[(month == 3) & (dom >= 6) & (dom <= 8)] *= 1.6
    s[pre_cny] *= 1.8
    s[(until >= 1) & (until <= 7)] *= 1.15
    s[holiday] *= 0.45
    s /= s.mean()

    # contact additions: growth rising over time, bumps at promotions
    tt = np.arange(n) / max(n - 1, 1)
    a = (0.25 + tt) ** 1.3
    a[dow >= 5] *= 1.2
    a[in618] *= 1.8
    a[in11] *= 2.0
    a[holiday] *= 0.5
    a[pre_cny] *= 1.2

    start_epoch = int((d0 - np.datetime64("1970-01-01", "D")).astype(np.int64)) * 86400 - 8 * 3600
    return SimpleNamespace(
        start=d0, end=d1, ndays=n, season=s, adds=a, growth=(0.25 + tt) ** 1.3,
        lcum=np.concatenate([[0.0], np.cumsum(s)]), end_sec=n * 86400 - 1,
        export_sec=n * 86400 + 9 * 3600 + 30 * 60, start_epoch=start_epoch,
        peak_midnight=((month == 11) & (dom == 11)) | ((month == 6) & (dom == 18)),
        peak_evening=((month == 10) & (dom == 31)) | ((month == 5) & (dom == 31)),
        promo=s >= 1.5, in618=in618, in11=in11,
    )


# --- small vectorised helpers ------------------------------------------------------------


_TABLE = 1 << 16  # categorical draws go through lookup tables of this size


def _lookup(p) -> np.ndarray:
    """A table of category codes in which code k fills a share p[k] of the entries."""
    p = np.asarray(p, dtype=np.float64)
    exact = p / p.sum() * _TABLE
    counts = np.floor(exact).astype(np.int64)
    short = _TABLE - counts.sum()
    counts[np.argsort(counts - exact, kind="stable")[:short]] += 1
    return np.repeat(np.arange(len(p)), counts)


def _choice(rng, p, size) -> np.ndarray:
    """Categorical draws from one probability vector (resolution 1/65536)."""
    return _lookup(p)[rng.integers(0, _TABLE, size)]


def _bernoulli(rng, n, p) -> np.ndarray:
    """Boolean mask of n Bernoulli(p) trials; for small p drawn through geometric gaps (cheap)."""
    if p >= 0.2:
        return rng.random(n) < p
    mask = np.zeros(n, dtype=bool)
    if p <= 0 or n == 0:
        return mask
    pos = np.empty(0, dtype=np.int64)
    last = -1
    while last < n:
        k = int(n * p * 1.1 + 6 * math.sqrt(n * p) + 16)
        gaps = np.cumsum(rng.geometric(p, k)) + last
        pos = np.concatenate([pos, gaps])
        last = int(gaps[-1])
    mask[pos[pos < n]] = True
    return mask


def _sorted_order(keys) -> np.ndarray:
    """argsort of non-negative integer keys below 2**27, ties by position (same on every machine)."""
    n = len(keys)
    bits = max(int(n - 1).bit_length(), 1)
    packed = np.sort((keys.astype(np.int64) << bits) | np.arange(n, dtype=np.int64))
    return packed & ((1 << bits) - 1)


def _choice_rows(rng, probs) -> np.ndarray:
    """One categorical draw per row of a probability matrix."""
    cum = np.cumsum(probs, axis=1)
    u = rng.random(len(probs)) * cum[:, -1]
    return np.minimum((cum <= u[:, None]).sum(axis=1), probs.shape[1] - 1)


def _choice_by_group(rng, group, table) -> np.ndarray:
    """Categorical draw for each element from the row ``table[group]``."""
    tables = np.concatenate([_lookup(row) for row in np.asarray(table, dtype=np.float64)])
    return tables[np.asarray(group, dtype=np.int64) * _TABLE + rng.integers(0, _TABLE, len(group))]


def _random_chars(rng, n, prefix: bytes, length, alphabet) -> np.ndarray:
    """An (n, len(prefix)+length) uint8 matrix of ASCII ids."""
    mat = np.empty((n, len(prefix) + length), dtype=np.uint8)
    mat[:, : len(prefix)] = np.frombuffer(prefix, np.uint8)
    mat[:, len(prefix):] = alphabet[rng.integers(0, len(alphabet), (n, length))]
    return mat


def _unique_phones(rng, n) -> np.ndarray:
    """n distinct mobile numbers (int64), none of the classic test numbers."""
    out = np.empty(0, dtype=np.int64)
    while len(out) < n:
        k = int((n - len(out)) * 1.02) + 16
        cand = _MOBILE_PREFIXES[rng.integers(0, len(_MOBILE_PREFIXES), k)] * 10**8 + rng.integers(0, 10**8, k)
        out = np.concatenate([out, cand])
        _, first = np.unique(out, return_index=True)
        out = out[np.sort(first)]
        out = out[~np.isin(out, _TEST_PHONES)]
    return out[:n]


def _l_of(cal, sec) -> np.ndarray:
    """Cumulative season-weighted time at local second ``sec``."""
    t = sec / 86400.0
    d = np.minimum(t.astype(np.int64), cal.ndays - 1)
    return cal.lcum[d] + (t - d) * cal.season[d]


def _time_of_day(rng, n, hours) -> np.ndarray:
    return _choice(rng, hours, n) * 3600 + rng.integers(0, 3600, n)


def _nicknames(rng, n=4000) -> list[str]:
    kind = _choice(rng, [0.32, 0.14, 0.18, 0.14, 0.12, 0.10], n)
    a = rng.integers(0, 1 << 30, (n, 4))
    deco = _choice(rng, [0.72, 0.14, 0.14], n)
    out = []
    for i in range(n):
        k, (x, y, z, w) = kind[i], a[i]
        if k == 0:
            name = ("", "", "小", "阿", "")[w % 5] + _NICK_CORE[x % len(_NICK_CORE)]
            if z % 4 == 0:
                name += _NICK_CORE[y % len(_NICK_CORE)]
        elif k == 1:
            name = _NICK_PHRASE[x % len(_NICK_PHRASE)]
        elif k == 2:
            name = _NICK_EN[x % len(_NICK_EN)]
            if z % 3 == 0:
                name = name.lower() + str(1990 + y % 15)[2:] + f"{w % 12 + 1:02d}"
        elif k == 3:
            name = _SURNAMES[x % len(_SURNAMES)] + _TITLES[y % len(_TITLES)]
        elif k == 4:
            name = _SURNAMES[x % len(_SURNAMES)] + _NICK_CORE[y % len(_NICK_CORE)][-1] + \
                _NICK_CORE[z % len(_NICK_CORE)][0]
        else:
            name = _NICK_CORE[x % len(_NICK_CORE)] + ("妈妈", "爸爸", "的店", "～", "呀")[y % 5]
        e = _EMOJI[w % len(_EMOJI)]
        out.append(name if deco[i] == 0 else (e + name if deco[i] == 1 else name + e))
    return out


def _segment_rank(counts) -> np.ndarray:
    starts = np.cumsum(counts) - counts
    return np.arange(int(counts.sum())) - np.repeat(starts, counts)


def _join_codes(masks, codes, keep=None) -> tuple[np.ndarray, list[str]]:
    """Bit masks -> (index per row, list of ';'-joined code strings)."""
    masks = masks.astype(np.int64) if keep is None else masks.astype(np.int64) & keep
    present = np.flatnonzero(np.bincount(masks, minlength=1))
    lookup = np.zeros(int(present[-1]) + 1, dtype=np.int64)
    lookup[present] = np.arange(len(present))
    strings = [";".join(c for i, c in enumerate(codes) if int(u) >> i & 1) for u in present]
    return lookup[masks], strings


# --- the simulation ------------------------------------------------------------------


def _simulate(rng, n_persons: int, cal) -> SimpleNamespace:  # noqa: C901 - one story, told in order
    N = n_persons
    cr, orr = DIRT_RATES["contacts"], DIRT_RATES["orders"]
    nd, end_sec = cal.ndays, cal.end_sec
    n_staff = len(_STAFF)

    # ---- persons: when and how they were added --------------------------------------
    cdf = np.cumsum(cal.adds)
    day = np.minimum(np.searchsorted(cdf / cdf[-1], rng.random(N), side="right"), nd - 1)
    frac = (day / max(nd - 1, 1))[:, None]
    ch = _choice_rows(rng, _CH_SHARE0 + (_CH_SHARE1 - _CH_SHARE0) * frac)
    del frac
    hour_group = np.where(ch == _STORE_CH, 1, np.where(ch == _LIVE, 2, 0))
    hour = _choice_by_group(rng, hour_group, np.stack([_HOURS_ADD, _HOURS_STORE, _HOURS_LIVE]))
    sec = day * 86400 + hour * 3600 + rng.integers(0, 3600, N)
    order = np.argsort(sec, kind="stable")
    sec, ch = sec[order], ch[order]
    del day, hour, hour_group, order

    member = rng.random(N) < _MEMBER_P[ch]
    tier = np.where(member, _choice(rng, _TIER_P, N), -1)
    buyer = rng.random(N) < np.where(member, 0.93, _CONVERSION[ch])
    lam = rng.gamma(_LAMBDA_SHAPE, _LAMBDA_SCALE, N)
    drop = rng.beta(_DROPOUT_A, _DROPOUT_B, N)

    # referral: the referrer is an earlier-added buyer, heavy buyers refer more
    referrer = np.full(N, -1, dtype=np.int64)
    idx = np.flatnonzero(ch == _REF)
    w = np.sqrt(lam) * buyer
    cw = np.cumsum(w)
    before = cw[idx] - w[idx]
    target = rng.random(len(idx)) * before
    ok = before > 0
    referrer[idx[ok]] = np.minimum(np.searchsorted(cw, target[ok], side="right"), idx[ok] - 1)
    ch[idx[~ok]] = _SEARCH
    is_ref = referrer >= 0
    del w, cw, before, target, idx, ok

    t_idx = np.maximum(tier, 0)
    lam = lam * np.where(is_ref, _REF_LAMBDA, 1.0) * np.where(member, _TIER_LAMBDA[t_idx], 1.0)
    drop = np.clip(drop * np.where(is_ref, _REF_DROPOUT, 1.0) * np.where(member, _TIER_DROPOUT[t_idx], 1.0),
                   0.002, 0.95)

    # staff: store QR codes go to store staff, online channels mostly to online staff
    staff_w = rng.gamma(4.0, 1.0, n_staff)
    offline = _STAFF_STORE < _ONLINE
    store_count = np.bincount(_STAFF_STORE, minlength=len(_STORES))
    w_off = np.where(offline, _STORE_W[np.minimum(_STAFF_STORE, _ONLINE - 1)] / store_count[_STAFF_STORE], 0)
    w_off = w_off * staff_w / (w_off * staff_w).sum()
    w_on = np.where(offline, 0.0, staff_w) / staff_w[~offline].sum()
    w_any = staff_w / staff_w.sum()
    staff_table = np.stack([w_off, 0.85 * w_on + 0.15 * w_off, 0.85 * w_on + 0.15 * w_off,
                            0.85 * w_on + 0.15 * w_off, 0.85 * w_on + 0.15 * w_off, w_any, w_any])
    staff0 = _choice_by_group(rng, ch, staff_table)
    follow = is_ref & (rng.random(N) < 0.7)  # referred friends are added by the referrer's staff
    staff = staff0.copy()
    for _ in range(200):
        nxt = staff0.copy()
        nxt[follow] = staff[referrer[follow]]
        if np.array_equal(nxt, staff):
            break
        staff = nxt
    del staff0, nxt
    staff_store = _STAFF_STORE[staff]
    home = np.where(staff_store == _ONLINE, _choice(rng, _STORE_W, N), staff_store)

    # traits and price level
    skin = _choice(rng, np.append(_SKIN_P, 1 - _SKIN_P.sum()), N)
    life = _choice(rng, np.append(_LIFE_P, 1 - _LIFE_P.sum()), N)
    mu = (math.log(159.0) + 0.5 * rng.standard_normal(N) + np.where(member, _TIER_PRICE[t_idx], 0.0)
          - 0.25 * (life == 1) + 0.1 * (life == 2))
    has_unionid = rng.random(N) < 0.72
    nick_pool = _nicknames(rng)
    nick = rng.integers(0, len(nick_pool), N)
    phones = _unique_phones(rng, 2 * N + 64)  # own phones, second phones, outsiders
    phone_of = phones[:N].copy()
    spare_phones = phones[N:]
    del phones

    # ---- contact rows: duplicates, family phones, extra rows ----------------------------
    early = np.flatnonzero(sec < end_sec - 86400)

    def pick(candidates, k):
        """Exactly k of the candidate persons (as a boolean mask)."""
        mask = np.zeros(N, bool)
        k = min(int(round(k)), len(candidates))
        mask[rng.choice(candidates, size=k, replace=False) if k else []] = True
        return mask

    dup = pick(early, cr["duplicate"] * N)
    third = pick(np.flatnonzero(dup), cr["duplicate_third_row"] * dup.sum())
    fam = pick(np.flatnonzero(~dup & has_unionid & (np.arange(N) > 0)), cr["family_phone"] * N)
    pool_a = has_unionid & ~fam
    ca = np.cumsum(pool_a) - pool_a  # candidates before each person
    fam &= ca > 0
    fam_idx = np.flatnonzero(fam)
    a_idx = np.flatnonzero(pool_a)[(rng.random(len(fam_idx)) * ca[fam_idx]).astype(np.int64)]
    phone_of[fam_idx] = phone_of[a_idx]
    unres = pick(early[~dup[early] & ~fam[early]], cr["duplicate_unresolvable"] * N)
    del ca, pool_a

    def link_types(mask):
        k = int(mask.sum())
        lt = 1 + _choice(rng, [0.45, 0.30, 0.25], k)  # 1 unionid, 2 phone, 3 both
        return np.where(has_unionid[mask], lt, 2)

    def later(t0, k):
        gap = 3600 + rng.exponential(90 * 86400.0, k)
        t = t0 + gap.astype(np.int64)
        late = t > end_sec
        t[late] = t0[late] + np.maximum(60, ((end_sec - t0[late]) * rng.random(late.sum())).astype(np.int64))
        return np.minimum(t, end_sec)

    p2, p3, pu = np.flatnonzero(dup), np.flatnonzero(third), np.flatnonzero(unres)
    t2 = later(sec[p2], len(p2))
    t3 = later(t2[np.searchsorted(p2, p3)], len(p3))
    tu = later(sec[pu], len(pu))
    n_test = int(round(cr["test_account"] * N))
    n_noid = int(round(cr["no_id"] * N))
    n_extra = n_test + n_noid
    # kind: 0 base, 1 resolvable duplicate, 2 unresolvable duplicate, 3 test, 4 no id
    r_pid = np.concatenate([np.arange(N), p2, p3, pu, np.full(n_extra, -1)])
    r_kind = np.concatenate([np.zeros(N, np.int8), np.ones(len(p2) + len(p3), np.int8),
                             np.full(len(pu), 2, np.int8), np.full(n_test, 3, np.int8),
                             np.full(n_noid, 4, np.int8)])
    r_slot = np.concatenate([np.zeros(N, np.int8), np.ones(len(p2), np.int8), np.full(len(p3), 2, np.int8),
                             np.ones(len(pu), np.int8), np.zeros(n_extra, np.int8)])
    r_link = np.concatenate([np.zeros(N, np.int8), link_types(dup), link_types(third),
                             np.zeros(len(pu) + n_extra, np.int8)])
    r_sec = np.concatenate([sec, t2, t3, tu, rng.integers(0, end_sec, n_extra)])
    n_extra_person = len(p2) + len(p3) + len(pu)
    not_ref = np.where(np.arange(7) == _REF, 0.0, _CH_SHARE1)
    r_ch = np.concatenate([ch, _choice(rng, not_ref, n_extra_person),
                           np.where(rng.random(n_extra) < 0.7, _SEARCH, _MP)])
    other_staff = (staff[np.concatenate([p2, p3, pu])] + 1
                   + rng.integers(0, n_staff - 1, n_extra_person)) % n_staff
    r_staff = np.concatenate([staff, other_staff, rng.integers(0, n_staff, n_extra)])
    del t2, t3, tu, other_staff

    # physical order: by time added, then one or two blank rows anywhere
    order = np.argsort(r_sec, kind="stable")
    R0 = len(order)
    n_blank = 1 + int(rng.integers(0, 2))
    final = np.insert(order, np.sort(rng.integers(0, R0 + 1, n_blank)), -1)
    R = len(final)
    pos = np.empty(R0, dtype=np.int64)
    pos[final[final >= 0]] = np.flatnonzero(final >= 0)
    blank = final < 0
    src = np.where(blank, 0, final)

    def take(arr, fill):
        out = arr[src]
        out[blank] = fill
        return out

    c_pid, c_kind, c_link = take(r_pid, -1), take(r_kind, 5), take(r_link, 0)
    c_sec, c_ch, c_staff = take(r_sec, 0), take(r_ch, 0), take(r_staff, 0)
    # rows of each person, by time: (N, 3) row positions and their times
    rows3 = np.full((N, 3), -1, dtype=np.int64)
    m = r_kind <= 2
    rows3[r_pid[m], r_slot[m]] = pos[m]
    has_extra_row = rows3[:, 1] >= 0
    del r_pid, r_kind, r_link, r_sec, r_ch, r_staff, r_slot, order, final, src, pos

    person = c_pid >= 0
    pp = np.where(person, c_pid, 0)
    is_base = c_kind == 0
    is_test = c_kind == 3
    has_ext = c_kind <= 3

    # unionid: person-level, hidden on phone-linked duplicates, fresh on 2nd accounts
    c_union = np.full(R, -1, dtype=np.int64)  # >=0: person index; <=-2: fresh id number
    show_u = person & has_unionid[pp] & ((c_kind == 0) | (c_link == 1) | (c_link == 3))
    c_union[show_u] = pp[show_u]
    fresh_u = ((c_kind == 2) & (rng.random(R) < 0.5)) | (is_test & (rng.random(R) < 0.3))
    c_union[fresh_u] = -2 - np.arange(int(fresh_u.sum()))

    # phone value per row
    c_phone = np.zeros(R, dtype=np.int64)
    c_phone[person] = phone_of[pp[person]]
    k2 = c_kind == 2
    c_phone[k2] = spare_phones[: int(k2.sum())]
    spare_phones = spare_phones[int(k2.sum()):]
    n_tr = int(is_test.sum())
    test_phone = np.where(rng.random(n_tr) < 0.4, np.array(_TEST_PHONES)[rng.integers(0, 5, n_tr)],
                          spare_phones[:n_tr])
    test_phone[rng.random(n_tr) < 0.3] = 0
    c_phone[is_test] = test_phone
    spare_phones = spare_phones[n_tr:]

    # which rows must keep a recoverable phone: both ends of every phone link
    phone_linked = person & ((c_link == 2) | (c_link == 3))
    needs = phone_linked.copy()
    linked_persons = np.zeros(N, bool)
    linked_persons[c_pid[phone_linked]] = True
    linked_persons[fam_idx] = True
    linked_persons[a_idx] = True
    needs |= person & is_base & linked_persons[pp]
    needs |= person & fam[pp]

    # phone formats: 0 clean 1 float 2 prefix 3 fullwidth 4 masked 5 scientific 6 landline
    # 7 wrong length 8 missing (rates over person rows; constrained rows only get 0-3)
    fmt_codes = ("phone_float", "phone_prefix", "phone_fullwidth", "phone_masked", "phone_scientific",
                 "phone_landline", "phone_wrong_length", "phone_missing")
    r = np.array([cr[c] for c in fmt_codes])
    q = np.array([0.12, 0.20, 0.04, 0, 0, 0, 0, 0])
    n_p, n_need = int(person.sum()), int(needs.sum())
    free = person & ~needs
    pfree = np.clip((r * n_p - q * n_need) / max(n_p - n_need, 1), 0, None)
    c_pfmt = np.zeros(R, dtype=np.int8)
    c_pfmt[needs] = _choice(rng, np.append(1 - q.sum(), q), n_need)
    c_pfmt[free] = _choice(rng, np.append(max(1 - pfree.sum(), 0), pfree), int(free.sum()))
    c_pfmt[person & (c_phone == 0)] = 8
    c_pfmt[~person] = np.where(c_phone[~person] == 0, 8, 0)
    c_pvar = rng.integers(0, 1 << 30, R)  # variant within a format, landline digits

    # added_at formats and padded text (person rows)
    c_tfmt = np.where(person & (rng.random(R) < cr["time_format"]),
                      1 + _choice(rng, [0.35, 0.2, 0.15, 0.15, 0.15], R), 0)
    c_pad = np.where(person & (rng.random(R) < cr["text_padding"]), 1 + rng.integers(0, 1 << 30, R), 0)

    # names, tags, tiers, groups, remarks, referrers
    c_nick = np.where(person, nick[pp], rng.integers(0, len(nick_pool), R))
    renamed = person & ~is_base & (rng.random(R) < np.where(c_kind == 2, 0.7, 0.15))
    c_nick[renamed] = rng.integers(0, len(nick_pool), int(renamed.sum()))
    c_test_name = np.where(is_test, rng.integers(0, len(_TEST_NAMES), R), -1)

    added_day = np.minimum(c_sec // 86400, nd - 1)
    hi_price = mu > np.quantile(mu, 0.85)
    lo_price = mu < np.quantile(mu, 0.2)
    ps, pl = skin[pp], life[pp]
    tag_p = [np.where(ps == k, 0.75, 0.0) for k in range(4)]
    tag_p += [np.where(pl == k, 0.75, 0.0) for k in range(3)]
    tag_p += [np.where(hi_price[pp], 0.7, 0.02),
              np.where(lo_price[pp], 0.5, np.where(pl == 1, 0.3, 0.03)),
              np.where(c_ch == _LIVE, 0.8, 0.04),
              np.where(c_ch == _XHS, 0.7, 0.03),
              np.where(c_ch == _STORE_CH, 0.4, 0.02),
              np.where(is_ref[pp] & is_base, 0.5, 0.0),
              np.where(cal.in618[added_day], 0.6, 0.0),
              np.where(cal.in11[added_day], 0.6, 0.0),
              np.full(R, 0.06)]
    c_tags = np.zeros(R, dtype=np.int64)
    for k in range(len(_TAGS)):
        c_tags |= (rng.random(R) < tag_p[k]).astype(np.int64) << k
    c_tags[~person] = 0
    del tag_p, ps, pl

    # groups: a store/live/online group, sometimes an interest group; ~300 per group
    in_group = rng.random(N) < (0.18 + 0.3 * member + 0.15 * is_ref + 0.12 * (ch == _LIVE))
    theme1 = np.where(staff_store == _ONLINE, np.where(ch == _LIVE, len(_STORES), _ONLINE), home)
    theme2 = np.where(life == 0, len(_STORES) + 1,
                      np.where(skin == 0, len(_STORES) + 2,
                               np.where(life == 1, len(_STORES) + 3, np.where(member, len(_STORES) + 4, -1))))
    second = in_group & (theme2 >= 0) & (rng.random(N) < 0.3)
    group_names = [s[2:-1] + "店福利" for s in _STORES[:-1]] + ["线上福利", "直播粉丝", "宝妈交流", "敏感肌护理",
                                                           "学生党省钱", "会员专享"]
    g1 = _group_numbers(theme1, in_group)
    g2 = _group_numbers(theme2, second)
    gcode = np.where(in_group, theme1 * 10**6 + g1, -1) * 10**8 + np.where(second, theme2 * 10**6 + g2, 0)
    guniq, ginv = np.unique(gcode, return_inverse=True)
    gstrings = []
    for code in guniq.tolist():
        if code < 0:
            gstrings.append("")
            continue
        a, b = divmod(code, 10**8)
        parts = [f"{group_names[a // 10**6]}{a % 10**6}群"]
        if b:
            parts.append(f"{group_names[b // 10**6]}{b % 10**6}群")
        gstrings.append(",".join(parts))
    c_groups = np.where(person, ginv.reshape(-1)[pp], -1)
    del gcode, ginv, g1, g2, theme1, theme2

    c_tier = np.where(person, tier[pp], -1)
    c_remark = np.where(rng.random(R) < 0.1, rng.integers(0, len(_REMARKS), R), -1)
    c_remark = np.where(is_base & is_ref[pp] & (rng.random(R) < 0.2), _REMARKS.index("朋友介绍"), c_remark)
    c_remark[~person] = -1
    c_test_remark = np.where(is_test, rng.integers(0, len(_TEST_REMARKS), R), -1)
    c_referrer = np.full(R, -1, dtype=np.int64)  # row of the referrer's first contact row
    rr = is_base & is_ref[pp]
    c_referrer[rr] = rows3[referrer[pp[rr]], 0]

    # dirt bits (contacts)
    c_dirt = np.zeros(R, dtype=np.int64)
    c_dirt |= np.where(person & ~is_base & ((c_link == 1) | (c_link == 3)), _CB["duplicate_shared_unionid"], 0)
    c_dirt |= np.where(person & ~is_base & ((c_link == 2) | (c_link == 3)), _CB["duplicate_shared_phone"], 0)
    c_dirt |= np.where(c_kind == 2, _CB["duplicate_unresolvable"], 0)
    c_dirt |= np.where(person & fam[pp], _CB["family_phone"], 0)
    for k, code in enumerate(fmt_codes, start=1):
        c_dirt |= np.where(person & (c_pfmt == k), _CB[code], 0)
    c_dirt |= np.where(c_tfmt > 0, _CB["time_format"], 0)
    c_dirt |= np.where(c_pad > 0, _CB["text_padding"], 0)
    c_dirt |= np.where(is_test, _CB["test_account"], 0)
    c_dirt |= np.where(c_kind == 4, _CB["no_id"], 0)
    c_dirt |= np.where(blank, _CB["blank_row"], 0)

    c_ext = np.full(R, -1, dtype=np.int64)
    c_ext[has_ext] = np.arange(int(has_ext.sum()))
    union_ids = _random_chars(rng, N + int(fresh_u.sum()), b"oQx2e", 23, _UNIONID_ALPHABET)

    # ---- purchases (BG/NBD with a promotion calendar) -----------------------------------
    l_end = cal.lcum[-1]
    l_add = _l_of(cal, sec)
    same = rng.random(N) < _SAME_DAY[ch]
    l_first = l_add + np.where(same, rng.exponential(0.05, N), rng.exponential(_FIRST_DELAY_DAYS, N))
    has = buyer & (l_first < l_end)
    span = np.where(has, l_end - l_first, 0.0)
    m_events = rng.poisson(lam * span)
    k_drop = rng.geometric(drop)
    nrep = np.where(has, np.minimum(m_events, k_drop - 1), 0)
    del l_add, same, k_drop
    # repeat purchases: the first nrep of m_events uniform times in (first, end], i.e.
    # cumulated exponentials over (their sum + Gamma(m - nrep + 1))
    owner_rep = np.repeat(np.arange(N, dtype=np.int32), nrep)
    cs = np.cumsum(rng.exponential(1.0, int(nrep.sum())))
    ends = np.cumsum(nrep)
    cs0 = np.concatenate([[0.0], cs])
    base = cs0[ends - nrep]
    seg_total = cs0[ends] - base + rng.gamma(np.maximum(m_events - nrep + 1, 1).astype(np.float64))
    del cs0, ends, m_events
    cs -= np.repeat(base, nrep)
    cs /= np.repeat(seg_total, nrep)
    cs *= span[owner_rep]
    cs += l_first[owner_rep]
    del base, seg_total
    first_idx = np.flatnonzero(has).astype(np.int32)
    l_all = np.concatenate([l_first[first_idx], cs])
    o_pid = np.concatenate([first_idx, owner_rep])
    del cs, owner_rep, first_idx, span
    n_person_orders = len(o_pid)

    # non-contact buyers
    n_out_orders = int(round(n_person_orders * orr["not_a_contact"] / (1 - orr["not_a_contact"])))
    n_outsiders = max(1, int(n_out_orders / 1.8))
    weight = np.cumsum(rng.gamma(0.8, 1.0, n_outsiders))
    o_out = np.minimum(np.searchsorted(weight / weight[-1], rng.random(n_out_orders), side="right"),
                       n_outsiders - 1)
    del weight
    out_day = _choice(rng, cal.growth * cal.season, n_out_orders)
    out_has_id = rng.random(n_outsiders) < 0.5
    out_mu = math.log(139.0) + 0.5 * rng.standard_normal(n_outsiders)
    out_phones = spare_phones[:n_outsiders]
    ext_ids = _random_chars(rng, int(has_ext.sum()) + n_outsiders, b"wm", 24, _ID_ALPHABET)

    # order times: season-weighted time -> day (grid lookup, then exact), then a time of day
    grid = 8 * nd
    gday = np.searchsorted(cal.lcum, np.arange(grid) * (l_end / grid), side="right") - 1
    d = gday[np.minimum((l_all * (grid / l_end)).astype(np.int64), grid - 1)]
    for _ in range(3):
        d += l_all >= cal.lcum[np.minimum(d + 1, nd)]
    d = np.minimum(d, nd - 1)
    del l_all, gday
    t = np.concatenate([d, out_day]) * 86400
    del d, out_day
    M0 = len(t)
    t += _choice(rng, _HOURS_ORDER, M0) * 3600 + rng.integers(0, 3600, M0)
    for peak, hour, share in ((cal.peak_midnight, 0, 0.3), (cal.peak_evening, 20, 0.25)):
        idx = np.flatnonzero(peak[t // 86400])
        idx = idx[rng.random(len(idx)) < share]
        t[idx] = t[idx] // 86400 * 86400 + hour * 3600 + rng.integers(0, 3600, len(idx))
    pid_all = np.concatenate([o_pid, np.full(n_out_orders, -1, dtype=np.int32)])
    out_all = np.concatenate([np.full(n_person_orders, -1, dtype=np.int32), o_out.astype(np.int32)])
    del o_pid, o_out
    early_idx = np.flatnonzero(pid_all >= 0)
    early_idx = early_idx[t[early_idx] < sec[pid_all[early_idx]] + 60]
    t[early_idx] = sec[pid_all[early_idx]] + 60 + rng.integers(0, 7200, len(early_idx))
    np.minimum(t, end_sec, out=t)
    del early_idx

    # sort true orders by time
    order = _sorted_order(t)
    t, pid_all, out_all = t[order], pid_all[order], out_all[order]
    del order
    isp = pid_all >= 0
    pidx = np.where(isp, pid_all, 0)
    oidx = np.where(isp, 0, out_all)
    del out_all

    # amounts: per-customer lognormal level, snapped to a price ladder, discounts
    mu_o = np.where(isp, mu[pidx], out_mu[oidx])
    z = rng.standard_normal(M0)
    z *= 0.5
    z += mu_o
    amt = _snap_log(z)
    del z
    two = np.flatnonzero(rng.random(M0) < 0.22)
    amt[two] += _snap_log(mu_o[two] - 0.4 + 0.5 * rng.standard_normal(len(two)))
    del mu_o, two
    disc = np.flatnonzero(rng.random(M0) < np.where(cal.promo, 0.65, 0.3)[t // 86400])
    pct = rng.random(len(disc)) < 0.6
    i = disc[pct]
    amt[i] = np.round(amt[i] * _PERCENT_OFF[rng.integers(0, len(_PERCENT_OFF), len(i))], 2)
    i = disc[~pct]
    coupon = _COUPONS[rng.integers(0, len(_COUPONS), len(i))]
    ok = coupon <= 0.3 * amt[i]
    amt[i[ok]] -= coupon[ok]
    del disc, pct, i, coupon, ok
    bulk = np.flatnonzero(_bernoulli(rng, M0, 0.003))
    bulk = bulk[rng.random(len(bulk)) < np.where(isp[bulk] & (tier[pidx[bulk]] >= 2), 1.0, 0.2)]
    amt[bulk] *= rng.uniform(15, 60, len(bulk))
    big = np.flatnonzero(amt >= 10000)
    amt[big] = np.round(amt[big], -2)
    amt = np.round(np.maximum(amt, 1.0), 2)
    del bulk, big

    # order channel and store
    och = _choice_by_group(rng, np.where(isp, ch[pidx], 7), _ORDER_CH_BY_CONTACT_CH).astype(np.int8)
    store = np.full(M0, _ONLINE, dtype=np.int8)
    i = np.flatnonzero((och == 1) & isp)
    store[i] = home[pidx[i]]
    i = np.flatnonzero((och == 1) & ~isp)
    store[i] = _choice(rng, _STORE_W, len(i))
    i = np.flatnonzero((och == 2) & isp)
    store[i] = staff_store[pidx[i]]
    del i

    # status: canonical (live-room orders are refunded and cancelled more), then the export's text
    live = (och == 3).astype(np.intp)
    u = rng.random(M0)
    code = ((u >= np.array([0.045, 0.072])[live]).astype(np.int8)
            + (u >= np.array([0.105, 0.150])[live]) + (u >= np.array([0.120, 0.165])[live]))
    stat = np.array([_REFUNDED, _CANCELLEDC, _UNPAIDC, _PAID], dtype=np.int8)[code]
    del live, u, code
    paid_idx = np.flatnonzero(stat == _PAID)
    partial = np.zeros(M0, dtype=bool)
    partial[paid_idx[_bernoulli(rng, len(paid_idx), 0.035)]] = True
    del paid_idx
    refund = np.zeros(M0)
    i = np.flatnonzero(stat == _REFUNDED)
    refund[i] = amt[i]
    i = np.flatnonzero(partial)
    refund[i] = np.round(amt[i] * rng.uniform(0.1, 0.6, len(i)), 2)
    age = ((t <= cal.export_sec - 2 * 86400).astype(np.intp) + (t <= cal.export_sec - 8 * 86400))
    stext = _STATUS_TABLE[(stat.astype(np.intp) * 3 + age) * 20 + rng.integers(0, 20, M0)]
    del age, i

    # customer key: one of the person's rows already added at order time
    o_cust = np.where(isp, c_ext[rows3[pidx, 0]], np.where(out_has_id[oidx], 0, -1)).astype(np.int32)
    n_ext = int(has_ext.sum())
    i = np.flatnonzero(~isp & out_has_id[oidx])
    o_cust[i] = n_ext + oidx[i]
    multi = np.flatnonzero(isp & has_extra_row[pidx])
    r3 = rows3[pidx[multi]]
    r3sec = np.where(r3 >= 0, c_sec[np.maximum(r3, 0)], np.iinfo(np.int64).max)
    n_ok = np.maximum((r3sec <= t[multi, None]).sum(axis=1), 1)
    pick = (rng.random(len(multi)) * n_ok).astype(np.int64)
    o_cust[multi] = c_ext[r3[np.arange(len(multi)), pick]]
    del multi, r3, r3sec, n_ok, pick, i
    o_phone = np.where(isp, phone_of[pidx], out_phones[oidx])
    # the phone is not shown on 15% of contacts' orders and 30% of outsiders' orders that carry an id
    hidden = np.where(isp, _bernoulli(rng, M0, 0.15), _bernoulli(rng, M0, 0.3) & out_has_id[oidx])
    n_noid_out = int((~isp & ~out_has_id[oidx]).sum())
    p_po = max(orr["phone_only"] * M0 - n_noid_out, 0) / max(int(isp.sum()), 1)
    o_cust[isp & _bernoulli(rng, M0, p_po)] = -1
    hidden &= o_cust >= 0
    o_phone[hidden] = 0
    del hidden, pidx, oidx

    # order ids: E + yyyymmdd + hhmmss + a 5-digit sequence, unique within each second
    r = rng.integers(0, 10**5, M0)
    new_sec = np.ones(M0, bool)
    new_sec[1:] = t[1:] != t[:-1]
    starts = np.flatnonzero(new_sec)
    run = np.cumsum(new_sec) - 1
    seq = ((r[starts][run] + np.arange(M0) - starts[run]) % 10**5).astype(np.int32)
    del r, new_sec, starts, run

    # order-level dirt
    dup_page = _bernoulli(rng, M0, orr["duplicate_page"])
    su_ok = np.flatnonzero(dup_page & (((stat == _PAID) & ~partial) | (stat == _REFUNDED)))
    status_update = np.zeros(M0, dtype=bool)
    status_update[su_ok[rng.random(len(su_ok)) < orr["status_update"] * M0 / max(len(su_ok), 1)]] = True
    rr_ok = np.flatnonzero(((stat == _REFUNDED) | partial) & ~status_update)
    refund_row = np.zeros(M0, dtype=bool)
    refund_row[rr_ok[rng.random(len(rr_ok)) < orr["refund_row"] * M0 / max(len(rr_ok), 1)]] = True
    del su_ok, rr_ok

    # cell-level dirt of an order's row (repeats copy it)
    no_oid = _bernoulli(rng, M0, orr["no_order_id"])
    bad_time = _bernoulli(rng, M0, orr["bad_time"])
    tfmt = np.zeros(M0, dtype=np.int8)
    i = np.flatnonzero(_bernoulli(rng, M0, orr["time_format"]) & ~bad_time)
    tfmt[i] = 1 + _choice(rng, [0.2, 0.15, 0.25, 0.1, 0.1, 0.2], len(i))
    bad_amt = _bernoulli(rng, M0, orr["bad_amount"])
    big = np.flatnonzero(amt >= 10000)
    amt_text = _bernoulli(rng, M0, orr["amount_text"])
    amt_text[big[rng.random(len(big)) < 0.5]] = True
    amt_text &= ~bad_amt
    afmt = np.zeros(M0, dtype=np.int8)
    i = np.flatnonzero(amt_text)
    afmt[i] = 1 + _choice(rng, [0.4, 0.25, 0.2, 0.15], len(i))
    i = i[(amt[i] >= 10000) & (rng.random(len(i)) < 0.7)]
    afmt[i] = 5
    pfmt = np.where(o_phone > 0, 1 + (rng.random(M0) >= 0.45), 0).astype(np.int8)  # 1 number cell, 2 text
    i = np.flatnonzero((o_cust < 0) & (o_phone > 0))
    i = i[rng.random(len(i)) < orr["phone_format"] / orr["phone_only"]]
    pfmt[i] = 3 + rng.integers(0, 5, len(i))
    dirty_phone = pfmt >= 3
    o_var = rng.integers(0, 256, M0, dtype=np.uint8)
    del big, i

    o_dirt = np.zeros(M0, dtype=np.int16)
    for flag, code in ((o_cust < 0, "phone_only"), (dirty_phone, "phone_format"), (~isp, "not_a_contact"),
                       (amt_text, "amount_text"), (tfmt > 0, "time_format"), (no_oid, "no_order_id"),
                       (bad_time, "bad_time"), (bad_amt, "bad_amount")):
        o_dirt[flag] |= _OB[code]
    del dirty_phone, amt_text, isp

    # rows: originals in time order; page repeats a little later; refund rows at refund time
    rep = np.flatnonzero(dup_page)
    rfd = np.flatnonzero(refund_row)
    extra_key = np.concatenate([rep + rng.integers(1, 80, len(rep)) + 0.5,
                                np.searchsorted(t, t[rfd] + rng.integers(86400, 15 * 86400, len(rfd))) - 0.25])
    extra_src = np.concatenate([rep, rfd])
    extra_kind = np.concatenate([np.ones(len(rep), np.int8), np.full(len(rfd), 2, np.int8)])
    o = np.argsort(extra_key, kind="stable")
    extra_key, extra_src, extra_kind = extra_key[o], extra_src[o], extra_kind[o]
    after = np.clip(np.ceil(extra_key).astype(np.int64), 0, M0)  # originals before each extra row
    n_rows = M0 + len(extra_key)
    pos_base = np.arange(M0) + np.cumsum(np.bincount(after, minlength=M0 + 1))[:M0]
    pos_extra = np.arange(len(extra_key)) + after
    row_src = np.empty(n_rows, dtype=np.int64)
    row_src[pos_base] = np.arange(M0)
    row_src[pos_extra] = extra_src
    row_kind = np.zeros(n_rows, dtype=np.int8)
    row_kind[pos_extra] = extra_kind
    del rep, rfd, extra_key, extra_src, extra_kind, o, after, pos_base, pos_extra

    return SimpleNamespace(
        # persons
        N=N, nick_pool=nick_pool, tier=tier, is_ref=is_ref, member=member,
        # contact rows
        R=R, c_pid=c_pid, c_kind=c_kind, c_sec=c_sec, c_ch=c_ch, c_staff=c_staff, c_union=c_union,
        c_phone=c_phone, c_pfmt=c_pfmt, c_pvar=c_pvar, c_tfmt=c_tfmt, c_pad=c_pad, c_nick=c_nick,
        c_test_name=c_test_name, c_tags=c_tags, c_tier=c_tier, c_groups=c_groups, gstrings=gstrings,
        c_remark=c_remark, c_test_remark=c_test_remark, c_referrer=c_referrer, c_dirt=c_dirt, c_ext=c_ext,
        is_test=is_test, ext_ids=ext_ids, union_ids=union_ids,
        # orders (true orders, by time) and rows
        M0=M0, t=t, o_pid=pid_all, o_amt=amt, o_refund=refund, o_stat=stat, o_partial=partial, o_stext=stext,
        o_store=store, o_och=och, o_cust=o_cust, o_phone=o_phone, o_seq=seq,
        o_status_update=status_update, o_refund_row=refund_row, o_no_oid=no_oid, o_bad_time=bad_time,
        o_tfmt=tfmt, o_bad_amt=bad_amt, o_afmt=afmt, o_pfmt=pfmt, o_var=o_var, o_dirt=o_dirt,
        row_src=row_src, row_kind=row_kind, o_rows=len(row_src),
    )


def _snap_log(z) -> np.ndarray:
    """Ladder price nearest to exp(z) (through a fine grid in log terms)."""
    g = (z - _LOG_LO) * (1 / _LOG_STEP)
    np.clip(g, 0, len(_PRICE_GRID) - 1, out=g)
    return _PRICES[_PRICE_GRID[g.astype(np.intp)]]


def _group_numbers(theme, mask) -> np.ndarray:
    """1-based group number: members of a theme fill groups of 300 in the order they joined."""
    out = np.zeros(len(theme), dtype=np.int64)
    idx = np.flatnonzero(mask)
    if len(idx) == 0:
        return out
    order = np.argsort(theme[idx], kind="stable")
    th = theme[idx][order]
    counts = np.bincount(th)
    rank = _segment_rank(counts[counts > 0])
    out[idx[order]] = rank // 300 + 1
    return out


# --- output: shared pieces ---------------------------------------------------------------


def _ascii_strings(mat) -> np.ndarray:
    """(n, L) uint8 matrix -> numpy array of str."""
    return np.char.decode(np.ascontiguousarray(mat).view(f"S{mat.shape[1]}").ravel(), "ascii")


def _arrow_strings(mat, valid=None) -> pa.Array:
    """(n, L) uint8 matrix of ASCII -> pyarrow large_string array (nulls where not valid)."""
    n, width = mat.shape
    data = pa.py_buffer(np.ascontiguousarray(mat))
    offsets = pa.py_buffer(np.arange(n + 1, dtype=np.int64) * width)
    arr = pa.Array.from_buffers(pa.large_string(), n, [None, offsets, data])
    return arr if valid is None else _with_nulls(arr, valid)


def _take_strings(strings, idx, *, empty_is_null=True) -> pa.Array:
    """strings[idx] as a pyarrow string array; idx < 0 (and empty strings) give nulls."""
    idx = np.asarray(idx, dtype=np.int64)
    arr = pa.array(list(strings), type=pa.large_string())
    empty = np.array([s == "" and empty_is_null for s in strings] + [True], dtype=bool)
    mask = empty[np.where(idx < 0, len(strings), idx)]
    return arr.take(pa.array(np.maximum(idx, 0), mask=mask))


@functools.lru_cache(maxsize=1)
def _digit_tables() -> tuple[np.ndarray, np.ndarray]:
    """ASCII of hhmmss for every second of a day, and of 00000-99999."""
    sod = np.arange(86400)
    hms = (sod // 3600) * 10000 + (sod // 60 % 60) * 100 + sod % 60
    return (np.frombuffer("".join(f"{v:06d}" for v in hms.tolist()).encode(), np.uint8).reshape(-1, 6),
            np.frombuffer("".join(f"{v:05d}" for v in range(10**5)).encode(), np.uint8).reshape(-1, 5))


def _order_id_matrix(sim, cal, src) -> np.ndarray:
    """'E' + yyyymmdd + hhmmss + 5-digit sequence for the true orders ``src``, as (n, 20) ASCII."""
    days = np.datetime_as_string(cal.start + np.arange(cal.ndays).astype("timedelta64[D]"))
    day_bytes = np.array([d.replace("-", "").encode() for d in days], dtype="S8")
    hms, seq = _digit_tables()
    t = sim.t[src]
    out = np.empty(len(src), dtype=np.dtype([("e", "S1"), ("d", "S8"), ("h", "S6"), ("s", "S5")]))
    out["e"] = b"E"
    out["d"] = day_bytes[t // 86400]
    out["h"] = hms.view("S6").ravel()[t % 86400]
    out["s"] = seq.view("S5").ravel()[sim.o_seq[src]]
    return out.view(np.uint8).reshape(len(src), 20)


def _phone_matrix(phones) -> np.ndarray:
    """11-digit numbers (int64) as an (n, 11) ASCII matrix."""
    five = _digit_tables()[1]
    four = np.ascontiguousarray(five[:10**4, 1:]).view("S4").ravel()
    three = np.ascontiguousarray(five[:1000, 2:]).view("S3").ravel()
    out = np.empty(len(phones), dtype=np.dtype([("a", "S3"), ("b", "S4"), ("c", "S4")]))
    out["a"] = three[phones // 10**8 % 1000]
    out["b"] = four[phones // 10**4 % 10**4]
    out["c"] = four[phones % 10**4]
    return out.view(np.uint8).reshape(len(phones), 11)


def _row_fields(sim):
    """Per order row: the source order and what each cell shows (shared by both formats).

    Originals (kind 0) show the order; page repeats (kind 1) show it again, with
    the final status where the original showed an earlier one; refund rows
    (kind 2) show the refund as a negative amount. Where the order has a
    status update or a refund row, the original shows the sale as first
    exported: 待付款 (later paid) or 交易成功 (later refunded) and no refund.
    """
    src, kind = sim.row_src, sim.row_kind
    status = sim.o_stext[src]
    refund_cell = sim.o_refund[src]
    amount_cell = sim.o_amt[src]
    dirt = sim.o_dirt[src]
    no_oid, bad_time, bad_amt = sim.o_no_oid[src], sim.o_bad_time[src], sim.o_bad_amt[src]
    tfmt, afmt = sim.o_tfmt[src], sim.o_afmt[src]

    i = np.flatnonzero(kind == 0)
    i = i[sim.o_status_update[src[i]] | sim.o_refund_row[src[i]]]
    o = src[i]
    stat = sim.o_stat[o]
    status[i] = np.where(sim.o_status_update[o],
                         np.where(stat == _PAID, _ST_UNPAID, _ST_SUCCESS),
                         np.where(stat == _PAID, sim.o_stext[o], _ST_SUCCESS))
    refund_cell[i] = 0.0

    i = np.flatnonzero(kind == 1)
    dirt[i] |= _OB["duplicate_page"] | np.where(sim.o_status_update[src[i]], _OB["status_update"], 0).astype(np.int16)

    i = np.flatnonzero(kind == 2)
    o = src[i]
    status[i] = np.where(sim.o_stat[o] == _REFUNDED, _ST_REFUND_OK, _ST_PARTIAL)
    amount_cell[i] = -sim.o_refund[o]
    dirt[i] = (dirt[i] & (_OB["phone_only"] | _OB["phone_format"] | _OB["not_a_contact"])) | _OB["refund_row"]
    for flags in (no_oid, bad_time, bad_amt):
        flags[i] = False
    tfmt[i] = 0
    afmt[i] = 0
    return SimpleNamespace(src=src, kind=kind, status=status, refund_cell=refund_cell, amount_cell=amount_cell,
                           dirt=dirt, no_oid=no_oid, bad_time=bad_time, bad_amt=bad_amt, tfmt=tfmt, afmt=afmt)


def _tag_strings(codes) -> dict[int, str]:
    return {int(c): ",".join(t for k, t in enumerate(_TAGS) if int(c) >> k & 1) for c in np.unique(codes)}


def _iso(secs, cal) -> np.ndarray:
    """Local seconds -> ISO strings with +08:00."""
    ts = cal.start.astype("datetime64[s]") + secs.astype("timedelta64[s]")
    return np.char.add(np.datetime_as_string(ts, unit="s"), "+08:00")


def _person_ids(pid) -> pd.arrays.IntegerArray:
    return pd.arrays.IntegerArray(np.where(pid >= 0, pid + 1, 0).astype(np.int64), pid < 0)


# --- output: the text export -----------------------------------------------------------------


def _fmt_mobile(s: str, variant: int) -> str:
    return (f"+86 {s[:3]} {s[3:7]} {s[7:]}", f"86-{s}", f"0086{s}", f"+86{s}", f"{s[:3]}-{s[3:7]}-{s[7:]}",
            f"{s[:3]} {s[3:7]} {s[7:]}")[variant % 6]


def _fmt_contact_phone(p: int, f: int, v: int) -> str:
    if f == 8 or p == 0:
        return ""
    s = str(p)
    if f == 0:
        return s
    if f == 1:
        return s + ".0"
    if f == 2:
        return _fmt_mobile(s, v)
    if f == 3:
        return s.translate(_FULLWIDTH_DIGITS)
    if f == 4:
        return s[:3] + "****" + s[7:]
    if f == 5:
        return f"{float(p):.5E}"
    if f == 6:
        area = _AREA_CODES[v % len(_AREA_CODES)]
        width = 8 if len(area) == 3 else 7
        return f"{area}-{5 + v // 8 % 4}{v // 32 % 10**(width - 1):0{width - 1}d}"
    return s[:-1] if v % 2 == 0 else s + str(v // 2 % 10)  # 7: wrong length


def _fmt_local(dt: _dt.datetime, f: int) -> str:
    if f == 0:
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    if f == 1:
        return f"{dt.year}/{dt.month}/{dt.day} {dt.hour}:{dt.minute:02d}"
    if f == 2:
        return f"{dt.year}年{dt.month}月{dt.day}日 {dt.hour:02d}:{dt.minute:02d}"
    if f == 3:
        return dt.strftime("%Y%m%d")
    if f == 4:
        return (dt - _dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    return dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")


def _pad(text: str, v: int) -> str:
    if any("a" <= c.lower() <= "z" for c in text) and v // 4 % 3 == 0:
        return text.translate(_FULLWIDTH_ASCII)
    return (f" {text}", f"{text} ", f" {text}  ", f"{text}\u3000")[v % 4]


def _pad_tags(tags: str, v: int) -> str:
    if "," in tags and v % 2 == 0:
        return tags.replace(",", "，")
    return (tags.replace(",", " , "), f"{tags} ", f" {tags}", f"{tags}\u3000")[v // 2 % 4]


def _export_contacts(sim, cal):
    ext = _ascii_strings(sim.ext_ids).tolist()
    union = _ascii_strings(sim.union_ids).tolist()
    dts = (cal.start.astype("datetime64[s]") + sim.c_sec.astype("timedelta64[s]")).astype(object)
    tags = _tag_strings(sim.c_tags)
    rows = []
    cols = (sim.c_kind.tolist(), sim.c_ext.tolist(), sim.c_nick.tolist(), sim.c_test_name.tolist(),
            sim.c_phone.tolist(), sim.c_pfmt.tolist(), sim.c_pvar.tolist(), sim.c_union.tolist(),
            sim.c_tfmt.tolist(), sim.c_ch.tolist(), sim.c_staff.tolist(), sim.c_tags.tolist(),
            sim.c_referrer.tolist(), sim.c_tier.tolist(), sim.c_groups.tolist(), sim.c_remark.tolist(),
            sim.c_test_remark.tolist(), sim.c_pad.tolist())
    for i, (kind, e, nk, tn, ph, pf, pv, un, tf, chn, st, tg, ref, ti, gr, rm, trm, pad) in enumerate(zip(*cols)):
        if kind == 5:
            rows.append([""] * len(CONTACT_HEADER))
            continue
        name = _TEST_NAMES[tn] if tn >= 0 else sim.nick_pool[nk]
        tag = tags[tg]
        if pad:
            if tag and pad % 5 >= 3:
                tag = _pad_tags(tag, pad // 5)
            else:
                name = _pad(name, pad // 5)
        rows.append([
            ext[e] if e >= 0 else "",
            name,
            _fmt_contact_phone(ph, pf, pv),
            (union[un] if un >= 0 else union[sim.N - 2 - un]) if un != -1 else "",
            _fmt_local(dts[i], tf),
            _CHANNELS[chn],
            _STAFF[st],
            tag,
            ext[sim.c_ext[ref]] if ref >= 0 else "",
            _TIERS[ti] if ti >= 0 else "",
            sim.gstrings[gr] if gr >= 0 else "",
            _TEST_REMARKS[trm] if trm >= 0 else (_REMARKS[rm] if rm >= 0 else ""),
        ])
    frame = pd.DataFrame(rows, columns=list(CONTACT_HEADER), dtype="str")

    inv, codes = _join_codes(sim.c_dirt, _CONTACT_CODES)
    recoverable = (sim.c_pfmt <= 3) & (sim.c_phone > 0)
    truth = pd.DataFrame({
        "source_row": np.arange(sim.R, dtype=np.int64) + 3,
        "person_id": _person_ids(sim.c_pid),
        "dirt": pd.array(np.array(codes, dtype=object)[inv], dtype="str"),
        "is_test": sim.is_test,
        "phone_true": pd.array(np.where(recoverable, sim.c_phone.astype(str), ""), dtype="str"),
        "added_at_true": pd.array(np.where(sim.c_kind == 5, "", _iso(sim.c_sec, cal)), dtype="str"),
    })
    return frame, truth


def _fmt_amount(a: float, f: int) -> str:
    plain = f"{a:.2f}"
    if f == 1:
        return f"¥{a:,.2f}"
    if f == 2:
        return (str(int(a)) if a == int(a) else plain) + "元"
    if f == 3:
        return plain
    if f == 4:
        return plain.translate(_FULLWIDTH_DIGITS)
    return f"{a / 10000:.4f}".rstrip("0").rstrip(".") + "万"


_EXCEL_EPOCH = _dt.datetime(1899, 12, 30)


def _fmt_order_time(dt: _dt.datetime, f: int):
    if f == 0:
        return dt
    if f == 1:
        return f"{dt.year}/{dt.month}/{dt.day} {dt.hour}:{dt.minute:02d}"
    if f == 2:
        return f"{dt.year}年{dt.month}月{dt.day}日 {dt.strftime('%H:%M:%S')}"
    if f == 3:
        return dt.strftime("%Y-%m-%d %H:%M:%S")
    if f == 4:
        return (dt - _dt.timedelta(hours=8)).strftime("%Y-%m-%dT%H:%M:%SZ")
    if f == 5:
        return dt.strftime("%Y-%m-%dT%H:%M:%S+08:00")
    return round((dt - _EXCEL_EPOCH).total_seconds() / 86400, 8)  # Excel serial number


def _fmt_order_phone(p: int, f: int):
    if f == 0 or p == 0:
        return None
    s = str(p)
    if f == 1:
        return p
    if f == 2:
        return s
    if f == 3:
        return s + ".0"
    if f == 4:
        return f"+86 {s[:3]} {s[3:7]} {s[7:]}"
    if f == 5:
        return f"86-{s}"
    if f == 6:
        return f"{s[:3]} {s[3:7]} {s[7:]}"
    return s.translate(_FULLWIDTH_DIGITS)


def _export_orders(sim, cal):
    rf = _row_fields(sim)
    src = rf.src
    ext = _ascii_strings(sim.ext_ids).tolist()
    oids = _ascii_strings(_order_id_matrix(sim, cal, np.arange(sim.M0))).tolist()
    dts = (cal.start.astype("datetime64[s]") + sim.t.astype("timedelta64[s]")).astype(object).tolist()
    bad_time = ("--", "{y}-13-45", "0000-00-00 00:00:00")
    bad_amount = ("--", "待定", "N/A")
    rows = []
    cols = (src.tolist(), rf.status.tolist(), rf.refund_cell.tolist(), rf.amount_cell.tolist(),
            rf.no_oid.tolist(), rf.bad_time.tolist(), rf.bad_amt.tolist(), rf.tfmt.tolist(), rf.afmt.tolist(),
            sim.o_cust[src].tolist(), sim.o_phone[src].tolist(), sim.o_pfmt[src].tolist(),
            sim.o_var[src].tolist(), sim.o_store[src].tolist(), sim.o_och[src].tolist())
    for s, st, refund, amount, no_oid, bt, ba, tf, af, cust, ph, pf, var, store, och in zip(*cols):
        dt = dts[s]
        if bt:
            when = bad_time[var % 3].format(y=dt.year)
        else:
            when = _fmt_order_time(dt, tf)
        if ba:
            amt = bad_amount[var % 3]
        elif af:
            amt = _fmt_amount(amount, af)
        else:
            amt = amount
        rows.append([None if no_oid else oids[s], ext[cust] if cust >= 0 else None, _fmt_order_phone(ph, pf),
                     when, amt, refund, _STATUS_TEXT[st], _STORES[store], _ORDER_CHANNELS[och]])
    frame = pd.DataFrame(rows, columns=list(ORDER_HEADER), dtype=object)
    for col in ("订单状态", "门店", "下单渠道"):
        frame[col] = frame[col].astype("str")
    truth = _orders_truth(sim, cal, rf)
    return frame, truth


def _orders_truth(sim, cal, rf) -> pd.DataFrame:
    src = rf.src
    inv, codes = _join_codes(rf.dirt, _ORDER_CODES)
    return pd.DataFrame({
        "source_row": np.arange(len(src), dtype=np.int64) + 2,
        "person_id": _person_ids(sim.o_pid[src]),
        "order_id_true": pd.array(_ascii_strings(_order_id_matrix(sim, cal, src)), dtype="str"),
        "dirt": pd.array(np.array(codes, dtype=object)[inv], dtype="str"),
        "order_time_true": pd.array(_iso(sim.t[src], cal), dtype="str"),
        "amount_true": sim.o_amt[src],
        "refund_true": sim.o_refund[src],
        "status_true": pd.array(np.array(_CANONICAL, dtype=object)[sim.o_stat[src]], dtype="str"),
    })


def _export_frames(sim, cal) -> SampleData:
    contacts, contacts_truth = _export_contacts(sim, cal)
    orders, orders_truth = _export_orders(sim, cal)
    return SampleData(contacts, orders, contacts_truth, orders_truth)


# --- output: parquet ----------------------------------------------------------------------------


def _timestamps(cal, secs, valid=None) -> pa.Array:
    us = (cal.start_epoch + secs) * 1_000_000
    return pa.array(us, type=pa.timestamp("us", tz=S.TIMEZONE), mask=None if valid is None else ~valid)


def _with_nulls(arr: pa.Array, valid) -> pa.Array:
    """The same string array (shared buffers) with nulls where not valid."""
    if valid.all():
        return arr
    bitmap = pa.py_buffer(np.packbits(valid, bitorder="little"))
    return pa.Array.from_buffers(arr.type, len(arr), [bitmap, *arr.buffers()[1:]], null_count=int((~valid).sum()))


_PARQUET_NAMES = {"contacts": "contacts.parquet", "orders": "orders.parquet",
                  "contacts_truth": "truth/contacts_truth.parquet", "orders_truth": "truth/orders_truth.parquet"}
# random ids do not compress or dictionary-encode: skip both for them
_NO_DICT = {S.ORDER_ID, S.CUSTOMER_ID, S.PHONE, S.UNIONID, S.REFERRER_ID, S.ADDED_AT, S.ORDER_TIME, S.AMOUNT,
            "order_id_true", "order_time_true", "amount_true", "refund_true", "source_row", "person_id",
            "phone_true", "added_at_true"}


def _parquet_tables(sim, cal) -> dict[str, pa.Table]:
    """The four tables of ``format="parquet"``; frees the simulation's order arrays as it goes."""
    R = sim.R
    blank = sim.c_kind == 5
    person = sim.c_pid >= 0
    n_nick = len(sim.nick_pool)
    names = np.where(sim.c_test_name >= 0, n_nick + sim.c_test_name, sim.c_nick)
    names[blank] = -1
    union_idx = np.where(sim.c_union >= 0, sim.c_union, sim.N - 2 - sim.c_union)
    phone_valid = (sim.c_phone > 0) & (sim.c_pfmt != 8)
    phones = _arrow_strings(_phone_matrix(sim.c_phone))
    tag_map = _tag_strings(sim.c_tags)
    tag_keys = np.array(sorted(tag_map), dtype=np.int64)
    ref_ext = np.where(sim.c_referrer >= 0, sim.c_ext[np.maximum(sim.c_referrer, 0)], -1)
    remark = np.where(sim.c_test_remark >= 0, len(_REMARKS) + sim.c_test_remark, sim.c_remark)
    added = _timestamps(cal, sim.c_sec, ~blank)
    tables = {}
    tables["contacts"] = pa.table({
        S.CUSTOMER_ID: _arrow_strings(sim.ext_ids[np.maximum(sim.c_ext, 0)], sim.c_ext >= 0),
        S.NAME: _take_strings(list(sim.nick_pool) + list(_TEST_NAMES), names),
        S.PHONE: _with_nulls(phones, phone_valid),
        S.UNIONID: _arrow_strings(sim.union_ids[np.maximum(union_idx, 0)], sim.c_union != -1),
        S.ADDED_AT: added,
        S.CHANNEL: _take_strings(_CHANNELS, np.where(blank, -1, sim.c_ch)),
        S.STAFF: _take_strings(_STAFF, np.where(blank, -1, sim.c_staff)),
        S.TAGS: _take_strings([tag_map[k] for k in tag_keys], np.searchsorted(tag_keys, sim.c_tags)),
        S.REFERRER_ID: _arrow_strings(sim.ext_ids[np.maximum(ref_ext, 0)], ref_ext >= 0),
        S.MEMBER_TIER: _take_strings(_TIERS, sim.c_tier),
        S.GROUPS: _take_strings(sim.gstrings, sim.c_groups),
        S.REMARK: _take_strings(_REMARKS + _TEST_REMARKS, remark),
    })
    inv, codes = _join_codes(sim.c_dirt, _CONTACT_CODES, ~_TEXT_ONLY_CONTACT)
    tables["contacts_truth"] = pa.table({
        "source_row": pa.array(np.arange(1, R + 1, dtype=np.int64)),
        "person_id": pa.array(np.where(person, sim.c_pid + 1, 0), mask=~person),
        "dirt": _take_strings(codes, inv, empty_is_null=False),
        "is_test": pa.array(sim.is_test),
        "phone_true": _with_nulls(phones, phone_valid),
        "added_at_true": added,
    })

    rf = _row_fields(sim)
    src = rf.src
    n = len(src)
    oid = _arrow_strings(_order_id_matrix(sim, cal, src))
    cust = sim.o_cust[src]
    cust_ids = _arrow_strings(sim.ext_ids[np.maximum(cust, 0)], cust >= 0)
    del cust
    phone = sim.o_phone[src]
    phones = _arrow_strings(_phone_matrix(phone), phone > 0)
    del phone
    times = _timestamps(cal, sim.t[src])
    orders = {
        S.ORDER_ID: _with_nulls(oid, ~rf.no_oid),
        S.CUSTOMER_ID: cust_ids,
        S.PHONE: phones,
        S.ORDER_TIME: _with_nulls(times, ~rf.bad_time),
        S.AMOUNT: pa.array(rf.amount_cell, mask=rf.bad_amt),
        S.REFUND_AMOUNT: pa.array(rf.refund_cell),
        S.STATUS: _take_strings(_STATUS_TEXT, rf.status),
        S.STORE: _take_strings(_STORES, sim.o_store[src]),
        S.CHANNEL: _take_strings(_ORDER_CHANNELS, sim.o_och[src]),
    }
    tables["orders"] = pa.table(orders)
    del orders, cust_ids, phones
    oinv, ocodes = _join_codes(rf.dirt, _ORDER_CODES, ~_TEXT_ONLY_ORDER)
    opid = sim.o_pid[src]
    tables["orders_truth"] = pa.table({
        "source_row": pa.array(np.arange(1, n + 1, dtype=np.int64)),
        "person_id": pa.array(np.where(opid >= 0, opid + 1, 0).astype(np.int64), mask=opid < 0),
        "order_id_true": oid,
        "dirt": _take_strings(ocodes, oinv, empty_is_null=False),
        "order_time_true": times,
        "amount_true": pa.array(sim.o_amt[src]),
        "refund_true": pa.array(sim.o_refund[src]),
        "status_true": _take_strings(_CANONICAL, sim.o_stat[src]),
    })
    return tables


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    df = table.to_pandas()
    if "person_id" in df.columns:
        col = table.column("person_id")
        valid = np.asarray(col.is_valid())
        df["person_id"] = pd.arrays.IntegerArray(np.asarray(col.fill_null(0)).astype(np.int64), ~valid)
    return df


# --- writing -------------------------------------------------------------------------------


def _mkdir(out: Path) -> None:
    try:
        (out / "truth").mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise SikitInputError(f"cannot create the folder {out}: {exc}") from exc


def _write_parquet(tables: dict[str, pa.Table], out: Path) -> dict[str, Path]:
    _mkdir(out)
    paths = {name: out / _PARQUET_NAMES[name] for name in tables}

    def write(name):
        table = tables[name]
        pq.write_table(table, paths[name], compression="zstd",
                       use_dictionary=[c for c in table.column_names if c not in _NO_DICT])

    # the writer releases the GIL: the two big files go in parallel
    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(write, ["orders", "orders_truth", "contacts", "contacts_truth"]))
    return paths


def _write_export(data: SampleData, out: Path, cal) -> dict[str, Path]:
    _mkdir(out)
    export = np.datetime_as_string(cal.end + np.timedelta64(1, "D")) + " 09:30:00"
    paths = {"contacts": out / "contacts.csv", "orders": out / "orders.xlsx",
             "contacts_truth": out / "truth" / "contacts_truth.csv",
             "orders_truth": out / "truth" / "orders_truth.csv",
             "costs": out / "channel_costs.xlsx",
             "group_members": out / "group_members.csv", "group_activity": out / "group_activity.csv",
             "deletions": out / "deletions.csv"}
    buf = io.StringIO()
    buf.write(f"企业微信客户列表,导出时间:{export}\r\n")
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(CONTACT_HEADER)
    w.writerows(data.contacts.itertuples(index=False, name=None))
    paths["contacts"].write_bytes(buf.getvalue().encode("gb18030"))
    paths["orders"].write_bytes(_xlsx_bytes(data.orders, export))
    paths["costs"].write_bytes(_xlsx_bytes(data.costs, export, COST_HEADER, "渠道费用"))
    for name, title in (("group_members", "企业微信客户群成员"), ("group_activity", "客户群成员发言统计(近180天)"),
                        ("deletions", "企业微信流失客户(删除记录)")):
        buf = io.StringIO()
        buf.write(f"{title},导出时间:{export}\r\n")
        w = csv.writer(buf, lineterminator="\r\n")
        frame = getattr(data, name)
        w.writerow(list(frame.columns))
        w.writerows(frame.itertuples(index=False, name=None))
        paths[name].write_bytes(buf.getvalue().encode("utf-8-sig"))
    _write_truth_csv(data.contacts_truth, paths["contacts_truth"])
    _write_truth_csv(data.orders_truth, paths["orders_truth"])
    return paths


def _write_truth_csv(df: pd.DataFrame, path: Path) -> None:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(df.columns)
    cols = []
    for name in df.columns:
        col = df[name]
        if name == "person_id":
            cols.append(["" if v is pd.NA else str(v) for v in col.astype(object)])
        elif col.dtype == bool:
            cols.append(["1" if v else "0" for v in col])
        elif col.dtype.kind == "f":
            cols.append([f"{v:.2f}" for v in col])
        else:
            cols.append(col.astype(object).tolist())
    w.writerows(zip(*cols))
    path.write_bytes(buf.getvalue().encode("utf-8"))


def _xlsx_bytes(orders: pd.DataFrame, export: str, header=ORDER_HEADER, sheet: str = "订单列表") -> bytes:
    import openpyxl

    stamp = _dt.datetime.fromisoformat(export)
    wb = openpyxl.Workbook(write_only=True)
    wb.properties.created = stamp
    wb.properties.modified = stamp
    wb.properties.creator = "sikit.sample"
    ws = wb.create_sheet(sheet)
    ws.append(list(header))
    for row in orders.itertuples(index=False, name=None):
        ws.append([None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in row])
    raw = io.BytesIO()
    wb.save(raw)
    # openpyxl stamps "now" into docProps/core.xml and every zip entry: pin both
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)", rb"\g<1>" + iso + rb"\g<2>",
                              data)
            zi = zipfile.ZipInfo(info.filename, date_time=stamp.timetuple()[:6])
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o644 << 16
            zout.writestr(zi, data)
    return out.getvalue()
