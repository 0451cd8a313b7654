"""Masking for display: names keep their first character, phones their ends; nothing else leaks."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest

import sikit
from sikit import _schema as S
from sikit._privacy import mask_name, mask_pii

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.mark.parametrize("name, masked", [
    ("张三", "张*"),
    ("张三丰", "张**"),
    ("欧阳娜娜", "欧***"),            # four characters: three stars
    ("🌻乐乐妈妈", "🌻***"),          # five: still three, the length is not told
    ("Alice Wang", "A***"),
    ("李", "*"),                      # one character: nothing of it is shown
    ("  张三  ", "张*"),              # surrounding white space is stripped first
    ("", ""),
    ("   ", ""),
])
def test_mask_name(name, masked):
    assert mask_name(pd.Series([name])).iloc[0] == masked


@pytest.mark.parametrize("name, masked", [
    ("👩\u200d👧", "*"),                    # a ZWJ family is one character
    ("👩\u200d👧乐乐", "👩\u200d👧**"),       # kept whole as the first character
    ("🇨🇳中国人", "🇨🇳***"),                 # a flag: two regional indicators
    ("👍🏽好", "👍🏽*"),                       # an emoji with its skin tone
    ("❤\ufe0f小红", "❤\ufe0f**"),            # with a variation selector
    ("1\ufe0f\u20e3号", "1\ufe0f\u20e3*"),   # a keycap
    ("e\u0301", "*"),                       # e with a combining accent is one character
    ("张👩\u200d👧", "张*"),                  # the stars count characters, not code points
])
def test_mask_name_keeps_emoji_whole(name, masked):
    assert mask_name(pd.Series([name])).iloc[0] == masked


def test_mask_name_keeps_missing_index_name_and_dtype():
    for dtype in ("object", "string", "str"):
        names = pd.Series(["张三", None, "王小明"], index=[10, 11, 12], name=S.NAME, dtype=dtype)
        before = names.copy()
        out = mask_name(names)
        assert out.dtype == names.dtype and out.name == S.NAME and out.index.tolist() == [10, 11, 12]
        assert out.iloc[0] == "张*" and pd.isna(out.iloc[1]) and out.iloc[2] == "王**"
        pd.testing.assert_series_equal(names, before)        # the input is not changed
    assert mask_name(pd.Series([], dtype="str")).empty


def test_mask_pii_masks_names_phones_and_phones_in_text():
    df = pd.DataFrame({S.CUSTOMER_ID: ["wm1", "wm2"], S.NAME: ["张三丰", None], S.PHONE: ["13800138000", None],
                       S.REMARK: ["老客户 13900139000", "ok"], "spend": [1.0, -2.0]})
    before = copy.deepcopy(df)
    out = mask_pii(df)
    assert out[S.NAME].iloc[0] == "张**" and pd.isna(out[S.NAME].iloc[1])
    assert out[S.PHONE].iloc[0] == "138****8000"
    assert out[S.REMARK].tolist() == ["老客户 139****9000", "ok"]
    assert out[S.CUSTOMER_ID].tolist() == ["wm1", "wm2"] and out["spend"].tolist() == [1.0, -2.0]
    pd.testing.assert_frame_equal(df, before)


def test_mask_pii_on_the_sample_contacts():
    contacts = sikit.clean(contacts=SAMPLE / "contacts.csv", orders=SAMPLE / "orders.xlsx").contacts
    out = sikit.mask_pii(contacts)
    names, masked = contacts[S.NAME].dropna(), out[S.NAME].dropna()
    assert len(masked) == len(names) > 0
    # every shown name is its first character (or nothing) and one to three stars
    assert masked.str.fullmatch(r"[^*]*\*{1,3}|").all()
    assert not (masked == names.str.strip()).any()
    assert not out[S.PHONE].dropna().str.fullmatch(S.MOBILE_PATTERN).any()


def test_display_id_is_keyed_stable_and_never_reads_like_a_phone():
    from sikit._privacy import display_id

    ids = pd.Series([f"wm{i:06d}" for i in range(20_000)] + [None])
    shown = display_id(ids, key="brand-secret")
    assert shown.iloc[:-1].str.fullmatch(r"c_[a-z]{16}").all() and pd.isna(shown.iloc[-1])
    assert shown.iloc[:-1].is_unique
    assert shown.equals(display_id(ids, key="brand-secret"))  # the same customer, the same id
    assert not shown.iloc[:-1].isin(display_id(ids, key="other").iloc[:-1]).any()  # the key matters
    # hex hashes of the same ids do hold phone-like digit runs: the reason for letters
    from sikit._privacy import pseudonymous_id
    assert pseudonymous_id(ids.iloc[:-1], "display", key="brand-secret").str.contains(r"1[3-9]\d{9}").any()
