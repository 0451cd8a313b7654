"""Vectorised value normalisers for exported contact and order files.

The cleaner feeds whole columns of WeCom/SCRM contact exports and
Youzan/Weimob/Tmall order exports through these functions. Inputs are pandas
Series as they come out of CSV/XLSX/Parquet readers: usually text with missing
values as NA/None/``""``, but possibly already typed (floats/ints for ids,
phones and amounts Excel stored as numbers; naive or tz-aware datetime64;
Python ``datetime`` objects mixed with strings in an ``object`` column read
from an XLSX sheet).

Every function returns new Series carrying the input's index and never mutates
its input. The work is done with pandas ``.str`` methods on the pyarrow-backed
``str`` dtype (RE2 kernels), pyarrow's ``extract_regex`` (pandas'
``str.extract`` would run Python's ``re`` row by row) and numpy arithmetic.
Text times are routed by regex and assembled from their captured fields with
integer arithmetic, so pandas never has to infer a datetime format.
Python-level per-row loops only run over small subsets: the non-string cells
of a mixed ``object`` column, the fractional floats that need ``repr``, the
full-width cells that need ``str.translate``, and the distinct values of a
status column.

The parsers return ``(values, fix)`` pairs. ``fix`` is a ``str`` Series that is
NA where nothing needed fixing and otherwise holds one of the codes in
:data:`FIX_CODES`, so the cleaner can count and explain what it changed or
dropped. Missing input (NA, ``""``, whitespace only) gives a missing value and
no fix code.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import numbers
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from sikit._schema import MOBILE_PATTERN, STATUS_ALIASES, TIMEZONE

__all__ = [
    "FIX_CODES",
    "parse_month",
    "clean_text",
    "id_to_str",
    "is_mobile",
    "is_test_account",
    "map_status",
    "normalize_phone",
    "parse_amount",
    "parse_time",
    "to_halfwidth",
]

# --- fix codes ------------------------------------------------------------------
PHONE_REFORMATTED = "phone_reformatted"
PHONE_MASKED = "phone_masked"
PHONE_SCIENTIFIC = "phone_scientific"
PHONE_LANDLINE = "phone_landline"
PHONE_INVALID = "phone_invalid"
TIME_UNPARSEABLE = "time_unparseable"
AMOUNT_UNPARSEABLE = "amount_unparseable"
STATUS_UNKNOWN = "status_unknown"

FIX_CODES: dict[str, tuple[str, str]] = {
    # code: (zh, en)
    PHONE_REFORMATTED: ("手机号已规范化", "phone repaired to 11 digits"),
    PHONE_MASKED: ("手机号被打码(****)", "phone is masked"),
    PHONE_SCIENTIFIC: ("手机号被Excel存成科学计数法,位数丢失", "phone in scientific notation, digits lost"),
    PHONE_LANDLINE: ("固定电话或400/800号码,非手机号", "landline or 400/800 number, not a mobile"),
    PHONE_INVALID: ("手机号格式无效", "not a valid mainland mobile number"),
    TIME_UNPARSEABLE: ("时间无法解析", "time unparseable or invalid date"),
    AMOUNT_UNPARSEABLE: ("金额无法解析", "amount unparseable"),
    STATUS_UNKNOWN: ("未知订单状态", "unknown order status"),
}

# --- character classes ------------------------------------------------------------
# Every character for which Python's str.isspace() is true, written so that both
# Python's ``re`` and RE2 (pyarrow) read it the same way: ASCII controls as
# escapes, the rest as literal characters (pandas sends patterns containing
# ``\s``/``\d``/``\uXXXX`` escapes to the slow Python path, so none are used).
_WS_CLASS_BODY = (
    r"\t\n\x0b\x0c\r\x1c-\x1f \x85"
    "\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
)
_WS_RUN = f"[{_WS_CLASS_BODY}]+"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_STRIP_CHARS = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\u00a0\u1680"
    + "".join(chr(c) for c in range(0x2000, 0x200B))
    + "\u2028\u2029\u202f\u205f\u3000"
    + _ZERO_WIDTH
)
_FULLWIDTH_CLASS = f"[{chr(0xFF01)}-{chr(0xFF5E)}{chr(0x3000)}]"
_HALFWIDTH_TABLE = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
# A cell holding only dashes or slashes is an exporter's "no value".
_PLACEHOLDER = "[-/\u2010-\u2015\u2212]+"

_INT64_LIMIT = 2.0**63
_NAT = np.iinfo(np.int64).min
_EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 minus 1899-12-30, in days

_STR = "str"  # pandas 3 default string dtype: StringDtype(na_value=nan)


# --- helpers: classify and stringify raw cells --------------------------------------
_K_NA, _K_STR, _K_NUM, _K_DT, _K_OTHER = range(5)


def _kind_of_type(tp: type) -> int:
    if issubclass(tp, str):
        return _K_STR
    if issubclass(tp, (bool, np.bool_)):
        return _K_OTHER
    if issubclass(tp, (numbers.Real, decimal.Decimal)):
        return _K_NUM
    if issubclass(tp, (_dt.datetime, _dt.date, np.datetime64)):
        return _K_DT
    return _K_OTHER


def _kinds(values: np.ndarray) -> np.ndarray:
    """Kind code per cell of an ``object`` array (NA, str, number, datetime, other).

    ``infer_dtype`` (a C scan) settles the common homogeneous cases; only a truly
    mixed column pays for a Python look at each cell's type.
    """
    na = pd.isna(values)
    inferred = pd.api.types.infer_dtype(values, skipna=True)
    homogeneous = {
        "string": _K_STR,
        "empty": _K_NA,
        "integer": _K_NUM,
        "floating": _K_NUM,
        "decimal": _K_NUM,
        "datetime": _K_DT,
        "datetime64": _K_DT,
        "date": _K_DT,
        "boolean": _K_OTHER,
    }
    if inferred in homogeneous:
        kinds = np.full(len(values), homogeneous[inferred], dtype=np.int8)
    else:
        cache: dict[type, int] = {}

        def kind(v: object) -> int:
            tp = type(v)
            k = cache.get(tp)
            if k is None:
                k = cache[tp] = _kind_of_type(tp)
            return k

        kinds = np.fromiter((kind(v) for v in values), dtype=np.int8, count=len(values))
    kinds[na] = _K_NA
    return kinds


def _scalar_num_to_str(v: object) -> str | float:
    """One number as text: integral values as plain integer digits."""
    if isinstance(v, decimal.Decimal):
        if not v.is_finite():
            return np.nan if v.is_nan() else str(v)
        return str(int(v)) if v == v.to_integral_value() else format(v.normalize(), "f")
    if isinstance(v, (numbers.Integral, np.integer)):
        return str(int(v))
    f = float(v)  # type: ignore[arg-type]
    if f != f:
        return np.nan
    if f in (np.inf, -np.inf):
        return repr(f)
    if f == int(f):
        return str(int(f))
    return repr(f)


def _num_to_str(values: np.ndarray) -> pd.Series:
    """Numbers as text (``str`` Series, RangeIndex).

    Integral numbers (``13800138000.0``, ``5``) become their integer digits with
    no ``.0`` and no exponent; other floats use Python's shortest ``repr``
    (``1299.5``); NaN becomes NA. This is how ids, phones and order numbers
    that Excel stored as numbers get their digits back.
    """
    arr = np.asarray(values)
    if arr.dtype.kind in "iu":
        return pd.Series(pa.array(arr).cast(pa.large_string()), dtype=_STR)
    if arr.dtype.kind != "f":
        # object array of Python numbers (ints beyond int64, Decimal, mixed int/float)
        return pd.Series([_scalar_num_to_str(v) for v in arr], dtype=_STR)
    f = arr.astype(np.float64, copy=False)
    with np.errstate(invalid="ignore"):
        integral = np.isfinite(f) & (np.trunc(f) == f) & (np.abs(f) < _INT64_LIMIT)
    ints = pa.array(np.where(integral, f, 0).astype(np.int64), mask=~integral)
    out = pd.Series(ints.cast(pa.large_string()), dtype=_STR)
    rest = ~integral & ~np.isnan(f)
    if rest.any():  # fractional / huge / infinite: rare, done one by one
        out[rest] = [_scalar_num_to_str(x) for x in f[rest]]
    return out


def _is_float_type(v: object) -> bool:
    return isinstance(v, (float, np.floating))


def _text(s: pd.Series) -> tuple[pd.Series, np.ndarray, np.ndarray]:
    """Raw textual form of every cell, before any clean-up.

    Returns ``(text, kinds, is_float)`` where ``text`` is a ``str`` Series with
    a RangeIndex (strings unchanged, numbers via :func:`_num_to_str`, other
    objects via ``str()``), ``kinds`` the per-cell kind codes and ``is_float``
    marks cells that were floating-point numbers.
    """
    n = len(s)
    dtype = s.dtype
    values = s.array
    if isinstance(dtype, pd.StringDtype):
        text = pd.Series(values, dtype=_STR, copy=True).reset_index(drop=True)
        kinds = np.where(text.isna().to_numpy(), _K_NA, _K_STR).astype(np.int8)
        return text, kinds, np.zeros(n, dtype=bool)
    if pd.api.types.is_bool_dtype(dtype):
        na = s.isna().to_numpy()
        flags = s.to_numpy(dtype=bool, na_value=False)
        text = pd.Series(np.where(flags, "True", "False"), dtype=_STR).mask(na)
        return text, np.where(na, _K_NA, _K_OTHER).astype(np.int8), np.zeros(n, dtype=bool)
    if pd.api.types.is_numeric_dtype(dtype):
        na = s.isna().to_numpy()
        if pd.api.types.is_integer_dtype(dtype):
            if isinstance(dtype, np.dtype):
                text = _num_to_str(s.to_numpy())
            else:  # nullable Int64 & co.
                text = pd.Series(s.to_numpy(dtype=object, na_value=np.nan), dtype=object)
                text = _num_to_str(text.to_numpy())
            is_float = np.zeros(n, dtype=bool)
        else:
            text = _num_to_str(s.to_numpy(dtype=np.float64, na_value=np.nan))
            is_float = ~na
        kinds = np.where(na, _K_NA, _K_NUM).astype(np.int8)
        return text, kinds, is_float
    if isinstance(dtype, (np.dtype, pd.DatetimeTZDtype)) and dtype.kind == "M":
        na = s.isna().to_numpy()
        text = pd.Series(s.astype(str).to_numpy(dtype=object), dtype=_STR)
        text[na] = np.nan
        return text, np.where(na, _K_NA, _K_DT).astype(np.int8), np.zeros(n, dtype=bool)

    arr = s.to_numpy(dtype=object)
    kinds = _kinds(arr)
    is_float = np.zeros(n, dtype=bool)
    if (kinds == _K_STR).all():
        return pd.Series(arr, dtype=_STR), kinds, is_float
    out = np.full(n, np.nan, dtype=object)
    str_mask = kinds == _K_STR
    out[str_mask] = arr[str_mask]
    num_mask = kinds == _K_NUM
    if num_mask.any():
        nums = arr[num_mask]
        out[num_mask] = _num_to_str(nums).to_numpy(dtype=object)
        is_float[num_mask] = [_is_float_type(v) for v in nums]
    other = (kinds == _K_DT) | (kinds == _K_OTHER)
    if other.any():
        out[other] = [str(v) for v in arr[other]]
    return pd.Series(out, dtype=_STR), kinds, is_float


def _halfwidth_str(t: pd.Series) -> pd.Series:
    """Full-width -> ASCII, trim, ``""`` -> NA on a ``str`` Series."""
    # A non-ASCII regex class is slow in RE2, so only scan the non-ASCII rows.
    non_ascii = ~pc.fill_null(pc.string_is_ascii(_arrow(t)), True).to_numpy(zero_copy_only=False)
    if non_ascii.any():
        wide = non_ascii.copy()
        wide[non_ascii] = t[non_ascii].str.contains(_FULLWIDTH_CLASS, regex=True, na=False).to_numpy()
        if wide.any():  # str.translate is per row in Python, so only where needed
            t = _put(t, wide, t[wide].str.translate(_HALFWIDTH_TABLE))
    t = t.str.strip(_STRIP_CHARS)
    return t.mask(t == "")


def _finish(values: pd.Series, like: pd.Series) -> pd.Series:
    """Attach the caller's index and name to a RangeIndex result."""
    out = values.set_axis(like.index)
    out.name = like.name
    return out


def _codes_to_str(codes: np.ndarray, labels: list[str], like: pd.Series) -> pd.Series:
    """``str`` Series from small-int codes into ``labels`` (-1 = NA), index of ``like``."""
    codes = np.asarray(codes)
    taken = pa.array(labels, type=pa.large_string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(taken, index=like.index, dtype=_STR)


def _arrow(t: pd.Series) -> pa.Array:
    """The pyarrow array behind a ``str`` Series (zero-copy when pyarrow-backed)."""
    return pa.array(t.array)


def _extract(t: pd.Series, pattern: str) -> dict[str, pa.Array]:
    """Named groups of an RE2 ``pattern`` per row, as pyarrow arrays.

    ``Series.str.extract`` on pandas' ``str`` dtype runs Python's ``re`` row by
    row; pyarrow's ``extract_regex`` kernel is an order of magnitude faster.
    Rows that do not match are null in every group; optional groups that did
    not take part in a match are ``""``.
    """
    res = pc.extract_regex(_arrow(t), pattern=pattern)
    return {res.type.field(i).name: pc.struct_field(res, [i]) for i in range(res.type.num_fields)}


def _put(t: pd.Series, mask: np.ndarray, values: pd.Series) -> pd.Series:
    """Copy of ``str`` Series ``t`` with the ``mask`` rows replaced, in order, by ``values``.

    pyarrow's ``replace_with_mask`` is much faster than pandas' positional
    ``setitem`` on a pyarrow-backed Series.
    """
    merged = pc.replace_with_mask(
        _arrow(t).cast(pa.large_string()), pa.array(mask), _arrow(values).cast(pa.large_string())
    )
    return pd.Series(merged, index=t.index, name=t.name, dtype=_STR)


def _nonempty(a: pa.Array) -> np.ndarray:
    """True where a pyarrow string array holds a non-empty value."""
    return pc.fill_null(pc.greater(pc.utf8_length(a), 0), False).to_numpy(zero_copy_only=False)


def _to_int(a: pa.Array, default: int) -> np.ndarray:
    """Digit strings -> int64; null or ``""`` -> ``default``."""
    a = pc.fill_null(a, "")
    a = pc.if_else(pc.equal(a, ""), str(default), a)
    return pc.cast(a, pa.int64()).to_numpy(zero_copy_only=False)


def _not_placeholder(t: pd.Series, failed: np.ndarray, placeholder: str) -> np.ndarray:
    """Present mask of a cleaned ``str`` Series: not NA and not a placeholder.

    Placeholders never parse, so only the ``failed`` rows need the regex.
    """
    present = t.notna().to_numpy().copy()
    check = present & failed
    if check.any():
        present[check] = ~t[check].str.fullmatch(placeholder, na=False).to_numpy()
    return present


def _check_series(s: object, func: str) -> pd.Series:
    if not isinstance(s, pd.Series):
        raise TypeError(f"{func} expects a pandas Series, got {type(s).__name__}")
    return s


# --- text ------------------------------------------------------------------------------
def to_halfwidth(s: pd.Series) -> pd.Series:
    """Convert full-width characters to ASCII and trim.

    Full-width ASCII variants (U+FF01..U+FF5E) become their ASCII counterparts
    and the ideographic space U+3000 a plain space; leading and trailing
    whitespace (including NBSP U+00A0) and zero-width characters (U+200B,
    U+200C, U+200D, U+2060, U+FEFF) are stripped; empty strings become NA.
    Unlike NFKC normalisation nothing else is touched (no ligature, circled
    digit or half-width katakana changes). Numbers are turned into text first:
    integral values as plain digits (``13800138000.0`` -> ``"13800138000"``).

    Parameters
    ----------
    s : pandas.Series
        Text, numbers or a mix of both.

    Returns
    -------
    pandas.Series
        ``str`` dtype, same index and name as ``s``.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(["ＡＢＣ１２３", "\u3000 hi\u00a0", "", None, 5.0, 13800138000.0])
    >>> to_halfwidth(s).tolist()
    ['ABC123', 'hi', nan, nan, '5', '13800138000']
    """
    s = _check_series(s, "to_halfwidth")
    text, _, _ = _text(s)
    return _finish(_halfwidth_str(text), s)


def clean_text(s: pd.Series) -> pd.Series:
    """:func:`to_halfwidth` plus collapsing inner whitespace runs to one space.

    Meant for free text such as names, channels, staff, stores and tags.

    Parameters
    ----------
    s : pandas.Series
        Text.

    Returns
    -------
    pandas.Series
        ``str`` dtype, same index and name as ``s``.

    Examples
    --------
    >>> import pandas as pd
    >>> clean_text(pd.Series(["  张三 \\u3000 \\t 李四 ", "a\\u00a0\\u00a0b", "   "])).tolist()
    ['张三 李四', 'a b', nan]
    """
    s = _check_series(s, "clean_text")
    text, _, _ = _text(s)
    out = _halfwidth_str(text).str.replace(_WS_RUN, " ", regex=True)
    return _finish(out, s)


def id_to_str(s: pd.Series) -> pd.Series:
    """Normalise an id column (customer, member, order id, phone) to text.

    Ids that Excel turned into numbers get their digits back: a float or int
    becomes its integer digits, and a string of the form ``"<digits>.0"``
    (``"13800138000.0"``) loses the ``.0``. Everything else goes through
    :func:`to_halfwidth`. Ids already destroyed by Excel's scientific notation
    (``"1.38E+10"``) are left as they are.

    Parameters
    ----------
    s : pandas.Series
        Ids as text or numbers.

    Returns
    -------
    pandas.Series
        ``str`` dtype, same index and name as ``s``.

    Examples
    --------
    >>> import pandas as pd
    >>> id_to_str(pd.Series([13800138000.0, "13800138000.0", " wm_ABC ", 42, None], dtype=object)).tolist()
    ['13800138000', '13800138000', 'wm_ABC', '42', nan]
    """
    s = _check_series(s, "id_to_str")
    text, _, _ = _text(s)
    out = _halfwidth_str(text).str.replace(r"^([0-9]+)\.0+$", r"\1", regex=True)
    return _finish(out, s)


# --- phone -------------------------------------------------------------------------------
_PHONE_SEPARATORS = f"[{_WS_CLASS_BODY}\\-.()_\u00b7\u2010-\u2015\u2212\u30fb]"
_MOBILE_RE = r"(?:\+86|0086|86)?1[3-9][0-9]{9}"
# order matters: the fix codes are indexes into this list
_PHONE_LABELS = [PHONE_REFORMATTED, PHONE_MASKED, PHONE_SCIENTIFIC, PHONE_LANDLINE, PHONE_INVALID]
_SCI_RE = r"^\+?(?P<i>[0-9])(?:\.(?P<f>[0-9]+))?[eE]\+?(?P<e>[0-9]{1,2})$"
_LANDLINE_RE = r"^(?:0[1-9][0-9]{8,10}|[48]00[0-9]{7})$"
_LANDLINE_INTL_RE = r"^(?:\+|00)86(?:0?[1-9][0-9]{8,10})$"


def is_mobile(s: pd.Series) -> pd.Series:
    """True where a value is exactly an 11-digit mainland mobile (a clean phone).

    Examples
    --------
    >>> import pandas as pd
    >>> is_mobile(pd.Series(["13800138000", "wm1", None])).tolist()
    [True, False, False]
    """
    return s.astype("str").str.fullmatch(MOBILE_PATTERN).fillna(False).astype(bool)


def normalize_phone(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Normalise mainland China mobile numbers.

    Repairs surrounding and inner spaces, ``-``/``.`` separators and
    parentheses (``138 0013 8000``, ``138-0013-8000``, ``(+86)13800138000``),
    full-width digits, the prefixes ``+86``, ``86`` and ``0086``, a trailing
    ``.0`` left by Excel, and numeric values (``13800138000.0``).

    Parameters
    ----------
    s : pandas.Series
        Phone numbers as text or numbers.

    Returns
    -------
    phone : pandas.Series
        ``str`` dtype: an 11-digit mobile matching ``^1[3-9]\\d{9}$`` or NA.
    fix : pandas.Series
        ``str`` dtype, NA where nothing needed fixing, otherwise

        - ``phone_reformatted``: repaired to a valid mobile (the input was not
          already exactly the 11 digits; a float cell counts as repaired, an
          integer cell holding the 11 digits does not);
        - ``phone_masked``: contains ``*`` or ``x``/``X`` masking;
        - ``phone_scientific``: Excel scientific notation (``1.38001E+10``);
          only a mantissa carrying all 11 digits
          (``1.3800138000E+10``) is recovered, as ``phone_reformatted``;
        - ``phone_landline``: a fixed line (``021-12345678``,
          ``0755 1234 5678``, ``+86 21 12345678``) or a 400/800 number;
        - ``phone_invalid``: anything else that is not a valid mobile.

        Missing input (NA, ``""``, a lone ``-``) gives NA phone and NA fix.

    Examples
    --------
    >>> import pandas as pd
    >>> phone, fix = normalize_phone(pd.Series(
    ...     ["13800138000", "+86 138-0013-8000", 13800138000.0, "138****8000", "1.38001E+10",
    ...      "021-12345678", "12345", None]))
    >>> phone.tolist()
    ['13800138000', '13800138000', '13800138000', nan, nan, nan, nan, nan]
    >>> fix.tolist()  # doctest: +NORMALIZE_WHITESPACE
    [nan, 'phone_reformatted', 'phone_reformatted', 'phone_masked',
     'phone_scientific', 'phone_landline', 'phone_invalid', nan]
    """
    s = _check_series(s, "normalize_phone")
    raw, _, is_float = _text(s)
    t = _halfwidth_str(raw)
    # Fast path: most cells already are (or trim to) the bare 11 digits.
    bare = t.str.fullmatch(MOBILE_PATTERN, na=False).to_numpy()
    exact = (raw == t).to_numpy() & ~is_float
    codes = np.where(bare & ~exact, 0, -1).astype(np.int8)
    phone = t.where(bare)
    rest = ~bare & t.notna().to_numpy()
    if rest.any():
        rows = np.flatnonzero(rest)
        sub_phone, sub_codes = _repair_phones(
            t[rest].reset_index(drop=True), raw[rest].reset_index(drop=True), is_float[rest]
        )
        phone = _put(phone, rest, sub_phone)
        codes[rows] = sub_codes
    return _finish(phone, s), _codes_to_str(codes, _PHONE_LABELS, s)


def _repair_phones(t: pd.Series, raw: pd.Series, is_float: np.ndarray) -> tuple[pd.Series, np.ndarray]:
    """Phones that are not already bare: (phone or NA, fix code into _PHONE_LABELS)."""
    n = len(t)
    present = t.notna().to_numpy() & ~t.str.fullmatch(_PLACEHOLDER, na=False).to_numpy()

    c = t.str.replace(_PHONE_SEPARATORS, "", regex=True)  # "." counts as a separator
    valid = c.str.fullmatch(_MOBILE_RE, na=False).to_numpy().copy()
    # "13800138000.0" is an Excel float, not "138001380000" with a dot separator;
    # at most one of the two readings of a "<digits>.0" cell is a valid mobile.
    retry = ~valid & t.str.fullmatch(r"\+?[0-9]+\.0+", na=False).to_numpy()
    if retry.any():
        alt = t[retry].str.replace(r"\.0+$", "", regex=True)
        ok = alt.str.fullmatch(_MOBILE_RE, na=False).to_numpy()
        if ok.any():
            fixed = np.zeros(len(t), dtype=bool)
            fixed[np.flatnonzero(retry)[ok]] = True
            c = _put(c, fixed, alt[ok])
            valid |= fixed
    phone = c.str.slice(-11)  # the 11 digits when valid; turned to NA below otherwise

    masked = present & (
        t.str.contains("*", regex=False, na=False).to_numpy()
        | (
            c.str.fullmatch(r"\+?[0-9xX]*[0-9][0-9xX]*", na=False)
            & c.str.contains("[xX]", regex=True, na=False)
        ).to_numpy()
    )

    scientific = np.zeros(n, dtype=bool)
    sci_hit = present & t.str.contains("[eE]", regex=True, na=False).to_numpy()
    if sci_hit.any():
        parts = {k: pd.Series(v, dtype=_STR) for k, v in _extract(t[sci_hit], _SCI_RE).items()}
        is_sci = parts["i"].notna().to_numpy()
        digits = parts["i"] + parts["f"]
        recoverable = (
            (parts["e"] == "10")
            & (digits.str.len() >= 11)
            & digits.str.slice(11).str.fullmatch("0*", na=False)
            & digits.str.match("1[3-9]", na=False)
        ).to_numpy()
        rows = np.flatnonzero(sci_hit)
        rec = is_sci & recoverable
        if rec.any():
            recovered = np.zeros(n, dtype=bool)
            recovered[rows[rec]] = True
            phone = _put(phone, recovered, digits[rec].str.slice(0, 11))
            valid |= recovered
        scientific[rows[is_sci & ~recoverable]] = True

    landline = present & (
        c.str.fullmatch(_LANDLINE_RE, na=False) | c.str.fullmatch(_LANDLINE_INTL_RE, na=False)
    ).to_numpy()

    valid &= present
    exact = (raw == phone).to_numpy() & ~is_float
    codes = np.select(
        [~present, masked, scientific, valid & ~exact, valid, landline],
        [-1, 1, 2, 0, -1, 3],
        default=4,
    ).astype(np.int8)
    return phone.where(valid), codes


# --- time ----------------------------------------------------------------------------------
_DT_RE = (
    r"^(?P<Y>[0-9]{4})(?:[-/.]|年)(?P<mo>[0-9]{1,2})(?:[-/.]|月)(?P<d>[0-9]{1,2})(?:日|号)?"
    f"(?:(?:T|[{_WS_CLASS_BODY}]*)"
    r"(?P<H>[0-9]{1,2})(?::|时|点)(?P<M>[0-9]{1,2})"
    r"(?:(?::|分)(?P<S>[0-9]{1,2})(?:[.,](?P<f>[0-9]{1,9}))?秒?|分)?)?"
    f"[{_WS_CLASS_BODY}]*"
    r"(?P<z>[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?$"
)
_NUMERIC_RE = r"[0-9]+(?:\.[0-9]+)?"
_ISO_SECONDS_RE = r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}"
_TIME_PLACEHOLDER = (  # dashes only, or an all-zero date such as 0000-00-00 00:00:00
    f"{_PLACEHOLDER}|0{{4}}[-/.]0{{1,2}}[-/.]0{{1,2}}(?:[ T]0{{1,2}}:0{{2}}(?::0{{2}}(?:\\.0+)?)?)?"
)


def _localize_us(naive: pd.DatetimeIndex | np.ndarray, tz: str) -> np.ndarray:
    """Naive wall-clock times in ``tz`` -> UTC microseconds (int64, NaT kept)."""
    idx = pd.DatetimeIndex(naive).floor("us").as_unit("us")
    aware = idx.tz_localize(tz, ambiguous="NaT", nonexistent="shift_forward")
    return np.asarray(aware.asi8, dtype=np.int64)


def _aware_us(aware: pd.DatetimeIndex) -> np.ndarray:
    """Tz-aware times -> UTC microseconds (int64, NaT kept)."""
    return np.asarray(pd.DatetimeIndex(aware).floor("us").as_unit("us").asi8, dtype=np.int64)


_DAYS_IN_MONTH = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _civil_to_us(year, month, day, hour=0, minute=0, second=0, micro=0) -> np.ndarray:
    """Calendar fields -> microseconds since 1970-01-01 of that wall-clock time.

    Pure numpy integer arithmetic (Howard Hinnant's ``days_from_civil``), with
    impossible fields (month 13, February 30th, hour 24, ...) giving NaT.
    """
    y, mo, d, h, mi, sec, us = np.broadcast_arrays(
        *(np.asarray(x, dtype=np.int64) for x in (year, month, day, hour, minute, second, micro))
    )
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    m = np.clip(mo, 1, 12)
    days_in_month = _DAYS_IN_MONTH[m - 1] + ((m == 2) & leap)
    valid = (
        (y >= 1) & (y <= 9999) & (mo >= 1) & (mo <= 12) & (d >= 1) & (d <= days_in_month)
        & (h >= 0) & (h < 24) & (mi >= 0) & (mi < 60) & (sec >= 0) & (sec < 60)
        & (us >= 0) & (us < 1_000_000)
    )
    yy = y - (m <= 2)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * ((m + 9) % 12) + 2) // 5 + d - 1
    days = era * 146_097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719_468
    wall = (((days * 24 + h) * 60 + mi) * 60 + sec) * 1_000_000 + us
    return np.where(valid, wall, _NAT)


def _numbers_to_utc_us(v: np.ndarray, tz: str) -> np.ndarray:
    """Numeric timestamps -> UTC microseconds; NaT where no rule applies.

    Rules by magnitude (disjoint): Excel serial days 20000..80000 (local time,
    day 0 = 1899-12-30, rounded to the millisecond), ``yyyymmdd`` (8 digits),
    Unix seconds (10 digits, UTC), ``yyyymmddHHMM`` (12), Unix milliseconds
    (13, UTC), ``yyyymmddHHMMSS`` (14).
    """
    v = np.asarray(v, dtype=np.float64)
    out = np.full(len(v), _NAT, dtype=np.int64)
    finite = np.isfinite(v)
    vf = np.where(finite, v, 0.0)
    integral = finite & (np.trunc(vf) == vf)

    serial = finite & (vf >= 20_000) & (vf <= 80_000)
    if serial.any():
        ms = np.round((vf[serial] - _EXCEL_EPOCH_DAYS) * 86_400_000).astype(np.int64)
        out[serial] = _localize_us((ms * 1000).view("M8[us]"), tz)

    epoch_s = finite & (vf >= 1e9) & (vf < 1e10)
    out[epoch_s] = np.round(vf[epoch_s] * 1e6).astype(np.int64)
    epoch_ms = finite & (vf >= 1e12) & (vf < 1e13)
    out[epoch_ms] = np.round(vf[epoch_ms] * 1e3).astype(np.int64)

    for lo, hi, width in ((1e7, 1e8, 8), (1e11, 1e12, 12), (1e13, 1e14, 14)):
        hit = integral & (vf >= lo) & (vf < hi)
        if not hit.any():
            continue
        x = vf[hit].astype(np.int64)
        sec = hm = np.zeros_like(x)
        if width == 14:
            sec, x = x % 100, x // 100
        if width >= 12:
            hm, x = x % 10_000, x // 10_000
        wall = _civil_to_us(x // 10_000, x // 100 % 100, x % 100, hm // 100, hm % 100, sec)
        out[hit] = _localize_us(wall.view("M8[us]"), tz)
    return out


def _strings_to_utc_us(t: pd.Series, tz: str) -> np.ndarray:
    """Cleaned ``str`` Series -> UTC microseconds; NaT where nothing matched."""
    n = len(t)
    out = np.full(n, _NAT, dtype=np.int64)

    # Fast path for the most common export layout, parsed by pandas' C ISO parser.
    iso = t.str.fullmatch(_ISO_SECONDS_RE, na=False).to_numpy()
    if iso.any():
        wall = pd.to_datetime(t[iso], format="%Y-%m-%d %H:%M:%S", errors="coerce")
        out[iso] = _localize_us(pd.DatetimeIndex(wall), tz)

    numeric = ~iso & t.str.fullmatch(_NUMERIC_RE, na=False).to_numpy()
    if numeric.any():
        out[numeric] = _numbers_to_utc_us(t[numeric].astype(np.float64).to_numpy(), tz)

    rest = ~iso & ~numeric & t.notna().to_numpy()
    if not rest.any():
        return out
    rows = np.flatnonzero(rest)
    g = _extract(t[rest], _DT_RE)
    ok = pc.is_valid(g["Y"]).to_numpy(zero_copy_only=False)
    if not ok.any():
        return out
    rows = rows[ok]
    keep = pa.array(ok)
    g = {k: pc.filter(v, keep) for k, v in g.items()}
    fraction = pc.utf8_rpad(pc.utf8_slice_codeunits(pc.fill_null(g["f"], ""), 0, 6), 6, "0")
    wall = _civil_to_us(
        _to_int(g["Y"], 0), _to_int(g["mo"], 0), _to_int(g["d"], 0),
        _to_int(g["H"], 0), _to_int(g["M"], 0), _to_int(g["S"], 0), _to_int(fraction, 0),
    )
    has_zone = _nonempty(g["z"])
    local = ~has_zone
    if local.any():
        out[rows[local]] = _localize_us(wall[local].view("M8[us]"), tz)
    if has_zone.any():
        z = pd.Series(pc.filter(g["z"], pa.array(has_zone)), dtype=_STR)
        z = z.str.replace(":", "", regex=False).str.upper().replace("Z", "+0000")
        sign = np.where((z.str.slice(0, 1) == "-").to_numpy(), -1, 1)
        hh = z.str.slice(1, 3).astype(np.int64).to_numpy()
        mm = z.str.slice(3, 5).replace("", "0").astype(np.int64).to_numpy()
        offset_us = sign * (hh * 60 + mm) * 60_000_000
        zw = wall[has_zone]
        ok_zone = (zw != _NAT) & (hh < 24) & (mm < 60)
        out[rows[has_zone]] = np.where(ok_zone, zw - offset_us, _NAT)
    return out


def _objects_to_utc_us(values: np.ndarray, tz: str) -> np.ndarray:
    """Python/NumPy datetime objects (naive = local ``tz``) -> UTC microseconds."""
    out = np.full(len(values), _NAT, dtype=np.int64)
    aware = np.fromiter(
        (getattr(v, "tzinfo", None) is not None for v in values), dtype=bool, count=len(values)
    )
    if (~aware).any():
        naive = pd.to_datetime(pd.Series(values[~aware], dtype=object), errors="coerce")
        out[~aware] = _localize_us(pd.DatetimeIndex(naive), tz)
    if aware.any():
        conv = pd.to_datetime(pd.Series(values[aware], dtype=object), utc=True, errors="coerce")
        out[aware] = _aware_us(pd.DatetimeIndex(conv))
    return out


def _utc_us_to_series(utc_us: np.ndarray, tz: str, like: pd.Series) -> pd.Series:
    idx = pd.DatetimeIndex(utc_us.view("M8[us]")).tz_localize("UTC").tz_convert(tz)
    out = pd.Series(idx, index=like.index, name=like.name)
    return out


def parse_time(s: pd.Series, tz: str = TIMEZONE) -> tuple[pd.Series, pd.Series]:
    """Parse order/contact times to tz-aware timestamps in ``tz``.

    Accepted text (full-width digits and colons are fine):

    - ``2024-01-05 15:04:05``, ``2024-01-05 15:04``, ``2024-01-05``, the same
      with ``/`` or ``.`` separators and unpadded fields (``2024/1/5 15:04``),
      ``2024年1月5日 15:04[:05]``, ``2024年1月5日``;
    - ISO 8601 with ``T``, fractional seconds (kept to the microsecond) and
      ``Z`` or an offset (``+08:00``, ``+0800``, ``+08``);
    - ``20240105``, ``202401051504``, ``20240105150405``;
    - Excel serial days between 20000 and 80000, with a fraction for the time
      of day (day 0 = 1899-12-30, local time in ``tz``, rounded to the
      millisecond);
    - Unix epoch seconds (10 digits) and milliseconds (13 digits), as UTC
      instants.

    Numbers are read by the same magnitude rules as numeric strings. Naive
    values (text without an offset, naive datetime64, naive ``datetime``
    objects) are wall-clock times in ``tz``; tz-aware ones are converted.
    A placeholder cell (only dashes/slashes, or an all-zero date such as
    ``0000-00-00 00:00:00``) counts as missing.

    Parameters
    ----------
    s : pandas.Series
        Times as text, numbers, datetime64 or datetime objects.
    tz : str, default ``sikit._schema.TIMEZONE`` (``Asia/Shanghai``)
        Zone of naive inputs and of the result.

    Returns
    -------
    time : pandas.Series
        ``datetime64[us, tz]``.
    fix : pandas.Series
        ``str`` dtype: ``time_unparseable`` where a non-missing cell could not
        be parsed or is an impossible date (``2024-02-30``), else NA.

    Examples
    --------
    >>> import pandas as pd
    >>> time, fix = parse_time(pd.Series(["2024/1/5 15:04", "2024-01-05T07:04:05Z", "2024-02-30", None]))
    >>> time
    0   2024-01-05 15:04:00+08:00
    1   2024-01-05 15:04:05+08:00
    2                         NaT
    3                         NaT
    dtype: datetime64[us, Asia/Shanghai]
    >>> fix.tolist()
    [nan, nan, 'time_unparseable', nan]
    """
    s = _check_series(s, "parse_time")
    n = len(s)
    dtype = s.dtype
    out = np.full(n, _NAT, dtype=np.int64)
    present = np.zeros(n, dtype=bool)

    if isinstance(dtype, pd.DatetimeTZDtype):
        present = s.notna().to_numpy()
        out = _aware_us(pd.DatetimeIndex(s))
    elif isinstance(dtype, np.dtype) and dtype.kind == "M":
        present = s.notna().to_numpy()
        out = _localize_us(pd.DatetimeIndex(s), tz)
    elif pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(v)
        out = _numbers_to_utc_us(v, tz)
    else:
        if isinstance(dtype, pd.StringDtype):
            kinds = np.where(s.isna().to_numpy(), _K_NA, _K_STR).astype(np.int8)
            arr = None
        else:
            arr = s.to_numpy(dtype=object)
            kinds = _kinds(arr)
        str_mask = kinds == _K_STR
        if str_mask.any():
            if arr is None:
                text = pd.Series(s.array, dtype=_STR).reset_index(drop=True)
            elif str_mask.all():
                text = pd.Series(arr, dtype=_STR)
            else:
                text = pd.Series(arr[str_mask], dtype=_STR)
            t = _halfwidth_str(text)
            sub_out = _strings_to_utc_us(t, tz)
            sub_present = _not_placeholder(t, sub_out == _NAT, _TIME_PLACEHOLDER)
            if arr is None or str_mask.all():
                present, out = sub_present.copy(), sub_out
            else:
                present[str_mask] = sub_present
                out[str_mask] = sub_out
        num_mask = kinds == _K_NUM
        if num_mask.any():
            v = np.array([float(x) for x in arr[num_mask]], dtype=np.float64)
            present[num_mask] = ~np.isnan(v)
            out[num_mask] = _numbers_to_utc_us(v, tz)
        dt_mask = kinds == _K_DT
        if dt_mask.any():
            present[dt_mask] = True
            out[dt_mask] = _objects_to_utc_us(arr[dt_mask], tz)
        present[kinds == _K_OTHER] = True  # bools, time-of-day objects, ...: unparseable

    codes = np.where(present & (out == _NAT), 0, -1).astype(np.int8)
    return _utc_us_to_series(out, tz, s), _codes_to_str(codes, [TIME_UNPARSEABLE], s)


# --- amount -------------------------------------------------------------------------------
_PLAIN_NUMBER_RE = r"-?[0-9]+(?:\.[0-9]+)?"
_YEN = "\u00a5\uffe5"  # ¥ and full-width ￥ (outside the U+FF01..U+FF5E block)
_AMOUNT_RE = (
    f"^(?P<s1>[-+]?)(?:[{_YEN}]|(?i:rmb|cny)|人民币)?(?P<s2>[-+]?)"
    r"(?P<num>[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]*)?|[0-9]+(?:\.[0-9]*)?|\.[0-9]+)"
    r"(?P<u>万|[wW])?(?:元|(?i:rmb|cny))?$"
)


def _amount_strings(text: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Raw amount text -> (float values with NaN where unparseable, present mask)."""
    t = _halfwidth_str(text)
    present = t.notna().to_numpy()
    v = np.full(len(t), np.nan)
    plain = t.str.fullmatch(_PLAIN_NUMBER_RE, na=False).to_numpy()
    if plain.any():  # the common case needs no extraction
        v[plain] = t[plain].astype(np.float64).to_numpy()
    rest = present & ~plain
    if rest.any():
        c = t[rest].str.replace(_WS_RUN, "", regex=True)
        g = _extract(c, _AMOUNT_RE)
        num = pc.cast(pc.replace_substring(g["num"], ",", ""), pa.float64())
        x = num.to_numpy(zero_copy_only=False)
        x = np.where(_nonempty(g["u"]), x * 10_000, x)
        neg = (
            pc.fill_null(pc.or_(pc.equal(g["s1"], "-"), pc.equal(g["s2"], "-")), False)
        ).to_numpy(zero_copy_only=False)
        v[rest] = np.where(neg, -x, x)
    return v, _not_placeholder(t, np.isnan(v), _PLACEHOLDER)


def parse_amount(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse money amounts in yuan.

    Accepts ``1299``, ``1299.00``, ``¥1,299.00``, ``￥1299``, ``RMB 1299``,
    ``1299元``, ``1,299.5元``, full-width digits, ``1.2万`` (12000),
    ``1.5w``/``1.5W`` and signed values ``-299.00``, ``¥-299``, ``-¥299``
    (negative stays negative: the cleaner treats it as a refund), as well as
    numbers. Thousands separators must sit every three digits.

    Values are rounded to cents with :func:`numpy.round`: the amount times 100
    is rounded half to even, so ``0.125`` -> ``0.12``, ``0.135`` -> ``0.14``
    and ``2.675`` -> ``2.68``. Amounts are expected to carry at most two
    decimals anyway; the rounding only removes binary noise such as
    ``1.2万`` = ``12000.000000000002``.

    Parameters
    ----------
    s : pandas.Series
        Amounts as text or numbers.

    Returns
    -------
    amount : pandas.Series
        ``float64``.
    fix : pandas.Series
        ``str`` dtype: ``amount_unparseable`` where a non-missing cell is not
        an amount (also ``inf``), else NA. A cell holding only dashes counts
        as missing.

    Examples
    --------
    >>> import pandas as pd
    >>> amount, fix = parse_amount(pd.Series(["¥1,299.00", "1.2万", "-¥299", "RMB 88.5", "n/a", None]))
    >>> amount.tolist()
    [1299.0, 12000.0, -299.0, 88.5, nan, nan]
    >>> fix.tolist()
    [nan, nan, nan, nan, 'amount_unparseable', nan]
    """
    s = _check_series(s, "parse_amount")
    n = len(s)
    dtype = s.dtype
    if pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype):
        v = s.to_numpy(dtype=np.float64, na_value=np.nan)
        present = ~np.isnan(v)
    else:
        if isinstance(dtype, pd.StringDtype):
            kinds = np.where(s.isna().to_numpy(), _K_NA, _K_STR).astype(np.int8)
            arr = None
        else:
            arr = s.to_numpy(dtype=object)
            kinds = _kinds(arr)
        v = np.full(n, np.nan)
        present = kinds != _K_NA
        num_mask = kinds == _K_NUM
        if num_mask.any():
            v[num_mask] = [float(x) for x in arr[num_mask]]
            present[num_mask] = ~np.isnan(v[num_mask])
        str_mask = kinds == _K_STR
        if str_mask.any():
            if arr is None:
                text = pd.Series(s.array, dtype=_STR).reset_index(drop=True)
            else:
                text = pd.Series(arr[str_mask], dtype=_STR)
            sub_v, sub_present = _amount_strings(text)
            if arr is None:
                v, present = sub_v, sub_present
            else:
                v[str_mask] = sub_v
                present[str_mask] = sub_present
    with np.errstate(invalid="ignore"):
        v = np.where(np.isfinite(v), np.round(v, 2), np.nan)
    codes = np.where(present & np.isnan(v), 0, -1).astype(np.int8)
    amount = pd.Series(v, index=s.index, name=s.name, dtype=np.float64)
    return amount, _codes_to_str(codes, [AMOUNT_UNPARSEABLE], s)


# --- status ---------------------------------------------------------------------------------
def _lookup_status(key: str) -> str | None:
    for candidate in (key, re.sub(r"[\s\-]+", "_", key), re.sub(r"\s+", "", key)):
        hit = STATUS_ALIASES.get(candidate)
        if hit is not None:
            return hit
    return None


def map_status(s: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Map exporter order statuses to ``paid``/``refunded``/``cancelled``/``unpaid``.

    Values are half-width converted, trimmed and lower-cased, then looked up in
    :data:`sikit._schema.STATUS_ALIASES` (also with inner spaces/dashes read as
    ``_`` and with spaces removed, so ``TRADE SUCCESS`` and ``已 付款`` match).
    The lookup runs once per distinct value.

    Parameters
    ----------
    s : pandas.Series
        Raw status text.

    Returns
    -------
    status : pandas.Series
        ``str`` dtype: one of the canonical statuses or NA.
    fix : pandas.Series
        ``str`` dtype: ``status_unknown`` for an unrecognised non-missing
        value, else NA.

    Examples
    --------
    >>> import pandas as pd
    >>> s = pd.Series(["交易成功", " TRADE_CLOSED ", "WAIT_BUYER_PAY", "已退款", "??", None])
    >>> status, fix = map_status(s)
    >>> status.tolist()
    ['paid', 'cancelled', 'unpaid', 'refunded', nan, nan]
    >>> fix.tolist()
    [nan, nan, nan, nan, 'status_unknown', nan]
    """
    s = _check_series(s, "map_status")
    text, _, _ = _text(s)
    t = _halfwidth_str(text).str.lower()
    codes, uniques = pd.factorize(t, use_na_sentinel=True)
    statuses = list(dict.fromkeys(STATUS_ALIASES.values()))
    position = {status: i for i, status in enumerate(statuses)}
    mapped = np.array([position.get(_lookup_status(u), -2) for u in uniques] + [-1], dtype=np.int8)
    status_codes = mapped[codes]  # codes == -1 (missing) picks the trailing -1
    fix_codes = np.where(status_codes == -2, 0, -1).astype(np.int8)
    status_codes = np.where(status_codes < 0, -1, status_codes).astype(np.int8)
    out = _codes_to_str(status_codes, statuses, s)
    out.name = s.name
    return out, _codes_to_str(fix_codes, [STATUS_UNKNOWN], s)


# --- test accounts ----------------------------------------------------------------------------
_TEST_RE = r"测试|内部|(?:^|[^A-Za-z])[Tt][Ee][Ss][Tt]"


def is_test_account(name: pd.Series, remark: pd.Series | None = None) -> pd.Series:
    """Flag test and internal accounts.

    True where ``name`` or ``remark`` contains ``测试``, ``内部`` or the Latin
    word ``test`` in any case not preceded by another Latin letter:
    ``test``, ``Test01``, ``内部test``, ``TEST-账号``, ``tester`` and
    ``testing`` are test accounts; ``contest`` and ``latest`` are not.
    Full-width letters are folded first.

    Parameters
    ----------
    name : pandas.Series
        Customer names.
    remark : pandas.Series, optional
        Remarks for the same rows, matched to ``name`` by position (normally
        both are columns of one frame); must have the same length.

    Returns
    -------
    pandas.Series
        ``bool``, index of ``name``.

    Examples
    --------
    >>> import pandas as pd
    >>> is_test_account(pd.Series(["Test01", "contest", "张三", None]),
    ...                 pd.Series([None, None, "内部员工", None])).tolist()
    [True, False, True, False]
    """
    name = _check_series(name, "is_test_account")

    def hit(x: pd.Series) -> np.ndarray:
        text, _, _ = _text(x)
        return _halfwidth_str(text).str.contains(_TEST_RE, regex=True, na=False).to_numpy(dtype=bool)

    flags = hit(name)
    if remark is not None:
        remark = _check_series(remark, "is_test_account")
        if len(remark) != len(name):
            raise ValueError(
                f"is_test_account: name has {len(name)} rows but remark has {len(remark)}"
            )
        flags = flags | hit(remark)
    return pd.Series(flags, index=name.index, dtype=bool)


_MONTH = r"^(\d{4})\s*[-/.年]?\s*(\d{1,2})\s*月?(?:\s*[-/.]?\s*\d{1,2}\s*日?)?(?:[\sT].*)?$"


def parse_month(s: pd.Series) -> pd.Series:
    """Calendar months as ``"YYYY-MM"`` text; NA where the cell is empty or not a month.

    Accepts ``2026-01``, ``2026/1``, ``2026.01``, ``2026年1月``, ``202601``, a
    date or datetime in that month (``2026-01-15``, an Excel date cell) and
    full-width digits.

    Examples
    --------
    >>> import pandas as pd
    >>> parse_month(pd.Series(["2026-01", "2026年3月", "202611", "2026/2/15", "13月", None])).tolist()
    ['2026-01', '2026-03', '2026-11', '2026-02', nan, nan]
    """
    text = to_halfwidth(s.map(lambda v: v.strftime("%Y-%m") if hasattr(v, "strftime") else v).astype("str"))
    parts = text.str.extract(_MONTH)
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    ok = year.between(1990, 2100) & month.between(1, 12)
    out = year.astype("Int64").astype("str").str.zfill(4) + "-" + month.astype("Int64").astype("str").str.zfill(2)
    return out.where(ok).astype("str")
