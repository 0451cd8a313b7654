"""sikit: private-domain (私域) customer analytics for Jupyter.

Load and clean real contact and order exports with nothing lost; later
stages layer customers, score repurchase and measure the operating loop.
"""

from ._clean import CleanResult, clean
from ._errors import SikitInputError
from ._load import read_contacts, read_orders
from ._privacy import mask_phone, mask_pii, neutralize_formulas, pseudonymous_id

__version__ = "0.1.0"

__all__ = [
    "CleanResult",
    "SikitInputError",
    "clean",
    "configure_plotting",
    "mask_phone",
    "mask_pii",
    "neutralize_formulas",
    "plot_clean_report",
    "pseudonymous_id",
    "read_contacts",
    "read_orders",
]

_LAZY = {"configure_plotting": "._plot", "plot_clean_report": "._plot"}


def __getattr__(name):
    # Plotting pulls in matplotlib and seaborn: load it only when asked for,
    # so the CLI and the cleaning functions start fast.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sikit' has no attribute {name!r}")
