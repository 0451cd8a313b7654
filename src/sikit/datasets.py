"""Public reference data: the CDNOW purchase logs used throughout the BTYD literature.

The files ship inside the ``lifetimes`` distribution on PyPI (installed with
``sikit[dev]``). They are read through :mod:`importlib.metadata` without
importing ``lifetimes``, which no longer imports cleanly on current NumPy.
"""

from __future__ import annotations

from importlib import metadata

import pandas as pd

from . import _schema as S

__all__ = ["load_cdnow", "load_cdnow_summary", "CDNOW_CALIBRATION_END"]

#: Last day of the calibration period in Fader, Hardie & Lee (2005): 39 weeks from 1997-01-01.
CDNOW_CALIBRATION_END = "1997-09-30"

_FILES = {"sample": "CDNOW_sample.txt", "master": "CDNOW_master.txt"}


def _path(name: str):
    try:
        dist = metadata.distribution("lifetimes")
    except metadata.PackageNotFoundError:
        raise ModuleNotFoundError(
            "the CDNOW data ships in the 'lifetimes' distribution: pip install lifetimes "
            "(it comes with pip install 'sikit[dev]')"
        ) from None
    for f in dist.files or ():
        if f.name == name and f.parent.name == "datasets":
            return dist.locate_file(f)
    raise FileNotFoundError(f"{name} not found in the installed lifetimes distribution")


def load_cdnow(kind: str = "sample") -> pd.DataFrame:
    """CDNOW purchases as clean sikit orders (one row per purchase record, all paid).

    Parameters
    ----------
    kind : {"sample", "master"}
        ``"sample"``: the 1/10 sample of 2,357 customers (6,919 records);
        ``"master"``: all 23,570 customers (69,659 records). Customer ids
        are the sample's 1..2357 numbering or the master's 1..23570, as
        text.

    Examples
    --------
    >>> orders = load_cdnow("sample")
    >>> orders["customer_id"].nunique(), len(orders)
    (2357, 6919)
    """
    if kind not in _FILES:
        raise ValueError(f"kind must be 'sample' or 'master', got {kind!r}")
    cols = ["master_id", "sample_id", "date", "cds", "dollars"] if kind == "sample" else \
        ["master_id", "date", "cds", "dollars"]
    raw = pd.read_csv(_path(_FILES[kind]), sep=r"\s+", header=None, names=cols,
                      dtype={"master_id": "str", "sample_id": "str", "date": "str"})
    if kind == "master":
        raw = raw.iloc[1:]  # the master file carries a header line
    ids = raw["sample_id"] if kind == "sample" else raw["master_id"]
    amount = raw["dollars"].astype("float64")
    return pd.DataFrame({
        S.ORDER_ID: [f"cdnow-{i}" for i in range(len(raw))],
        S.CUSTOMER_ID: ids.str.lstrip("0").to_numpy(),
        S.ORDER_TIME: pd.to_datetime(raw["date"], format="%Y%m%d").to_numpy(),
        S.AMOUNT: amount.to_numpy(),
        S.REFUND_AMOUNT: 0.0,
        S.NET_AMOUNT: amount.to_numpy(),
        S.STATUS: S.PAID,
        "quantity": raw["cds"].astype("int64").to_numpy(),
    })


def load_cdnow_summary() -> pd.DataFrame:
    """Hardie's published calibration summary of the 2,357-customer sample, in weeks.

    Columns ``frequency`` (x), ``recency`` (t_x), ``T`` and
    ``monetary_value`` (mean spend of repeat purchases, zbar), indexed by
    the sample's customer id as text.

    Examples
    --------
    >>> int(load_cdnow_summary()["frequency"].sum())
    2457
    """
    raw = pd.read_csv(_path("cdnow_customers_summary_with_transactions.csv"))
    out = pd.DataFrame({
        "frequency": raw["x"].astype("int64").to_numpy(),
        "recency": raw["t_x"].to_numpy(),
        "T": raw["T"].to_numpy(),
        "monetary_value": raw["zbar"].to_numpy(),
    }, index=pd.Index(raw["ID"].astype("str"), name=S.CUSTOMER_ID))
    return out
