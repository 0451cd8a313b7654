"""Point-in-time customer features: ``sikit.features.rfm`` and the BTYD summary.

Every function takes an ``as_of`` day and sees only orders up to the end of
that day; layers, propensity scores and metrics all build on these.
"""

from ._features import FEATURE_NAMES, as_of_day, btyd_summary, paid_orders, rfm

__all__ = ["FEATURE_NAMES", "as_of_day", "btyd_summary", "paid_orders", "rfm"]
