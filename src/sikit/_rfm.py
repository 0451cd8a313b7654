"""RFM classes, value concentration and layer migration.

Three views of the customer base built on :func:`sikit._features.rfm`:

* :func:`rfm_classes` puts every buyer in one of the classic eight RFM
  classes (重要价值客户 ... 一般挽留客户) by comparing recency, frequency and
  monetary with one split point each (:func:`rfm_split_points`);
  :func:`rfm_class_table` counts them.
* :func:`value_concentration` measures how concentrated spend is: the share
  of spend from the top customers, the Gini coefficient and the Pareto curve.
* :func:`migration` cross-tabulates customers' layers at two dates;
  :func:`migration_flows` and :func:`migration_summary` say who moved up,
  down, arrived or left.

Nothing here plots; charts of these tables live in ``sikit._plot``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from . import _schema as S
from ._errors import SikitInputError, require_columns
from ._text import spelled

__all__ = [
    "RFM_CLASSES",
    "Concentration",
    "migration",
    "migration_flows",
    "migration_summary",
    "rfm_class_table",
    "rfm_classes",
    "rfm_split_points",
    "value_concentration",
]

# --- RFM classes -----------------------------------------------------------------------
R_HIGH, F_HIGH, M_HIGH, RFM_CODE = "r_high", "f_high", "m_high", "rfm_code"
SPLITS = ("mean", "median")
_RFM_COLUMNS = (S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY)

#: The eight RFM classes, keyed by ``(r_high, f_high, m_high)``, as
#: ``(zh, en)`` names, in canonical order: high spend (重要) before low spend
#: (一般), then value, develop, retain, win back.
RFM_CLASSES: dict[tuple[bool, bool, bool], tuple[str, str]] = {
    (True, True, True): ("重要价值客户", "key value customers"),
    (True, False, True): ("重要发展客户", "key customers to develop"),
    (False, True, True): ("重要保持客户", "key customers to retain"),
    (False, False, True): ("重要挽留客户", "key customers to win back"),
    (True, True, False): ("一般价值客户", "general value customers"),
    (True, False, False): ("一般发展客户", "general customers to develop"),
    (False, True, False): ("一般保持客户", "general customers to retain"),
    (False, False, False): ("一般挽留客户", "general customers to win back"),
}


def _code(key: tuple[bool, bool, bool]) -> str:
    return "".join(f"{letter}{'↑' if high else '↓'}" for letter, high in zip("RFM", key))


def _buyers(features: pd.DataFrame) -> np.ndarray:
    """Boolean mask of buyers (frequency > 0), after checking the three columns agree."""
    freq = features[S.FREQUENCY]
    if freq.isna().any():
        raise SikitInputError(f"frequency is missing for {int(freq.isna().sum())} customer(s); use 0 for non-buyers")
    buyers = (freq > 0).to_numpy(dtype=bool)
    # A buyer always has a last purchase and a spend; a gap means the table was
    # not made by sikit.features.rfm and classing it would guess.
    for col in (S.RECENCY_DAYS, S.MONETARY):
        gap = buyers & features[col].isna().to_numpy(dtype=bool)
        if gap.any():
            raise SikitInputError(f"{col} is missing for {int(gap.sum())} customer(s) with frequency > 0")
    return buyers


def rfm_split_points(features: pd.DataFrame, split="mean") -> dict[str, float]:
    """The split points :func:`rfm_classes` compares recency, frequency and monetary with.

    Parameters
    ----------
    features : DataFrame
        Customer features with ``recency_days``, ``frequency`` and
        ``monetary``, as made by :func:`sikit._features.rfm`.
    split : {"mean", "median"} or dict, default "mean"
        ``"mean"`` or ``"median"`` of each column over **buyers only**
        (``frequency > 0``): contacts who never bought would drag the points
        towards zero. Or fixed thresholds as a dict with exactly the keys
        ``recency_days``, ``frequency`` and ``monetary``.

    Returns
    -------
    dict
        ``{"recency_days": ..., "frequency": ..., "monetary": ...}`` as floats.

    Raises
    ------
    SikitInputError
        A column is missing, a threshold key is missing or unknown, a
        threshold is not a finite number, ``split`` is not understood, or
        there are no buyers to average over.

    Examples
    --------
    >>> import pandas as pd
    >>> features = pd.DataFrame({
    ...     "recency_days": pd.array([5, 200, 35, None], dtype="Int64"),
    ...     "frequency": [6, 5, 1, 0],
    ...     "monetary": [3000.0, 2400.0, 120.0, 0.0],
    ... }, index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> rfm_split_points(features)  # d never bought: not in the means
    {'recency_days': 80.0, 'frequency': 4.0, 'monetary': 1840.0}
    >>> rfm_split_points(features, "median")
    {'recency_days': 35.0, 'frequency': 5.0, 'monetary': 2400.0}
    >>> rfm_split_points(features, {"recency_days": 90, "frequency": 1})
    Traceback (most recent call last):
    ...
    sikit._errors.SikitInputError: split thresholds lack monetary; give recency_days, frequency and monetary
    """
    require_columns(features, _RFM_COLUMNS, "RFM features")
    if isinstance(split, Mapping):
        missing = [c for c in _RFM_COLUMNS if c not in split]
        if missing:
            raise SikitInputError(
                f"split thresholds lack {', '.join(missing)}; give recency_days, frequency and monetary"
            )
        unknown = [str(k) for k in split if k not in _RFM_COLUMNS]
        if unknown:
            raise SikitInputError(
                f"unknown split threshold(s) {', '.join(unknown)}; give recency_days, frequency and monetary"
            )
        points = {}
        for c in _RFM_COLUMNS:
            value = split[c]
            if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                    or not math.isfinite(value):
                raise SikitInputError(f"split threshold {c} must be a finite number, got {value!r}")
            points[c] = float(value)
        return points
    if not isinstance(split, str) or split not in SPLITS:
        raise SikitInputError(f"split must be 'mean', 'median' or a dict of thresholds, got {split!r}")
    buyers = _buyers(features)
    if not buyers.any():
        raise SikitInputError(f"cannot take the {split} split points: no customer has bought (frequency > 0)")
    sub = features.loc[buyers, list(_RFM_COLUMNS)]
    return {c: float(getattr(sub[c].astype("float64"), split)()) for c in _RFM_COLUMNS}


def rfm_classes(features: pd.DataFrame, split="mean") -> pd.DataFrame:
    """The classic eight-class RFM segmentation (重要价值客户 ... 一般挽留客户).

    One rule, with the split points of :func:`rfm_split_points`:

    * R high (recent) when ``recency_days < split point``: few days since the
      last purchase is good;
    * F high when ``frequency > split point``;
    * M high when ``monetary > split point``.

    A value equal to its split point is low. The eight combinations are the
    classes of :data:`RFM_CLASSES`.

    Parameters
    ----------
    features : DataFrame
        Customer features with ``recency_days``, ``frequency`` and
        ``monetary`` (:func:`sikit._features.rfm`). Not modified.
    split : {"mean", "median"} or dict, default "mean"
        How the split points are chosen; see :func:`rfm_split_points`.

    Returns
    -------
    DataFrame
        Same index as ``features``, with ``r_high``, ``f_high``, ``m_high``
        (nullable boolean), ``rfm_code`` (such as ``"R↑F↓M↑"``),
        ``rfm_class_zh`` and ``rfm_class_en``. Non-buyers (``frequency``
        0) are not classified: all six columns are missing for them.

    Examples
    --------
    >>> import pandas as pd
    >>> features = pd.DataFrame({
    ...     "recency_days": pd.array([5, 200, 35, None], dtype="Int64"),
    ...     "frequency": [6, 5, 1, 0],
    ...     "monetary": [3000.0, 2400.0, 120.0, 0.0],
    ... }, index=pd.Index(["a", "b", "c", "d"], name="customer_id"))
    >>> classes = rfm_classes(features)  # split points 80 days, 4 purchases, 1840
    >>> classes[["r_high", "f_high", "m_high", "rfm_code"]]
                 r_high  f_high  m_high rfm_code
    customer_id
    a              True    True    True   R↑F↑M↑
    b             False    True    True   R↓F↑M↑
    c              True   False   False   R↑F↓M↓
    d              <NA>    <NA>    <NA>      NaN
    >>> classes["rfm_class_zh"].tolist()
    ['重要价值客户', '重要保持客户', '一般发展客户', nan]
    >>> classes["rfm_class_en"].tolist()
    ['key value customers', 'key customers to retain', 'general customers to develop', nan]
    """
    points = rfm_split_points(features, split)
    buyers = _buyers(features)
    r = features[S.RECENCY_DAYS].to_numpy(dtype="float64", na_value=np.nan) < points[S.RECENCY_DAYS]
    f = features[S.FREQUENCY].to_numpy(dtype="float64", na_value=np.nan) > points[S.FREQUENCY]
    m = features[S.MONETARY].to_numpy(dtype="float64", na_value=np.nan) > points[S.MONETARY]
    # Look the names up by the 3-bit number r f m, all rows at once.
    keys = [(bool(k & 4), bool(k & 2), bool(k & 1)) for k in range(8)]
    # Code -1 marks non-buyers, whom a categorical shows as missing.
    which = np.where(buyers, r.astype(np.int64) * 4 + f.astype(np.int64) * 2 + m.astype(np.int64), -1)

    def names(values: list[str]) -> pd.Series:
        return spelled(values, which, index=features.index)

    out = pd.DataFrame({
        col: pd.arrays.BooleanArray(high, mask=~buyers) for col, high in ((R_HIGH, r), (F_HIGH, f), (M_HIGH, m))
    }, index=features.index)
    out[RFM_CODE] = names([_code(k) for k in keys])
    out[S.RFM_CLASS_ZH] = names([RFM_CLASSES[k][0] for k in keys])
    out[S.RFM_CLASS_EN] = names([RFM_CLASSES[k][1] for k in keys])
    return out


def rfm_class_table(classes: pd.DataFrame) -> pd.DataFrame:
    """Customers per RFM class: all eight classes, in canonical order, even when empty.

    Parameters
    ----------
    classes : DataFrame
        The output of :func:`rfm_classes` (only ``rfm_class_zh`` is read).

    Returns
    -------
    DataFrame
        Eight rows with ``rfm_code``, ``rfm_class_zh``, ``rfm_class_en``,
        ``customers`` and ``share`` (of the classified customers: buyers;
        non-buyers are not counted, and shares are NaN if nobody is
        classified).

    Examples
    --------
    >>> import pandas as pd
    >>> classes = pd.DataFrame({"rfm_class_zh": ["重要价值客户", "一般发展客户", "重要价值客户", None]})
    >>> rfm_class_table(classes)[["rfm_code", "rfm_class_en", "customers", "share"]]
      rfm_code                   rfm_class_en  customers     share
    0   R↑F↑M↑            key value customers          2  0.666667
    1   R↑F↓M↑       key customers to develop          0  0.000000
    2   R↓F↑M↑        key customers to retain          0  0.000000
    3   R↓F↓M↑      key customers to win back          0  0.000000
    4   R↑F↑M↓        general value customers          0  0.000000
    5   R↑F↓M↓   general customers to develop          1  0.333333
    6   R↓F↑M↓    general customers to retain          0  0.000000
    7   R↓F↓M↓  general customers to win back          0  0.000000
    """
    require_columns(classes, [S.RFM_CLASS_ZH], "RFM classes")
    zh = classes[S.RFM_CLASS_ZH].dropna()
    order = [name for name, _ in RFM_CLASSES.values()]
    unknown = sorted(set(zh) - set(order))
    if unknown:
        raise SikitInputError(f"unknown RFM class(es) {', '.join(map(str, unknown[:5]))}; expected one of {', '.join(order)}")
    counts = zh.value_counts().reindex(order, fill_value=0).to_numpy(dtype=np.int64)
    total = counts.sum()
    return pd.DataFrame({
        RFM_CODE: [_code(k) for k in RFM_CLASSES],
        S.RFM_CLASS_ZH: order,
        S.RFM_CLASS_EN: [en for _, en in RFM_CLASSES.values()],
        "customers": counts,
        "share": counts / total if total else np.full(len(order), np.nan),
    })


# --- value concentration ---------------------------------------------------------------------
#: Most points :attr:`Concentration.curve` keeps; enough for a smooth chart.
CURVE_POINTS = 1001


@dataclass(frozen=True, eq=False)
class Concentration:
    """How concentrated spend is; returned by :func:`value_concentration`.

    Attributes
    ----------
    top : float
        The share of customers asked about (0.2 for "the top 20%").
    top_share : float
        Share of total spend from the ``top`` share of customers with the
        highest spend: the height of ``curve`` at ``top``.
    gini : float
        Gini coefficient of spend: 0 when everybody spends the same, up to
        ``(n - 1) / n`` when one customer spends everything.
    customers : int
        Customers counted (every row passed, including zero spenders).
    total : float
        Total spend.
    curve : DataFrame
        ``customer_share`` and ``spend_share``, customers sorted by spend
        from highest to lowest (Pareto style, concave): the top x of
        customers bring y of spend. Starts at (0, 0), ends at (1, 1), at most
        1001 points.
    """

    top: float
    top_share: float
    gini: float
    customers: int
    total: float
    curve: pd.DataFrame = field(repr=False)


def value_concentration(features: pd.DataFrame, top: float = 0.2, column: str = S.MONETARY) -> Concentration:
    """Share of spend from the top customers, the Gini coefficient and the Pareto curve.

    Every row passed counts as a customer, so contacts who never bought
    (spend 0) lower the share of customers behind any share of spend: that
    is honest when the question is "what share of *our customers* brings
    80% of spend". Pass buyers only (``features[features.frequency > 0]``)
    to ask it about buyers.

    Parameters
    ----------
    features : DataFrame
        One row per customer with a spend column. Not modified.
    top : float, default 0.2
        Share of customers, ``0 < top <= 1``. When ``top * n`` is not a
        whole number the customer on the cut counts in part (the curve is
        interpolated linearly), so ``top_share`` is continuous in ``top`` and
        does not depend on how ties in spend are ordered.
    column : str, default "monetary"
        The spend column (total net spend per customer).

    Returns
    -------
    Concentration

    Raises
    ------
    SikitInputError
        The column is missing or not numeric, a spend is missing, infinite
        or negative, there are no rows, or total spend is 0.

    Notes
    -----
    The Gini coefficient is ``sum((2i - n - 1) * x_i) / (n * sum(x))`` over
    spends sorted ascending (i = 1..n), equal to 1 - 2 x the area under the
    ascending Lorenz curve (trapezoid rule); no small-sample correction.

    Examples
    --------
    >>> import pandas as pd
    >>> c = value_concentration(pd.DataFrame({"monetary": [100.0, 0.0, 0.0, 0.0, 0.0]}))
    >>> c.top_share, round(c.gini, 6), c.customers
    (1.0, 0.8, 5)
    >>> c = value_concentration(pd.DataFrame({"monetary": [10.0, 40.0, 20.0, 30.0]}), top=0.5)
    >>> c
    Concentration(top=0.5, top_share=0.7, gini=0.25, customers=4, total=100.0)
    >>> c.curve
       customer_share  spend_share
    0            0.00          0.0
    1            0.25          0.4
    2            0.50          0.7
    3            0.75          0.9
    4            1.00          1.0
    """
    require_columns(features, [column], "customer features")
    if isinstance(top, bool) or not isinstance(top, (int, float, np.integer, np.floating)) or not 0 < top <= 1:
        raise SikitInputError(f"top must be a share of customers with 0 < top <= 1 (0.2 for the top 20%), got {top!r}")
    values = features[column]
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise SikitInputError(f"{column} must be numeric spend, got dtype {values.dtype}")
    x = values.to_numpy(dtype="float64", na_value=np.nan)
    n = x.size
    if n == 0:
        raise SikitInputError("no customers to measure concentration over")
    if np.isnan(x).any():
        raise SikitInputError(f"{column} is missing for {int(np.isnan(x).sum())} customer(s); use 0 for no spend")
    if np.isinf(x).any() or (x < 0).any():
        raise SikitInputError(
            f"{column} must be finite and not negative; {int(np.isinf(x).sum() + (x < 0).sum())} customer(s) are not"
        )
    desc = np.sort(x)[::-1]
    # cum[k] = spend of the top k customers; cum[n] is the total, so the curve
    # ends at exactly 1 and, the spends being >= 0, never decreases.
    cum = np.concatenate(([0.0], np.cumsum(desc)))
    total = float(cum[-1])
    if total <= 0:
        raise SikitInputError(f"total {column} is 0: there is no spend to share out")

    k = top * n
    whole = min(int(math.floor(k)), n)
    part = cum[whole] + ((k - whole) * desc[whole] if whole < n else 0.0)
    top_share = min(float(part / total), 1.0)

    asc = desc[::-1]
    weights = 2.0 * np.arange(1, n + 1, dtype=np.float64) - n - 1
    gini = float(np.dot(weights, asc) / (n * total))

    if n + 1 > CURVE_POINTS:
        # Evenly spaced customer ranks, ends included; a subset of the points of
        # a concave curve is still concave.
        idx = np.unique(np.rint(np.linspace(0, n, CURVE_POINTS)).astype(np.int64))
    else:
        idx = np.arange(n + 1)
    curve = pd.DataFrame({"customer_share": idx / n, "spend_share": cum[idx] / total})
    return Concentration(top=float(top), top_share=top_share, gini=gini, customers=int(n), total=total, curve=curve)


# --- migration between layers ----------------------------------------------------------------
#: Words for customers present at only one of the two dates, by label language.
NEW_ROW = {"zh": "新客户", "en": "new"}
LOST_COLUMN = {"zh": "已流失", "en": "lost"}
DIRECTIONS = ("up", "same", "down", "new", "lost")


def _layer_labels(layers: pd.DataFrame, by: str, what: str) -> tuple[pd.Index, pd.Series, pd.Series]:
    """(customer ids, label per row, layer number per row) of one layers table, checked."""
    require_columns(layers, [S.LAYER, by], what)
    if S.CUSTOMER_ID in layers.columns:
        ids = pd.Index(layers[S.CUSTOMER_ID])
    elif layers.index.name == S.CUSTOMER_ID:
        ids = layers.index
    else:
        raise SikitInputError(
            f"{what} need a customer_id column or an index named customer_id; "
            f"found columns {', '.join(map(str, layers.columns))} and index {layers.index.name!r}"
        )
    if ids.hasnans:
        raise SikitInputError(f"{what}: customer_id is missing for {int(ids.isna().sum())} row(s)")
    if not ids.is_unique:
        dup = ids[ids.duplicated()].unique()
        raise SikitInputError(
            f"{what}: {len(dup)} customer_id(s) appear more than once, e.g. {', '.join(map(str, dup[:3]))}; "
            "each customer must have one layer"
        )
    for col in (by, S.LAYER):
        if layers[col].isna().any():
            raise SikitInputError(f"{what}: {col} is missing for {int(layers[col].isna().sum())} customer(s)")
    return ids, layers[by], layers[S.LAYER]


def migration(layers_then: pd.DataFrame, layers_now: pd.DataFrame, by: str = S.LAYER_NAME_ZH) -> pd.DataFrame:
    """Customers counted by their layer at an earlier date (rows) and a later one (columns).

    Parameters
    ----------
    layers_then, layers_now : DataFrame
        One row per customer with ``customer_id`` (a column, or the index
        named ``customer_id``), ``layer`` (1 = most valuable) and the label
        column ``by``. Not modified.
    by : str, default "layer_name_zh"
        Label column, such as ``layer_name_zh``, ``layer_name_en``,
        ``rfm_class_zh`` or ``rfm_class_en``. When it ends with ``_en`` the
        extra row and column are called ``new`` and ``lost``, otherwise
        ``新客户`` and ``已流失``.

    Returns
    -------
    DataFrame of int64 counts
        Index named ``then``, columns named ``now``. Rows and columns both
        hold every label seen in either table (so they line up and the
        diagonal counts customers who stayed; a label absent at one date
        shows as zeros), ordered by layer number ascending (a label's number
        is the smallest ``layer`` it has in either table; ties by label).
        The last row, ``新客户``/``new``, holds customers only in
        ``layers_now``; the last column, ``已流失``/``lost``, customers only in
        ``layers_then``. Each customer is counted exactly once, so the table
        sums to the number of distinct customer ids in the two tables.

    Raises
    ------
    SikitInputError
        A column is missing, a customer id is missing or repeated within a
        table, a label or layer is missing, or a label is the same word as
        the new row or lost column.

    Examples
    --------
    >>> import pandas as pd
    >>> then = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "d"],
    ...     "layer": [1, 1, 2, 3],
    ...     "layer_name_en": ["top", "top", "middle", "bottom"],
    ... })
    >>> now = pd.DataFrame({
    ...     "customer_id": ["a", "b", "c", "e"],
    ...     "layer": [2, 1, 1, 3],
    ...     "layer_name_en": ["middle", "top", "top", "bottom"],
    ... })
    >>> migration(then, now, by="layer_name_en")
    now     top  middle  bottom  lost
    then
    top       1       1       0     0
    middle    1       0       0     0
    bottom    0       0       0     1
    new       0       0       1     0
    """
    lang = "en" if by.endswith("_en") else "zh"
    new, lost = NEW_ROW[lang], LOST_COLUMN[lang]
    ids_then, lab_then, num_then = _layer_labels(layers_then, by, "layers_then")
    ids_now, lab_now, num_now = _layer_labels(layers_now, by, "layers_now")

    n_then = len(ids_then)
    # One factorize over both tables gives every label and every customer a
    # code; the rest is integer arithmetic (fast on millions of customers).
    label_code, label_values = pd.factorize(np.concatenate([lab_then.to_numpy(object), lab_now.to_numpy(object)]))
    numbers = pd.Series(np.concatenate([num_then.to_numpy(), num_now.to_numpy()])).groupby(label_code).min()
    by_rank = sorted(range(len(label_values)), key=lambda c: (numbers[c], str(label_values[c])))
    order = [label_values[c] for c in by_rank]
    clash = [w for w in (new, lost) if w in order]
    if clash:
        raise SikitInputError(
            f"{by} has a label {clash[0]!r}, the word migration uses for customers present at only one date; "
            "rename that layer"
        )
    size = len(order)  # position `size` is the new row / the lost column
    position = np.empty(size, dtype=np.int64)
    position[by_rank] = np.arange(size)
    label_pos = position[label_code]

    id_code, id_values = pd.factorize(ids_then.append(ids_now))
    row = np.full(len(id_values), size, dtype=np.int64)  # not in then: new
    col = np.full(len(id_values), size, dtype=np.int64)  # not in now: lost
    row[id_code[:n_then]] = label_pos[:n_then]
    col[id_code[n_then:]] = label_pos[n_then:]
    counts = np.bincount(row * (size + 1) + col, minlength=(size + 1) ** 2).reshape(size + 1, size + 1)
    return pd.DataFrame(
        counts.astype(np.int64),
        index=pd.Index([*order, new], name="then"),
        columns=pd.Index([*order, lost], name="now"),
    )


def _direction_ranks(table: pd.DataFrame) -> tuple[set, set, dict]:
    news = {w for w in NEW_ROW.values() if w in table.index}
    losts = {w for w in LOST_COLUMN.values() if w in table.columns}
    rank = {label: i for i, label in enumerate(c for c in table.columns if c not in losts)}
    missing = [r for r in table.index if r not in news and r not in rank]
    if missing:
        raise SikitInputError(
            f"migration table rows {', '.join(map(str, missing[:3]))} are not among its columns; "
            "pass the table made by migration()"
        )
    return news, losts, rank


def _direction(src, dst, news, losts, rank) -> str:
    if src in news:
        return "new"
    if dst in losts:
        return "lost"
    if rank[dst] == rank[src]:
        return "same"
    return "up" if rank[dst] < rank[src] else "down"


def migration_flows(table: pd.DataFrame) -> pd.DataFrame:
    """The non-empty cells of a :func:`migration` table as rows, each with its direction.

    ``direction`` is ``"up"`` for a move to a more valuable label (earlier
    in the table's order, a lower layer number), ``"down"`` for a less
    valuable one, ``"same"`` for staying, ``"new"`` for the new row and
    ``"lost"`` for the lost column.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`migration`.

    Returns
    -------
    DataFrame
        ``from``, ``to``, ``customers`` and ``direction``, in the table's
        row then column order.

    Examples
    --------
    >>> import pandas as pd
    >>> then = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "layer": [1, 1, 2, 3],
    ...                      "layer_name_zh": ["高", "高", "中", "低"]})
    >>> now = pd.DataFrame({"customer_id": ["a", "b", "c", "e"], "layer": [2, 1, 1, 3],
    ...                     "layer_name_zh": ["中", "高", "高", "低"]})
    >>> flows = migration_flows(migration(then, now))
    >>> flows
      from   to  customers direction
    0    高    高          1      same
    1    高    中          1      down
    2    中    高          1        up
    3    低  已流失          1      lost
    4  新客户    低          1       new
    >>> int(flows.loc[(flows["from"] == "高") & (flows["direction"] == "down"), "customers"].sum())
    1
    """
    news, losts, rank = _direction_ranks(table)
    cells = [
        (src, dst, int(table.at[src, dst]))
        for src in table.index for dst in table.columns if table.at[src, dst] != 0
    ]
    return pd.DataFrame({
        "from": pd.Series([c[0] for c in cells], dtype=table.index.dtype),
        "to": pd.Series([c[1] for c in cells], dtype=table.columns.dtype),
        "customers": np.array([c[2] for c in cells], dtype=np.int64),
        "direction": pd.Series([_direction(s, d, news, losts, rank) for s, d, _ in cells], dtype="str"),
    })


def migration_summary(table: pd.DataFrame) -> pd.DataFrame:
    """Per row of a :func:`migration` table: customers and how many moved up, stayed, moved down or left.

    Parameters
    ----------
    table : DataFrame
        The output of :func:`migration`.

    Returns
    -------
    DataFrame
        Same index as ``table`` (the new row included), columns
        ``customers``, ``up``, ``same``, ``down``, ``lost`` and ``new``
        (int64); ``up + same + down + lost + new == customers`` on every row.

    Examples
    --------
    >>> import pandas as pd
    >>> then = pd.DataFrame({"customer_id": ["a", "b", "c", "d"], "layer": [1, 1, 2, 3],
    ...                      "layer_name_en": ["top", "top", "middle", "bottom"]})
    >>> now = pd.DataFrame({"customer_id": ["a", "b", "c", "e"], "layer": [2, 1, 1, 3],
    ...                     "layer_name_en": ["middle", "top", "top", "bottom"]})
    >>> migration_summary(migration(then, now, by="layer_name_en"))
            customers  up  same  down  lost  new
    then
    top             2   0     1     1     0    0
    middle          1   1     0     0     0    0
    bottom          1   0     0     0     1    0
    new             1   0     0     0     0    1
    """
    news, losts, rank = _direction_ranks(table)
    out = pd.DataFrame(0, index=table.index.copy(), columns=["customers", *DIRECTIONS], dtype=np.int64)
    for src in table.index:
        for dst in table.columns:
            out.at[src, _direction(src, dst, news, losts, rank)] += int(table.at[src, dst])
    out["customers"] = table.sum(axis=1).astype(np.int64)
    return out[["customers", "up", "same", "down", "lost", "new"]]
