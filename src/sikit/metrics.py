"""Business metrics by registry: ``sikit.metrics.compute("repurchase_rate", ...)``.

Every metric has zh/en names, a one-sentence definition with its formula and
documented defaults (``describe()``), and is computed point in time for a
period of local days; ``cohort_retention`` gives the monthly cohort matrix;
``acquisition`` the new contacts per month and channel (引流);
``referral_tree``, ``top_referrers`` and ``referred_vs_other`` describe
fission (裂变, 老带新); ``group_lifecycle`` gives each 社群's stage (成长, 稳定,
衰退) by :data:`LIFECYCLE_RULE`; ``net_contact_growth`` and ``lost_contacts``
(流失客户数) take the deletion log as ``deletions=``; ``loop_report`` computes
every metric for a period.
"""

from ._metrics import (LIFECYCLE_RULE, REGISTRY, Metric, acquisition, cohort_retention, compute, describe,
                       group_lifecycle, loop_report, referral_tree, referred_vs_other, top_referrers)

__all__ = ["LIFECYCLE_RULE", "REGISTRY", "Metric", "acquisition", "cohort_retention", "compute", "describe",
           "group_lifecycle", "loop_report", "referral_tree", "referred_vs_other", "top_referrers"]
