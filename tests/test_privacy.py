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


# --- csv_bytes / write_csv: the fast writer writes exactly what pandas writes -----------------

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sikit import _csv, _privacy
from sikit._privacy import csv_bytes, neutralize_formulas, write_csv


def _pandas_csv(df: pd.DataFrame) -> bytes:
    """The definition: what csv_bytes wrote before it had a fast path."""
    return neutralize_formulas(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def _assert_same_bytes(df: pd.DataFrame, tmp_path: Path, fast: bool | None = None) -> None:
    expected = _pandas_csv(df)
    assert csv_bytes(df) == expected
    path = write_csv(df, tmp_path / "out.csv")
    assert path.read_bytes() == expected
    if fast is not None:
        assert (_privacy._csv_blocks(df) is not None) == fast


_TEXT = ["张三", "a,b", 'say "hi"', "two\nlines", "cr\rhere", "crlf\r\n", "=SUM(A1)", "-1", "+86", "@me", "\tx",
         "\rx", "'quoted", "", None, " lead", "trail ", "中文,逗号", '"', ",", "😀🇨🇳", "a\x00b", "=", "x=1"]
_FLOATS = [0.0, -0.0, 1.0, -1.5, 0.1, 0.1 + 0.2, 1 / 3, 1e16, 1e-5, 1e-4, 0.0001234, 123.45, -0.01,
           99999999999999.0, 123456789012.34, 1e14, 1e15, 2.0 ** 53, 5e-324, 1e300, np.inf, -np.inf, np.nan,
           round(2 / 3, 2), round(2 / 3, 4), 12345678.9, 0.5, 1e8, 99999999.99, -123456.7891]


def _n(values, n=len(_TEXT)):
    return (list(values) * (n // len(values) + 1))[:n]


@pytest.mark.parametrize("column, fast", [
    (pd.Series(_TEXT, dtype="str"), True),
    (pd.Series(_TEXT, dtype="string"), True),
    (pd.Series(_TEXT, dtype="string[pyarrow]"), True),
    (pd.Series(_TEXT, dtype=object), True),
    (pd.Series(_n([None, np.nan, "x,y"]), dtype=object), True),
    (pd.Series([None] * len(_TEXT), dtype=object), True),
    (pd.Series(_n(["a", 1, 2.5, None, True]), dtype=object), False),        # mixed objects: pandas
    (pd.Series(_n([0, -1, 2**62, 7]), dtype="int64"), True),
    (pd.Series(_n([0, -1, 7]), dtype="int32"), True),
    (pd.Series(_n([0, 2**64 - 1]), dtype="uint64"), True),
    (pd.Series(_n(_FLOATS), dtype="float64"), True),
    (pd.Series(_n([1.5, np.nan]), dtype="float32"), False),
    (pd.Series(_n([True, False]), dtype=bool), True),
    (pd.Series(_n([1, None, -3]), dtype="Int64"), True),
    (pd.Series(_n([1, None, 3]), dtype="UInt8"), True),
    (pd.Series(_n([1.25, None, -0.0, 1e16, 1e-5, 0.1 + 0.2]), dtype="Float64"), True),
    (pd.Series(_n([True, None, False]), dtype="boolean"), True),
    (pd.Series(pd.date_range("2026-01-01", periods=len(_TEXT), freq="D")), False),
    (pd.Series(pd.date_range("2026-01-01", periods=len(_TEXT), freq="37min", tz="Asia/Shanghai")), False),
    (pd.Series(_n(["=a", "b", None]), dtype="category"), False),
])
def test_csv_bytes_is_what_pandas_writes(column, fast, tmp_path):
    df = pd.DataFrame({"key": pd.Series(_n(["c_1", "c_2"]), dtype="str"), "值": column,
                       "n": np.arange(len(column)), "x": _n(_FLOATS, len(column))})
    _assert_same_bytes(df, tmp_path, fast)
    _assert_same_bytes(df[["值"]], tmp_path)                      # one column: an empty row is quoted
    _assert_same_bytes(df[["值", "key"]].iloc[::-1], tmp_path)     # a shuffled index does not matter
    _assert_same_bytes(df.iloc[:0], tmp_path)


def test_csv_bytes_headers_and_odd_frames(tmp_path):
    df = pd.DataFrame({"a,b": ["=x"], 0: [1.5], "": [None]}, index=[7])
    _assert_same_bytes(df, tmp_path, True)
    dupes = pd.DataFrame([["a", 1, 2.0]], columns=["x", "x", "y"])       # pandas' own behaviour, whatever it is
    assert _privacy._csv_blocks(dupes) is None
    with pytest.raises(AttributeError):
        _pandas_csv(dupes)
    with pytest.raises(AttributeError):
        csv_bytes(dupes)
    _assert_same_bytes(pd.DataFrame(index=range(3)), tmp_path)
    _assert_same_bytes(pd.DataFrame({"only": pd.Series(["", None, "a"], dtype="str")}), tmp_path, True)
    mi = pd.DataFrame([[1, 2]], columns=pd.MultiIndex.from_tuples([("a", "b"), ("a", "c")]))
    _assert_same_bytes(mi, tmp_path, False)


def test_csv_bytes_floats_rounded_and_not(tmp_path):
    rng = np.random.default_rng(0)
    columns = {}
    for places in range(0, 9):
        for scale in (1e-3, 1, 1e3, 1e6, 1e9, 1e12):
            columns[f"r{places}_{scale:g}"] = (rng.standard_normal(2000) * scale).round(places)
    columns["raw"] = rng.standard_normal(2000) * 1e4
    columns["log"] = np.exp(rng.uniform(-30, 40, 2000)) * rng.choice([-1, 1], 2000)
    columns["ulp"] = np.nextafter(np.round(rng.uniform(-1e5, 1e5, 2000), 2), np.inf)
    df = pd.DataFrame(columns)
    df.iloc[::7, 3] = np.nan
    _assert_same_bytes(df, tmp_path, True)


def test_csv_bytes_across_blocks_of_rows(tmp_path, monkeypatch):
    monkeypatch.setattr(_csv, "_BLOCK_CELLS", 50)                     # blocks of 12 rows
    df = pd.DataFrame({"t": pd.Series(_n(_TEXT, 301), dtype="str"), "i": pd.array(_n([1, None], 301), dtype="Int64"),
                       "f": _n(_FLOATS, 301), "b": _n([True, False, True], 301)})
    _assert_same_bytes(df, tmp_path, True)


_cells = st.one_of(st.none(), st.text(alphabet=st.sampled_from(list('=+-@\t\r\n,"\' aZ0中😀.')), max_size=6),
                   st.text(max_size=4).filter(lambda s: not any(0xD800 <= ord(c) <= 0xDFFF for c in s)))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.lists(_cells, min_size=1, max_size=30),
       floats=st.lists(st.one_of(st.floats(allow_nan=True, allow_infinity=True),
                                 st.floats(-1e9, 1e9).map(lambda v: round(v, 2)),
                                 st.floats(-1e3, 1e3).map(lambda v: round(v, 4))), min_size=1, max_size=30),
       ints=st.lists(st.one_of(st.none(), st.integers(-2**63, 2**63 - 1)), min_size=1, max_size=30))
def test_csv_bytes_property(text, floats, ints, tmp_path):
    n = max(len(text), len(floats), len(ints))
    df = pd.DataFrame({"s": pd.Series(_n(text, n), dtype="str"), "o": pd.Series(_n(text, n), dtype=object),
                       "f": np.array(_n(floats, n), dtype="float64"), "i": pd.array(_n(ints, n), dtype="Int64")})
    _assert_same_bytes(df, tmp_path, True)
    _assert_same_bytes(df[["s"]], tmp_path, True)
    _assert_same_bytes(df[["f"]], tmp_path, True)


def test_csv_files_of_the_sample_are_what_pandas_writes(tmp_path, monkeypatch):
    """Every CSV that cleaning and segmenting the sample writes: the same bytes as pandas'."""
    frames = []
    blocks = _privacy._csv_blocks

    def recording(df):
        frames.append(df.copy())
        return blocks(df)

    monkeypatch.setattr(_privacy, "_csv_blocks", recording)
    cleaned = sikit.clean(contacts=SAMPLE / "contacts.csv", orders=SAMPLE / "orders.xlsx")
    paths = list(cleaned.write(tmp_path).values())
    seg = sikit.segment(cleaned.orders, cleaned.contacts, as_of="2026-10-31")
    paths += list(seg.write(tmp_path).values())
    csvs = [p for p in paths if str(p).endswith(".csv")]
    assert len(frames) == len(csvs) >= 5
    for df, path in zip(frames, csvs):
        assert blocks(df) is not None, path.name                      # the fast path was taken
        assert path.read_bytes() == _pandas_csv(df), path.name
