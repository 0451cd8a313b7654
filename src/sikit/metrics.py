"""Business metrics by registry: ``sikit.metrics.compute("repurchase_rate", ...)``.

Every metric has zh/en names, a one-sentence definition with its formula and
documented defaults (``describe()``), and is computed point in time for a
period of local days; ``cohort_retention`` gives the monthly cohort matrix;
``referral_tree``, ``top_referrers`` and ``referred_vs_other`` describe
fission (裂变, 老带新); ``loop_report`` computes every metric for a period.
"""

from ._metrics import (REGISTRY, Metric, cohort_retention, compute, describe, loop_report, referral_tree,
                       referred_vs_other, top_referrers)

__all__ = ["REGISTRY", "Metric", "cohort_retention", "compute", "describe", "loop_report", "referral_tree",
           "referred_vs_other", "top_referrers"]
