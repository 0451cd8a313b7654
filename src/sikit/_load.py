"""Read contact and order exports as they come out of real tools.

CSV/TSV in UTF-8 (with or without BOM), GB18030/GBK or UTF-16 ("Unicode
text" from Excel), XLSX/XLS and Parquet, with title lines above the header.
Headers are mapped to the canonical names of :mod:`sikit._schema`; values are
left raw (the cleaner parses them) and every row carries its source file and
row number so nothing can be lost without a trace.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from . import _schema as S
from ._errors import SikitInputError

__all__ = ["read_contacts", "read_orders", "read_costs", "read_group_members", "read_group_activity", "read_deletions",
           "canonicalize"]

# Required columns of the tables that have a fixed list (contacts and orders have their own rules).
_REQUIRED = {"costs": S.COST_REQUIRED, "group_members": S.GROUP_MEMBER_REQUIRED,
             "group_activity": S.GROUP_ACTIVITY_REQUIRED, "deletions": S.DELETION_REQUIRED}

# How far down a sheet the header row may sit below title lines.
_HEADER_SEARCH_ROWS = 30
_DELIMITERS = ("\t", ",", ";", "|")
_FULLWIDTH = {c: c - 0xFEE0 for c in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


def _norm_header(value: object) -> str:
    text = "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
    text = text.translate(_FULLWIDTH).replace("\ufeff", "").strip().strip("*").strip()
    return text.lower()


def _alias_lookup(aliases: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[str, int]]:
    """Normalised header -> (canonical column, priority within its aliases)."""
    lookup: dict[str, tuple[str, int]] = {}
    for column, names in aliases.items():
        for rank, name in enumerate(names):
            lookup.setdefault(_norm_header(name), (column, rank))
    return lookup


def _header_score(cells: Iterable[object], lookup: Mapping[str, tuple[str, int]]) -> int:
    return len({lookup[h][0] for h in map(_norm_header, cells) if h in lookup})


def canonicalize(df: pd.DataFrame, aliases: Mapping[str, tuple[str, ...]]) -> pd.DataFrame:
    """Rename known headers to canonical columns and drop the rest.

    When two headers map to the same column (say 下单时间 and 支付时间), the
    one listed first in the aliases wins. The names of dropped columns are
    kept in ``attrs["ignored_columns"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> from sikit._schema import ORDER_ALIASES
    >>> raw = pd.DataFrame({"订单编号": ["E1"], "支付时间": ["2024-01-05"], "备注": ["x"]})
    >>> canonicalize(raw, ORDER_ALIASES).columns.tolist()
    ['order_id', 'order_time']
    """
    lookup = _alias_lookup(aliases)
    chosen: dict[str, tuple[int, object]] = {}
    ignored = []
    for col in df.columns:
        if col in (S.SOURCE_FILE, S.SOURCE_ROW):
            continue
        hit = lookup.get(_norm_header(col))
        if hit is None:
            ignored.append(str(col))
            continue
        canonical, rank = hit
        if canonical not in chosen or rank < chosen[canonical][0]:
            if canonical in chosen:
                ignored.append(str(chosen[canonical][1]))
            chosen[canonical] = (rank, col)
        else:
            ignored.append(str(col))
    order = [c for c in aliases if c in chosen]
    out = df[[chosen[c][1] for c in order]].copy()
    out.columns = order
    for col in (S.SOURCE_FILE, S.SOURCE_ROW):
        if col in df.columns:
            out[col] = df[col].to_numpy()
    out.attrs = {"ignored_columns": ignored}
    return out


def _accepted(aliases: Mapping[str, tuple[str, ...]], column: str) -> str:
    return ", ".join(aliases[column])


def check_columns(df: pd.DataFrame, table: str, where: str = "") -> None:
    """Raise :class:`SikitInputError` naming the first required column that is missing."""
    prefix = f"{where}: " if where else ""
    found = ", ".join(c for c in df.columns if c not in (S.SOURCE_FILE, S.SOURCE_ROW)) or "none"
    if table == "contacts":
        if not any(c in df.columns for c in S.CONTACT_ID_COLUMNS):
            names = "; ".join(f"{c} ({_accepted(S.CONTACT_ALIASES, c)})" for c in S.CONTACT_ID_COLUMNS)
            raise SikitInputError(
                f"{prefix}contacts need at least one id column, expected one of {names}; "
                f"recognised columns: {found}"
            )
        return
    required = _REQUIRED.get(table, S.ORDER_REQUIRED)
    for column in required:
        if column not in df.columns:
            raise SikitInputError(
                f"{prefix}missing required column '{column}' for {table} "
                f"(accepted headers: {_accepted(S.TABLE_ALIASES[table], column)}); recognised columns: {found}"
            )
    if table in _REQUIRED:
        return
    if not any(c in df.columns for c in S.CUSTOMER_KEYS):
        names = "; ".join(f"{c} ({_accepted(S.ORDER_ALIASES, c)})" for c in S.CUSTOMER_KEYS)
        raise SikitInputError(
            f"{prefix}orders need a customer key column, expected one of {names}; recognised columns: {found}"
        )


# --- file formats ---------------------------------------------------------------


def _decode(data: bytes, where: str) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    head = data[:4096]
    if b"\x00" in head:
        # UTF-16 without a BOM puts a NUL beside every ASCII character.
        even, odd = head[0::2].count(0), head[1::2].count(0)
        if odd > len(head) // 4 and even == 0:
            return data.decode("utf-16-le")
        if even > len(head) // 4 and odd == 0:
            return data.decode("utf-16-be")
        raise SikitInputError(f"{where}: looks like a binary file, expected CSV/TSV text, XLSX or Parquet")
    for encoding in ("utf-8", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise SikitInputError(f"{where}: cannot decode the text, expected UTF-8, GB18030/GBK or UTF-16")


def _find_header(rows: list[list[object]], lookup, where: str, table: str) -> int:
    scores = [_header_score(r, lookup) for r in rows[:_HEADER_SEARCH_ROWS]]
    if not scores or max(scores) == 0:
        aliases = S.TABLE_ALIASES[table]
        wanted = {"contacts": S.CONTACT_ID_COLUMNS, "orders": S.ORDER_REQUIRED, **_REQUIRED}[table]
        names = "; ".join(f"{c} ({_accepted(aliases, c)})" for c in wanted)
        raise SikitInputError(
            f"{where}: no header row found in the first {_HEADER_SEARCH_ROWS} rows, expected columns such as {names}"
        )
    return scores.index(max(scores))


def _read_text(path: Path, table: str, lookup) -> tuple[pd.DataFrame, np.ndarray]:
    data = path.read_bytes()
    text = _decode(data, str(path))
    if not text.strip():
        raise SikitInputError(f"{path}: the file is empty, expected a header row and data rows")
    head_lines = text.splitlines()[:_HEADER_SEARCH_ROWS]
    best: tuple[int, int, str] | None = None  # (score, -line, delimiter)
    for i, line in enumerate(head_lines):
        for delim in _DELIMITERS:
            if delim not in line:
                continue
            score = _header_score(next(csv.reader([line], delimiter=delim)), lookup)
            if score and (best is None or (score, -i) > best[:2]):
                best = (score, -i, delim)
    if best is None:
        _find_header([], lookup, str(path), table)
    header_line, delim = -best[1], best[2]
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=delim,
            skiprows=header_line,
            header=0,
            dtype=str,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            engine="c",
        )
    except (pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        raise SikitInputError(f"{path}: malformed {delim!r}-separated text ({first})") from None
    # 1-based physical line of each record: the header is line header_line + 1.
    lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    if len(frame) == lines - header_line - 1:
        return frame, _rows_from(header_line + 2, len(frame))
    # Quoted fields spanning lines: number records by the line they start on.
    return frame, _record_lines(text, delim, header_line)[: len(frame)]


def _record_lines(text: str, delim: str, header_line: int) -> np.ndarray:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    starts, last = [], 0
    for i, _ in enumerate(reader):
        if i > header_line:
            starts.append(last + 1)
        last = reader.line_num
    return np.asarray(starts, dtype=np.int64)


def _rows_from(first: int, n: int) -> np.ndarray:
    return np.arange(first, first + n, dtype=np.int64)


def _read_excel(path: Path, table: str, lookup) -> list[tuple[pd.DataFrame, np.ndarray, str]]:
    """Every sheet whose top rows hold a matching header (big exports are split over sheets)."""
    try:
        sheets = pd.read_excel(path, sheet_name=None, header=None, dtype=object, engine="calamine")
    except Exception as exc:  # calamine raises its own error types
        raise SikitInputError(f"{path}: cannot read the spreadsheet ({type(exc).__name__}: {exc})") from None
    parts = []
    for name, sheet in sheets.items():
        rows = sheet.head(_HEADER_SEARCH_ROWS).to_numpy().tolist()
        if not rows or max(_header_score(r, lookup) for r in rows) == 0:
            continue
        header = _find_header(rows, lookup, str(path), table)
        names = [str(v) if not pd.isna(v) else f"unnamed_{j}" for j, v in enumerate(sheet.iloc[header])]
        frame = sheet.iloc[header + 1 :].reset_index(drop=True)
        frame.columns = names
        # The sheet's row 1 is index 0 here, so data row i sits on Excel row header + 2 + i.
        parts.append((frame, _rows_from(header + 2, len(frame)), str(name)))
    if not parts:
        if not any(len(s) for s in sheets.values()):
            raise SikitInputError(f"{path}: the workbook is empty, expected a header row and data rows")
        _find_header([], lookup, str(path), table)
    if len(parts) == 1:
        return [(parts[0][0], parts[0][1], path.name)]
    return [(frame, first, f"{path.name}#{sheet}") for frame, first, sheet in parts]


def _read_parquet(path: Path) -> tuple[pd.DataFrame, np.ndarray]:
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:
        raise SikitInputError(f"{path}: cannot read the Parquet file ({type(exc).__name__}: {exc})") from None
    return frame.reset_index(drop=True), _rows_from(1, len(frame))


def _read_one(path: str | PathLike, table: str) -> pd.DataFrame:
    aliases = S.TABLE_ALIASES[table]
    lookup = _alias_lookup(aliases)
    path = Path(path)
    if not path.exists():
        raise SikitInputError(f"{path}: file not found")
    if path.is_dir():
        raise SikitInputError(f"{path}: is a folder, expected a CSV, TSV, XLSX or Parquet file")
    with path.open("rb") as fh:
        magic = fh.read(8)
    if not magic:
        raise SikitInputError(f"{path}: the file is empty, expected a header row and data rows")
    if magic.startswith(b"PAR1"):
        parts = [(*_read_parquet(path), path.name)]
    elif magic.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")):
        parts = _read_excel(path, table, lookup)
    else:
        parts = [(*_read_text(path, table, lookup), path.name)]
    frames = []
    for frame, rows, label in parts:
        out = canonicalize(frame, aliases)
        check_columns(out, table, str(path.with_name(label)))
        if S.SOURCE_ROW not in out.columns:  # sikit's own output keeps its original provenance
            out[S.SOURCE_FILE] = label
            out[S.SOURCE_ROW] = rows
        frames.append(out)
    return _concat(frames)


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    if len(frames) == 1:
        return frames[0]
    ignored = sorted({c for f in frames for c in f.attrs.get("ignored_columns", [])})
    out = pd.concat(frames, ignore_index=True)
    out.attrs = {"ignored_columns": ignored}
    return out


def _read_many(paths, table: str) -> pd.DataFrame:
    if isinstance(paths, (str, PathLike)):
        return _read_one(paths, table)
    frames = [_read_one(p, table) for p in paths]
    if not frames:
        raise SikitInputError(f"no {table} file given")
    return _concat(frames)


def read_contacts(path) -> pd.DataFrame:
    """Read a contact export (WeCom/SCRM console, membership system).

    Parameters
    ----------
    path : str, Path or list of them
        CSV, TSV, XLSX/XLS or Parquet. Encoding, delimiter and title lines
        above the header are detected.

    Returns
    -------
    DataFrame
        Canonical columns (``customer_id``, ``unionid``, ``name``, ``phone``,
        ...) with raw values, plus ``source_file`` and ``source_row``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "contacts.csv"
    >>> _ = f.write_bytes("客户列表\\n外部联系人ID,客户昵称,手机号\\nwm1,小王,13800138000\\n".encode("gb18030"))
    >>> read_contacts(f)[["customer_id", "name", "source_row"]]
      customer_id name  source_row
    0         wm1   小王           3
    """
    return _read_many(paths=path, table="contacts")


def read_orders(path) -> pd.DataFrame:
    """Read an order export (Youzan, Weimob, a mini-program back office, Tmall).

    Parameters
    ----------
    path : str, Path or list of them
        CSV, TSV, XLSX/XLS or Parquet; several files (export pages) are
        concatenated, each keeping its own row numbers.

    Returns
    -------
    DataFrame
        Canonical columns (``order_id``, ``order_time``, ``amount``, a
        customer key, ...) with raw values, plus ``source_file`` and
        ``source_row``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "orders.csv"
    >>> _ = f.write_text("订单号,客户ID,下单时间,实付金额\\nE1,wm1,2024-01-05 15:04,¥99.00\\n", encoding="utf-8-sig")
    >>> read_orders(f).columns.tolist()
    ['order_id', 'customer_id', 'order_time', 'amount', 'source_file', 'source_row']
    """
    return _read_many(paths=path, table="orders")


def read_costs(path) -> pd.DataFrame:
    """Read a channel cost sheet: one row per channel and month (渠道, 月份, 投放费用).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "costs.csv"
    >>> _ = f.write_text("月份,渠道,投放费用\\n2026-01,抖音直播,12000\\n", encoding="utf-8-sig")
    >>> read_costs(f).columns.tolist()
    ['channel', 'month', 'spend', 'source_file', 'source_row']
    """
    return _read_many(paths=path, table="costs")


def read_group_members(path) -> pd.DataFrame:
    """Read a WeCom customer group member list: one row per group and member
    (群名称, 外部联系人ID, 入群时间, 退群时间; 退群时间 empty while still in the group).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "members.csv"
    >>> _ = f.write_text("群名称,外部联系人ID,入群时间,退群时间\\n线上福利1群,wmA,2026-01-05 10:00,\\n", encoding="utf-8-sig")
    >>> read_group_members(f).columns.tolist()
    ['group_name', 'customer_id', 'joined_at', 'left_at', 'source_file', 'source_row']
    """
    return _read_many(paths=path, table="group_members")


def read_group_activity(path) -> pd.DataFrame:
    """Read a WeCom group activity export: one row per day, group and member who
    spoke (日期, 群名称, 外部联系人ID, 发言数); a day without a row means no message.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "activity.csv"
    >>> _ = f.write_text("日期,群名称,外部联系人ID,发言数\\n2026-01-05,线上福利1群,wmA,3\\n", encoding="utf-8-sig")
    >>> read_group_activity(f).columns.tolist()
    ['group_name', 'customer_id', 'date', 'messages', 'source_file', 'source_row']
    """
    return _read_many(paths=path, table="group_activity")


def read_deletions(path) -> pd.DataFrame:
    """Read a WeCom deletion log (流失客户 / 删除记录): one row per deleted contact
    (外部联系人ID, 删除时间, 删除方 客户删除员工/员工删除客户, 跟进员工).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "deletions.csv"
    >>> _ = f.write_text("外部联系人ID,删除时间,删除方\\nwmA,2026-01-05 10:00,客户删除员工\\n", encoding="utf-8-sig")
    >>> read_deletions(f).columns.tolist()
    ['customer_id', 'deleted_at', 'deleted_by', 'source_file', 'source_row']
    """
    return _read_many(paths=path, table="deletions")


def read_clean(folder, *, read_orders: bool = True) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The clean ``orders.parquet`` (and ``contacts.parquet`` if present) that ``sikit clean`` wrote.

    With ``read_orders=False`` only checks that the orders file is there and returns None for it.
    """
    folder = Path(folder)
    orders = folder / "orders.parquet"
    if not orders.is_file():
        raise SikitInputError(
            f"{orders} not found: --data must be a folder written by `sikit clean` "
            f"(orders.parquet, and contacts.parquet when contacts were cleaned)"
        )
    if not read_orders:
        return None, None
    contacts = folder / "contacts.parquet"
    return pd.read_parquet(orders), (pd.read_parquet(contacts) if contacts.is_file() else None)


#: Optional clean tables of a ``sikit clean`` folder, by the name the metrics take them under.
CLEAN_EXTRAS = {"costs": "channel_costs", "members": "group_members", "activity": "group_activity",
                "deletions": "deletions"}


def _optional_parquet(folder, stem: str) -> pd.DataFrame | None:
    path = Path(folder) / f"{stem}.parquet"
    return pd.read_parquet(path) if path.is_file() else None


def read_clean_extras(folder) -> dict[str, pd.DataFrame | None]:
    """The optional clean tables ``sikit clean`` wrote (costs, group members and activity,
    deletions), keyed as the metrics take them; None where a table was not cleaned."""
    return {key: _optional_parquet(folder, stem) for key, stem in CLEAN_EXTRAS.items()}


def read_clean_groups(folder) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """The clean ``group_members.parquet`` and ``group_activity.parquet`` that
    ``sikit clean --group-members/--group-activity`` wrote, each or None."""
    return _optional_parquet(folder, "group_members"), _optional_parquet(folder, "group_activity")


def read_clean_deletions(folder) -> pd.DataFrame | None:
    """The clean ``deletions.parquet`` that ``sikit clean --deletions`` wrote, or None."""
    return _optional_parquet(folder, "deletions")
