"""Text columns built fast: a few words repeated over millions of customers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

__all__ = ["spelled"]


def spelled(words, codes: np.ndarray, index: pd.Index | None = None) -> pd.Series:
    """``words[codes]`` as a string Series (code -1: missing), built in Arrow.

    A few words repeated over millions of customers: taking them from an
    Arrow array is many times faster than a million Python strings or a
    categorical's ``astype("str")``.

    Examples
    --------
    >>> import numpy as np
    >>> spelled(["高", "低"], np.array([1, 0, -1])).tolist()
    ['低', '高', nan]
    """
    codes = np.asarray(codes)
    taken = pa.array(list(words), type=pa.string()).take(pa.array(codes, mask=codes < 0))
    return pd.Series(pd.array(taken, dtype="str"), index=index)
