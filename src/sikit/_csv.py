"""The fast CSV writer behind ``sikit._privacy.write_csv``: pandas' exact bytes, built with pyarrow.

pandas' to_csv formats every cell as a Python string and hands rows to the csv module.
Here each column of a block of rows becomes one pyarrow string array holding exactly the
text pandas would write for its cells (formula prefix, quotes, floats as repr), the
columns are joined with "," and CRLF, and the joined array's data buffer is the block's
bytes. Columns of any other dtype (datetimes, categoricals, mixed objects, ...) send the
whole frame to pandas: the output is the same bytes either way.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pandas as pd

#: First characters of a text cell that Excel would run as a formula (see neutralize_formulas).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

# Cells per block of rows: bounded memory whatever the number of rows.
_BLOCK_CELLS = 1 << 19
# Threads formatting columns (None: one per core).
_WORKERS = None
# A float written from its decimal digits has at most this many places after the point.
_MAX_PLACES = 6
# ... and fewer than 14 significant digits: then it is the only decimal that short which
# reads back as the float, so it is the shortest repr (what numpy's astype(str) writes).
_MAX_DIGITS = 1e14
_POW10 = 10 ** np.arange(_MAX_PLACES + 1, dtype=np.int64)
# First bytes of a text cell that neutralize_formulas prefixes with "'".
_FORMULA_BYTE = np.zeros(256, dtype=bool)
_FORMULA_BYTE[[ord(c) for c in FORMULA_START]] = True


def _csv_blocks(df: pd.DataFrame):
    """The CSV bytes of ``df`` as an iterator of buffers, or None when pandas has to write them."""
    n_rows, n_cols = df.shape
    if n_rows == 0 or n_cols == 0 or isinstance(df.columns, pd.MultiIndex) or not df.columns.is_unique:
        return None
    try:
        import pyarrow as pa  # noqa: F401
    except ImportError:  # pragma: no cover - pyarrow is a dependency
        return None
    makers = []
    for j in range(n_cols):
        maker = _column_maker(df.iloc[:, j])
        if maker is None:
            return None
        makers.append(maker)
    header = df.iloc[:0].to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")
    return _blocks(header, makers, n_rows)


def _blocks(header: bytes, makers: list, n_rows: int):
    import pyarrow.compute as pc

    yield header
    step = max(1, _BLOCK_CELLS // len(makers))
    bounds = [(start, min(start + step, n_rows)) for start in range(0, n_rows, step)]
    # The kernels release the GIL: columns are formatted on the cores there are, the next
    # block's while this one is joined and written.
    workers = min(len(makers), _WORKERS or os.cpu_count() or 1)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        def submit(start, stop):
            return [pool.submit(make, start, stop) for make in makers]

        pending = submit(*bounds[0])
        for i in range(len(bounds)):
            cells = [future.result() for future in pending]
            if i + 1 < len(bounds):
                pending = submit(*bounds[i + 1])
            last = pc.fill_null(cells[-1], _s(""))
            if len(cells) == 1:
                # the csv module quotes a row made of one empty field
                last = pc.if_else(pc.equal(last, _s("")), _s('""'), last)
            # the line end goes on the last cell: cheaper than on the whole row
            cells[-1] = pc.binary_join_element_wise(last, _s(""), _s("\r\n"))
            rows = pc.binary_join_element_wise(*cells, _s(","), null_handling="replace", null_replacement="")
            del cells
            yield _data(rows)


def _s(text: str):
    """A pyarrow large_string scalar: the kernels do not mix string and large_string."""
    import pyarrow as pa

    return pa.scalar(text, pa.large_string())


def _data(strings):
    """The bytes of a large_string array without nulls, its strings one after another."""

    _, offsets, data = strings.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[strings.offset:strings.offset + len(strings) + 1]
    return memoryview(data)[int(ends[0]):int(ends[-1])]


def _column_maker(s: pd.Series):
    """A function of (start, stop) giving the written cells of those rows as pyarrow strings
    (null for an empty cell), or None for a dtype left to pandas."""
    import pyarrow as pa

    dtype = s.dtype
    if isinstance(dtype, pd.StringDtype) or dtype == object:
        if dtype == object and pd.api.types.infer_dtype(s, skipna=True) not in ("string", "empty"):
            return None
        try:
            text = pa.array(s.array) if isinstance(dtype, pd.StringDtype) else \
                pa.array(s.to_numpy(), type=pa.large_string(), from_pandas=True)
            if isinstance(text, pa.ChunkedArray):
                text = text.combine_chunks()
            text = text.cast(pa.large_string())
        except (pa.ArrowException, TypeError, ValueError):
            return None
        return lambda start, stop: _text_cells(text.slice(start, stop - start))
    if isinstance(dtype, np.dtype):
        values = s.to_numpy()
        if dtype.kind == "b":
            return lambda start, stop: _bool_cells(pa.array(values[start:stop]))
        if dtype.kind in "iu":
            return lambda start, stop: pa.array(values[start:stop]).cast(pa.large_string())
        if dtype == np.float64:
            return lambda start, stop: _float_cells(values[start:stop], None)
        return None
    if isinstance(dtype, (pd.Int8Dtype, pd.Int16Dtype, pd.Int32Dtype, pd.Int64Dtype,
                          pd.UInt8Dtype, pd.UInt16Dtype, pd.UInt32Dtype, pd.UInt64Dtype)):
        array = s.array
        return lambda start, stop: pa.array(array[start:stop]).cast(pa.large_string())
    if isinstance(dtype, pd.BooleanDtype):
        array = s.array
        return lambda start, stop: _bool_cells(pa.array(array[start:stop]))
    if isinstance(dtype, pd.Float64Dtype):
        missing = s.isna().to_numpy()
        values = s.to_numpy(dtype="float64", na_value=np.nan)
        if np.isnan(values).sum() != missing.sum():
            return None         # a NaN that is not NA: pandas writes "nan"
        return lambda start, stop: _float_cells(values[start:stop], missing[start:stop])
    return None


def _text_cells(text):
    """Text as pandas writes it after :func:`neutralize_formulas`: formulas prefixed, quoted if needed.

    Both tests look at the UTF-8 bytes: the characters concerned are ASCII, whose bytes
    never occur inside the encoding of another character.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(text)
    _, offsets, data = text.buffers()
    ends = np.frombuffer(offsets, dtype=np.int64)[text.offset:text.offset + n + 1]
    if data is None or ends[-1] == ends[0]:
        return text
    raw = np.frombuffer(data, dtype=np.uint8)[ends[0]:ends[-1]]
    ends = ends - ends[0]
    starts, ends = ends[:-1], ends[1:]
    filled = ends > starts
    if text.null_count:
        filled &= text.is_valid().to_numpy(zero_copy_only=False)
    risky = filled & _FORMULA_BYTE[raw[np.minimum(starts, len(raw) - 1)]]
    special = np.flatnonzero((raw == 44) | (raw == 34) | (raw == 13) | (raw == 10))     # , " \r \n
    quote = np.zeros(n, dtype=bool)
    quote[np.searchsorted(ends, special, side="right")] = True
    quote &= filled
    change = risky | quote
    if not change.any():
        return text
    rows = np.flatnonzero(change)
    sub = text.take(pa.array(rows))
    risky, quote = risky[rows], quote[rows]
    if risky.any():
        sub = pc.if_else(pa.array(risky), pc.binary_join_element_wise(_s("'"), sub, _s("")), sub)
    if quote.any():
        quoted = pc.binary_join_element_wise(_s('"'), pc.replace_substring(sub, '"', '""'), _s('"'), _s(""))
        sub = pc.if_else(pa.array(quote), quoted, sub)
    return pc.replace_with_mask(text, pa.array(change), sub)


def _bool_cells(flags):
    import pyarrow.compute as pc

    return pc.if_else(flags, _s("True"), _s("False"))


def _float_cells(x, missing):
    """Floats as ``numpy.ndarray.astype(str)`` writes them (Python's repr), missing ones null.

    A float equal to ``k / 10**d`` (``d`` at most _MAX_PLACES, ``|k|`` below _MAX_DIGITS,
    ``|x|`` at least 1e-4 so repr does not switch to an exponent) is written from the digits
    of ``k``; any other (more digits, tiny, huge, inf) goes through numpy.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    n = len(x)
    if missing is None:
        missing = np.isnan(x)
    places = np.full(n, _MAX_PLACES, dtype=np.int64)
    with np.errstate(invalid="ignore", over="ignore"):
        ax = np.abs(x)
        wanted = np.isfinite(x) & ((ax >= 1e-4) | (x == 0)) & ~missing
        # If k / 10**d reads back as x, so does 10k / 10**(d+1): try the most places first,
        # fewer only where the digits would be too many (trailing zeros are cut anyway).
        scale = 10.0 ** _MAX_PLACES
        k = np.rint(x * scale)
        ok = wanted & (np.abs(k) < _MAX_DIGITS) & (k / scale == x)
        retry = np.flatnonzero(wanted & ~ok & (ax * scale >= _MAX_DIGITS))
        for d in range(_MAX_PLACES - 1, -1, -1):
            if not retry.size:
                break
            xs = x[retry]
            scale = 10.0 ** d
            kk = np.rint(xs * scale)
            hit = (np.abs(kk) < _MAX_DIGITS) & (kk / scale == xs)
            k[retry[hit]] = kk[hit]
            ok[retry[hit]] = True
            places[retry[hit]] = d
            retry = retry[~hit]
        k = np.abs(np.where(ok, k, 0)).astype(np.int64)
    if (places == _MAX_PLACES).all():
        unit = 10 ** _MAX_PLACES
        whole, frac = np.divmod(k, unit)
        frac += unit
    else:
        unit = _POW10[places]
        whole, frac = np.divmod(k, unit)
        frac = frac * _POW10[_MAX_PLACES - places] + _POW10[_MAX_PLACES]
    # the fraction padded to _MAX_PLACES digits behind a leading 1, which is then cut off
    frac = pc.utf8_rtrim(pc.utf8_slice_codeunits(pa.array(frac).cast(pa.large_string()), 1), "0")
    frac = pc.if_else(pc.equal(frac, _s("")), _s("0"), frac)
    whole = pa.array(whole, mask=missing).cast(pa.large_string())
    cells = pc.binary_join_element_wise(whole, frac, _s("."))
    negative = np.signbit(x) & ok
    if negative.any():
        cells = pc.if_else(pa.array(negative), pc.binary_join_element_wise(_s("-"), cells, _s("")), cells)
    other = ~ok & ~missing
    if other.any():
        cells = pc.replace_with_mask(cells, pa.array(other), pa.array(x[other].astype(str), pa.large_string()))
    return cells
