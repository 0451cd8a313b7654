"""One call from clean tables to layers: features, k-means layers, the 8-class RFM, concentration.

The CLI (``sikit segment``), notebook 02 and the dashboard all go through
:func:`segment`, so they agree on every number.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from . import _schema as S
from ._errors import SikitInputError
from ._features import as_of_day, rfm
from ._layers import Layering, layer_profile
from ._privacy import write_csv
from ._rfm import Concentration, rfm_classes, rfm_split_points, value_concentration
from ._text import spelled

__all__ = ["Segmentation", "segment", "NOT_CONVERTED"]

#: Name of the layer of contacts who have not bought yet, as (zh, en).
NOT_CONVERTED = ("未购", "not yet converted")

_LAYER_COLUMNS = [S.CUSTOMER_ID, S.LAYER, S.LAYER_NAME_ZH, S.LAYER_NAME_EN, S.RFM_CLASS_ZH, S.RFM_CLASS_EN,
                  S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY, S.MONETARY_MEAN, S.DAYS_SINCE_FIRST,
                  S.TENURE_DAYS, S.FIRST_PURCHASE, S.LAST_PURCHASE]


@dataclass(frozen=True)
class Segmentation:
    """The layers of every customer known at ``as_of``, and how they were made.

    Attributes
    ----------
    as_of : Timestamp
        The day described; nothing after its end was seen.
    layers : DataFrame
        One row per customer known at ``as_of`` (columns in ``layers.csv``).
        Contacts who have not bought form the last layer, 未购 / not yet
        converted.
    profile : DataFrame
        Per layer (the 未购 layer included): names, size, shares, mean and
        median R/F/M, one-line descriptions in zh and en.
    layering : Layering
        The fitted estimator (on buyers), reusable on other dates' features.
    rfm_split : dict
        Split points of the 8-class RFM.
    concentration : Concentration
        Share of spend from the top 20% of buyers, Gini, Pareto curve.
    """

    as_of: pd.Timestamp
    layers: pd.DataFrame
    profile: pd.DataFrame
    layering: Layering
    rfm_split: dict
    concentration: Concentration

    def write(self, out) -> dict[str, Path]:
        """Write ``layers.csv`` and ``layers_profile.csv`` (UTF-8 with BOM, formula-safe)."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        layers = self.layers.copy()
        for col in (S.FIRST_PURCHASE, S.LAST_PURCHASE):
            layers[col] = layers[col].dt.strftime("%Y-%m-%d")
        return {
            "layers": write_csv(_rounded(layers), out / "layers.csv"),
            "layers_profile": write_csv(_rounded(self.profile.reset_index()), out / "layers_profile.csv"),
        }

    def summary(self, lang: str = "zh") -> str:
        """A few lines for a terminal: how many layers and why, stability, each layer."""
        zh = lang == "zh"
        L = self.layering
        lines = [
            (f"分层日期 {self.as_of:%Y-%m-%d}:{len(self.layers):,} 位客户,{L.n_layers_} 个购买客户层 + 未购层"
             if zh else f"layers as of {self.as_of:%Y-%m-%d}: {len(self.layers):,} customers, "
             f"{L.n_layers_} buyer layers + not yet converted"),
            ("选择 k:" if zh else "choice of k: ") + L.n_layers_reason_[lang],
        ]
        if not np.isnan(L.stability_):
            lines.append((f"稳定性(自助法调整兰德指数均值):{L.stability_:.2f}" if zh else
                          f"stability (mean bootstrap adjusted Rand index): {L.stability_:.2f}"))
        c = self.concentration
        lines.append((f"消费集中度:前 {c.top:.0%} 的购买客户贡献 {c.top_share:.1%} 的消费" if zh else
                      f"concentration: the top {c.top:.0%} of buyers bring {c.top_share:.1%} of spend"))
        name = S.LAYER_NAME_ZH if zh else S.LAYER_NAME_EN
        desc = "description_zh" if zh else "description_en"
        for layer, p in self.profile.iterrows():
            lines.append(f"  {layer}. {p[name]}: {p[desc]}")
        return "\n".join(lines)


def _rounded(df: pd.DataFrame) -> pd.DataFrame:
    """Money and means to cents, shares to 4 places: readable files, identical across runs."""
    out = df.copy()
    for col in out.columns:
        if pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(4 if col.endswith("share") else 2)
    return out


def segment(orders: pd.DataFrame, contacts: pd.DataFrame | None = None, *, as_of, n_layers="auto",
            layering: Layering | None = None, rfm_split="mean", random_state=0) -> Segmentation:
    """Layer every customer known at ``as_of`` from clean orders (and contacts).

    Parameters
    ----------
    orders, contacts : DataFrame
        Clean tables (``sikit.clean(...)``). Contacts added at or before
        ``as_of`` who have not bought form the 未购 / not-yet-converted layer.
        With ``sikit[scale]``, ``orders`` may also be a Parquet/CSV path or an
        Ibis table: DuckDB (or the table's own engine) then computes the
        features (:func:`sikit.features.rfm_ibis`) and the orders never
        enter pandas.
    as_of : date-like
        Only data up to the end of this day are used.
    n_layers : int or "auto"
        Buyer layers (the 未购 layer comes on top of them).
    layering : Layering, optional
        A fitted layering to reuse (e.g. to compare two dates with the same
        layer definitions); by default a new one is fitted on the buyers.
    rfm_split : "mean", "median" or dict
        Split points of the 8-class RFM.
    random_state : int
        Seed of the layering.

    Examples
    --------
    >>> from sikit import clean
    >>> from sikit.sample import generate
    >>> data = generate(customers=300, seed=1, format="parquet")
    >>> tables = clean(contacts=data.contacts, orders=data.orders)
    >>> seg = segment(tables.orders, tables.contacts, as_of="2026-10-31", n_layers=3)
    >>> seg.profile["layer_name_en"].tolist()[-1]
    'not yet converted'
    >>> int(seg.profile["customers"].sum()) == len(seg.layers)
    True
    """
    day = as_of_day(as_of)
    if isinstance(orders, pd.DataFrame):
        features = rfm(orders, day, contacts=contacts)
    else:  # a file or an Ibis table: an engine scans the orders (sikit[scale])
        from ._features_ibis import rfm_ibis

        features = rfm_ibis(orders, day, contacts)
    # Positions, not labels, from here on: with millions of customers every label
    # lookup builds a hash table of their ids.
    bought = (features[S.FREQUENCY] > 0).to_numpy()
    buyers = features[bought]
    if len(buyers) < 2:
        raise SikitInputError(
            f"layering needs at least 2 customers with a paid order at or before {day:%Y-%m-%d}, "
            f"found {len(buyers)}; choose a later --as-of"
        )
    if layering is None:
        layering = Layering(n_layers=n_layers, random_state=random_state).fit(buyers)
    none_zh, none_en = NOT_CONVERTED
    k = layering.n_layers_
    layer = np.full(len(features), k + 1, dtype="int64")
    layer[bought] = layering.predict(buyers)
    names = pd.concat([layering.names_, pd.DataFrame({S.LAYER_NAME_ZH: [none_zh], S.LAYER_NAME_EN: [none_en]},
                                                     index=pd.Index([k + 1], name=S.LAYER))])
    classes = rfm_classes(features, split=rfm_split)

    layers = features.reset_index()
    layers[S.LAYER] = layer
    for col in (S.LAYER_NAME_ZH, S.LAYER_NAME_EN):
        layers[col] = spelled(names[col].astype("str"), layer - 1)
    for col, none in ((S.RFM_CLASS_ZH, none_zh), (S.RFM_CLASS_EN, none_en)):
        layers[col] = classes[col].fillna(none).to_numpy()
    layers = layers[_LAYER_COLUMNS]

    frame = layers[[S.LAYER, S.RECENCY_DAYS, S.FREQUENCY, S.MONETARY]]
    profile = layer_profile(frame, names)
    return Segmentation(
        as_of=day,
        layers=layers,
        profile=profile,
        layering=layering,
        rfm_split=rfm_split_points(features, rfm_split),
        concentration=value_concentration(buyers),
    )
