"""sikit: private-domain (私域) customer analytics for Jupyter.

Load and clean real contact and order exports with nothing lost, compute
point-in-time features, layer customers (k-means layers with business
names, the classic 8-class RFM, value concentration, migration); later
stages score repurchase and measure the operating loop.
"""

from . import features, metrics
from ._clean import CleanResult, clean
from ._errors import SikitInputError
from ._load import (read_contacts, read_costs, read_deletions, read_group_activity, read_group_members,
                    read_orders)
from ._privacy import mask_name, mask_phone, mask_pii, neutralize_formulas, pseudonymous_id

__version__ = "0.1.0"

__all__ = [
    "BetaGeoModel",
    "CleanResult",
    "Concentration",
    "Layering",
    "LayeringStabilityWarning",
    "Segmentation",
    "SikitInputError",
    "clean",
    "configure_plotting",
    "features",
    "mask_name",
    "mask_phone",
    "mask_pii",
    "metrics",
    "migration",
    "migration_flows",
    "migration_summary",
    "neutralize_formulas",
    "plot_acquisition",
    "plot_clean_report",
    "plot_cohort",
    "plot_funnel",
    "plot_gains",
    "plot_group_health",
    "plot_importance",
    "plot_k_selection",
    "plot_layers",
    "plot_migration",
    "plot_pareto",
    "plot_propensity",
    "plot_referrals",
    "plot_reliability",
    "plot_rfm_classes",
    "pseudonymous_id",
    "read_contacts",
    "read_costs",
    "read_deletions",
    "read_group_activity",
    "read_group_members",
    "read_orders",
    "RepurchaseModel",
    "rfm_class_table",
    "rfm_classes",
    "rfm_split_points",
    "segment",
    "stratified_sample",
    "target_list",
    "value_concentration",
]

_LAZY = {
    **dict.fromkeys(["configure_plotting", "plot_acquisition", "plot_clean_report", "plot_cohort", "plot_funnel",
                     "plot_gains", "plot_group_health", "plot_importance", "plot_k_selection", "plot_layers",
                     "plot_migration", "plot_pareto", "plot_propensity", "plot_referrals", "plot_reliability",
                     "plot_rfm_classes"],
                    "._plot"),
    **dict.fromkeys(["Layering", "LayeringStabilityWarning"], "._layers"),
    **dict.fromkeys(["Segmentation", "segment"], "._segment"),
    **dict.fromkeys(["RepurchaseModel", "stratified_sample", "target_list"], "._propensity"),
    "BetaGeoModel": "._bgnbd",
    **dict.fromkeys(["Concentration", "migration", "migration_flows", "migration_summary", "rfm_class_table",
                     "rfm_classes", "rfm_split_points", "value_concentration"], "._rfm"),
}


def __getattr__(name):
    # scikit-learn, matplotlib and seaborn are slow to import: load them only
    # when asked for, so the CLI and the cleaning functions start fast.
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module 'sikit' has no attribute {name!r}")
