"""Privacy and export safety: masked phones, pseudonymous ids, formula-safe cells.

Clean tables keep full phones because matching needs them; everything a person
sees (reports, notebook output, exports, later the dashboard) goes through
these helpers first.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pandas as pd

from ._values import is_mobile

__all__ = ["mask_phone", "mask_phones_in_text", "mask_pii", "pseudonymous_id", "neutralize_formulas", "write_csv"]

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


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


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


def write_csv(df: pd.DataFrame, path: str | Path) -> Path:
    """Write a CSV that Excel on a Chinese Windows opens correctly: UTF-8 with BOM, formula-safe."""
    path = Path(path)
    neutralize_formulas(df).to_csv(path, index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def mask_pii(df: pd.DataFrame) -> pd.DataFrame:
    """A copy safe to show a person: the phone column and mobiles inside any text masked.

    Examples
    --------
    >>> import pandas as pd
    >>> mask_pii(pd.DataFrame({"phone": ["13800138000"], "remark": ["call 13900139000"]})).iloc[0].tolist()
    ['138****8000', 'call 139****9000']
    """
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_string_dtype(out[col]) or out[col].dtype == object:
            out[col] = mask_phones_in_text(out[col])
    return out
