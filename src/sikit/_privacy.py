"""Privacy and export safety: masked phones and names, pseudonymous ids, formula-safe cells.

Clean tables keep full phones because matching needs them; everything a person
sees (reports, notebook output, exports, later the dashboard) goes through
these helpers first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import unicodedata
from pathlib import Path

import pandas as pd

from . import _schema as S
from ._csv import FORMULA_START as _FORMULA_START
from ._csv import _csv_blocks
from ._values import is_mobile

__all__ = ["csv_bytes", "display_id", "mask_name", "mask_phone", "mask_phones_in_text", "mask_pii", "pseudonymous_id",
           "neutralize_formulas", "write_csv"]

# A mobile number (schema.MOBILE_PATTERN, split into groups to keep the ends)
# standing alone in text, not part of a longer digit run.
_MOBILE_IN_TEXT = r"(?<!\d)(1[3-9]\d)\d{4}(\d{4})(?!\d)"

# Environment variable holding the brand's secret key for pseudonymous ids.
ID_KEY_ENV = "SIKIT_ID_KEY"
_DEFAULT_KEY = "sikit-default-key"


def mask_phone(phones: pd.Series) -> pd.Series:
    """Mask 11-digit mobiles as ``138****8000``; anything else passes through.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_phone(pd.Series(["13800138000", None])).tolist()
    ['138****8000', nan]
    """
    s = phones.astype("str")
    # Clean phones are exactly 11 digits: slicing is far faster than a regex.
    exact = is_mobile(s)
    out = mask_phones_in_text(s.where(~exact))
    return out.mask(exact, s.str.slice(0, 3) + "****" + s.str.slice(7))


def mask_phones_in_text(text: pd.Series) -> pd.Series:
    """Mask every mobile number that appears inside free text.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_phones_in_text(pd.Series(["call 13800138000 now", "order 2024013800138000"])).tolist()
    ['call 138****8000 now', 'order 2024013800138000']
    """
    s = text.astype("str")
    return s.str.replace(_MOBILE_IN_TEXT, r"\1****\2", regex=True)


_ZWJ = "\u200d"
# At most this many stars, whatever the length of the name: the mask does not tell it.
_MAX_STARS = 3


def _joins_previous(ch: str) -> bool:
    """A code point that belongs to the character before it.

    Combining marks and variation selectors (U+FE0F), emoji skin tones
    (U+1F3FB..U+1F3FF) and the tags of subdivision flags (U+E0020..U+E007F).
    """
    return (unicodedata.category(ch).startswith("M") or "\U0001f3fb" <= ch <= "\U0001f3ff"
            or "\U000e0020" <= ch <= "\U000e007f")


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"


def _characters(text: str) -> list[str]:
    """Text split into the characters a reader sees (a close approximation of Unicode grapheme clusters).

    A character is a code point with what joins it: combining marks,
    variation selectors, skin tones, tags, and any code point after a
    zero-width joiner (U+200D), so "👩‍👧" is one character; two regional
    indicators make one flag.

    Examples
    --------
    >>> _characters("👩\u200d👧乐")
    ['👩\u200d👧', '乐']
    >>> len(_characters("🇨🇳❤️"))
    2
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        j = i + 1
        if _regional(text[i]) and j < len(text) and _regional(text[j]):
            j += 1
        while j < len(text):
            if text[j] == _ZWJ:
                j += 2          # the joiner and what it joins
            elif _joins_previous(text[j]):
                j += 1
            else:
                break
        out.append(text[i:j])
        i = j
    return out


def _mask_one_name(name: str) -> str:
    chars = _characters(name.strip())
    if len(chars) <= 1:
        return "*" * len(chars)        # one character: all of it; empty stays empty
    return chars[0] + "*" * min(len(chars) - 1, _MAX_STARS)


def mask_name(names: pd.Series) -> pd.Series:
    """Mask personal names and nicknames for display: the first character, then ``*``.

    Surrounding white space is stripped first. Every character after the
    first becomes one ``*``, but never more than three, so a long nickname
    does not tell its length; a one-character name becomes ``*``. A
    character is what a reader sees: an emoji made of several code points
    (a ZWJ sequence such as 👩‍👧, a flag, an emoji with a variation selector
    or skin tone) is one. Missing names stay missing, an empty name empty.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_name(pd.Series(["张三", "欧阳娜娜", " 🌻乐乐妈妈 ", "Alice Wang", "李", "", None])).tolist()
    ['张*', '欧***', '🌻***', 'A***', '*', '', nan]
    """
    masked = {v: _mask_one_name(str(v)) for v in pd.unique(names.dropna())}
    return names.map(masked, na_action="ignore").astype(names.dtype)


def _key(key: str | None) -> bytes:
    return (key or os.environ.get(ID_KEY_ENV) or _DEFAULT_KEY).encode("utf-8")


def pseudonymous_id(values: pd.Series, kind: str, key: str | None = None) -> pd.Series:
    """A stable keyed hash (HMAC-SHA256) of a phone or unionid, as a customer id.

    Set the environment variable ``SIKIT_ID_KEY`` (or pass ``key``) to a
    secret of your brand: without it anyone can rebuild the hash of a phone.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = pseudonymous_id(pd.Series(["13800138000"]), "phone", key="k")
    >>> ids.iloc[0].startswith("c_"), len(ids.iloc[0])
    (True, 18)
    """
    secret = _key(key)
    prefix = f"{kind}:".encode()
    uniques = pd.unique(values.dropna())
    digests = {
        v: "c_" + hmac.new(secret, prefix + str(v).encode("utf-8"), hashlib.sha256).hexdigest()[:16]
        for v in uniques
    }
    return values.map(digests).astype("str")


# Hex digits spelled as consonants: an id shown to a person then never holds a digit run
# that reads (or is masked) like a phone number, and no vowels spell words.
_LETTERS = str.maketrans("0123456789abcdef", "bcdfghjkmnpqrstv")


def display_id(values: pd.Series, key: str | None = None) -> pd.Series:
    """The pseudonymous id a person sees for a customer id: ``c_`` and 16 letters, no digits.

    A keyed hash (HMAC-SHA256, the ``SIKIT_ID_KEY`` secret) of the customer
    id, like :func:`pseudonymous_id`, spelled without digits: hexadecimal
    hashes often hold 11 digits in a row, which read like a mobile number.
    NA stays NA.

    Examples
    --------
    >>> import pandas as pd
    >>> ids = display_id(pd.Series(["wmABC", "wmABC", None]), key="k")
    >>> ids.iloc[0] == ids.iloc[1], len(ids.iloc[0]), ids.iloc[0][2:].isalpha(), bool(ids.isna().iloc[2])
    (True, 18, True, True)
    """
    hashed = pseudonymous_id(values, "display", key=key)
    return ("c_" + hashed.str.slice(2).str.translate(_LETTERS)).where(values.notna())


def neutralize_formulas(df: pd.DataFrame) -> pd.DataFrame:
    """Prefix text cells starting with ``= + - @`` with ``'`` so Excel shows, not runs, them.

    Numeric columns are left alone (a negative number is not a formula).

    Examples
    --------
    >>> import pandas as pd
    >>> neutralize_formulas(pd.DataFrame({"t": ["=HYPERLINK(1)", "ok"], "n": [-1.0, 2.0]}))["t"].tolist()
    ["'=HYPERLINK(1)", 'ok']
    """
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_string_dtype(s) or s.dtype == object:
            text = s.astype("str")
            risky = text.str.startswith(_FORMULA_START).fillna(False)
            if risky.any():
                out[col] = text.where(~risky, "'" + text)
    return out


def _reference_csv_bytes(df: pd.DataFrame) -> bytes:
    """What pandas writes: the definition of the bytes of :func:`csv_bytes` (and the fallback)."""
    return neutralize_formulas(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The bytes of a CSV that Excel on a Chinese Windows opens correctly: UTF-8 with BOM, CRLF, formula-safe.

    The bytes are exactly those of
    ``neutralize_formulas(df).to_csv(index=False, lineterminator="\\r\\n").encode("utf-8-sig")``,
    made much faster (with pyarrow) when every column is text, integer, boolean or float64.

    Examples
    --------
    >>> import pandas as pd
    >>> csv_bytes(pd.DataFrame({"标签": ["=1+1"]}))
    b"\\xef\\xbb\\xbf\\xe6\\xa0\\x87\\xe7\\xad\\xbe\\r\\n'=1+1\\r\\n"
    """
    blocks = _csv_blocks(df)
    if blocks is None:
        return _reference_csv_bytes(df)
    return b"".join(blocks)


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write :func:`csv_bytes` of ``df`` to ``path``, a block of rows at a time."""
    path = Path(path)
    blocks = _csv_blocks(df)
    if blocks is None:
        path.write_bytes(_reference_csv_bytes(df))
        return path
    with path.open("wb") as f:
        for block in blocks:
            f.write(block)
    return path


def mask_pii(df: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to show a person: the phone column, mobiles inside any text and the name column masked.

    The ``name`` column (the customer's name or nickname, as the clean
    contacts have it) goes through :func:`mask_name`; every other text column
    through :func:`mask_phones_in_text`, which masks the phone column too.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_pii(pd.DataFrame({"name": ["张三丰"], "phone": ["13800138000"],
    ...                        "remark": ["call 13900139000"]})).iloc[0].tolist()
    ['张**', '138****8000', 'call 139****9000']
    """
    out = df.copy()
    for col in out.columns:
        if col == S.NAME:
            out[col] = mask_name(out[col])
        elif pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = mask_phones_in_text(out[col])
    return out
