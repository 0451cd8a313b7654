"""Point-in-time customer features: ``sikit.features.rfm`` and the BTYD summary.

Every function takes an ``as_of`` day and sees only orders up to the end of
that day; layers, propensity scores and metrics all build on these.

``rfm_ibis``, ``btyd_summary_ibis``, ``repurchase_labels_ibis`` and
``windows_ibis`` (the order counts behind propensity windows) give the
same frames computed by a database engine through Ibis (embedded DuckDB by
default, or PySpark on a cluster) from a DataFrame, a Parquet file or an Ibis
table. They need the ``scale`` extra and import Ibis only when first used.
"""

from ._features import FEATURE_NAMES, as_of_day, btyd_summary, paid_orders, rfm

__all__ = ["FEATURE_NAMES", "as_of_day", "btyd_summary", "btyd_summary_ibis", "paid_orders",
           "repurchase_labels_ibis", "rfm", "rfm_ibis", "windows_ibis"]

_IBIS = ("rfm_ibis", "btyd_summary_ibis", "repurchase_labels_ibis", "windows_ibis")


def __getattr__(name):
    if name in _IBIS:  # imported lazily: `import sikit` must not import ibis
        from . import _features_ibis

        return getattr(_features_ibis, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
