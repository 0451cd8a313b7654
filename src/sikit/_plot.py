"""The one place for plot fonts and theme, and the cleaning-report chart.

seaborn's ``set_theme()`` resets matplotlib's fonts, so sikit sets the theme
and the CJK font together here and nowhere else.
"""

from __future__ import annotations

import warnings
from functools import lru_cache

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib import font_manager

__all__ = ["configure_plotting", "cjk_font", "plot_clean_report"]

# Fonts that carry Simplified Chinese glyphs, most preferred first.
CJK_FONTS = (
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "Source Han Sans CN",
    "Noto Sans CJK JP",
    "WenQuanYi Zen Hei",
    "WenQuanYi Micro Hei",
    "SimHei",
    "Microsoft YaHei",
    "PingFang SC",
    "Heiti SC",
    "Arial Unicode MS",
)


def _find(names: set[str]) -> str | None:
    return next((f for f in CJK_FONTS if f in names), None)


@lru_cache(maxsize=1)
def cjk_font() -> str | None:
    """Name of an installed font with Chinese glyphs, or None.

    matplotlib caches its font list; fonts installed after that cache was
    built are found by rebuilding it once.
    """
    found = _find({f.name for f in font_manager.fontManager.ttflist})
    if found is None:
        font_manager.fontManager = font_manager._load_fontmanager(try_read_cache=False)
        found = _find({f.name for f in font_manager.fontManager.ttflist})
    return found


_warned = False


def configure_plotting(lang: str = "zh") -> str:
    """Apply sikit's seaborn theme with a CJK font; return the label language to use.

    When ``lang="zh"`` but no CJK font is installed, warn once and return
    ``"en"`` so charts carry English labels instead of empty boxes.

    Examples
    --------
    >>> configure_plotting("en")
    'en'
    """
    global _warned
    font = cjk_font()
    sans = ([font] if font else []) + ["DejaVu Sans"]
    sns.set_theme(
        style="whitegrid",
        rc={"font.family": "sans-serif", "font.sans-serif": sans, "axes.unicode_minus": False},
    )
    if lang == "zh" and font is None:
        if not _warned:
            warnings.warn(
                "no CJK font found (install e.g. fonts-noto-cjk); charts fall back to English labels",
                RuntimeWarning,
                stacklevel=2,
            )
            _warned = True
        return "en"
    return lang


def plot_clean_report(report: dict, lang: str = "zh"):
    """Bar charts of why rows were rejected or merged and which fields were fixed."""
    from ._report import _reason_name, table_name

    lang = configure_plotting(lang)
    zh = lang == "zh"
    rows = []
    for table, stats in report["tables"].items():
        label = table_name(table, lang)
        for kind, key in (("rejected", "rejected_by_reason"), ("merged", "merged_by_reason")):
            for code, n in stats[key].items():
                rows.append({"table": label, "kind": kind, "what": _reason_name(code, lang, False), "rows": n})
        for code, n in stats["field_fixes"].items():
            rows.append({"table": label, "kind": "fixed", "what": _reason_name(code, lang, False), "rows": n})
    data = pd.DataFrame(rows, columns=["table", "kind", "what", "rows"])
    fig, axes = plt.subplots(1, 2, figsize=(13, 4.8), layout="constrained")
    titles = {
        "left": "被拒绝或合并的行" if zh else "rows rejected or merged",
        "right": "修正的字段(行保留)" if zh else "fields fixed (row kept)",
    }
    for ax, part, title in (
        (axes[0], data[data["kind"] != "fixed"], titles["left"]),
        (axes[1], data[data["kind"] == "fixed"], titles["right"]),
    ):
        if len(part):
            sns.barplot(data=part.sort_values("rows", ascending=False), y="what", x="rows", hue="table", ax=ax)
            ax.get_legend().set_title("表" if zh else "table")
        ax.set_title(title)
        ax.set_xlabel("行数" if zh else "rows")
        ax.set_ylabel("")
    return fig
