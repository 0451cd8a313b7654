"""The one place for plot fonts and theme, and sikit's charts.

seaborn's ``set_theme()`` resets matplotlib's fonts, so sikit sets the theme
and the CJK font together here and nowhere else. Every chart calls
:func:`configure_plotting` first and labels itself in the language it
returns; charts show counts and shares only, never customer ids or phones.
"""

from __future__ import annotations

import textwrap
import warnings
from functools import lru_cache

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import font_manager
from matplotlib.ticker import MaxNLocator, PercentFormatter

__all__ = [
    "configure_plotting",
    "cjk_font",
    "plot_acquisition",
    "plot_clean_report",
    "plot_cohort",
    "plot_funnel",
    "plot_group_health",
    "plot_k_selection",
    "plot_layers",
    "plot_migration",
    "plot_gains",
    "plot_importance",
    "plot_pareto",
    "plot_referrals",
    "plot_reliability",
    "plot_rfm_classes",
]

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


def _start(lang: str, figsize) -> tuple[bool, plt.Figure, plt.Axes]:
    """Theme and font first, then one axes: (labels in Chinese?, figure, axes)."""
    zh = configure_plotting(lang) == "zh"
    fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return zh, fig, ax


def plot_layers(profile: pd.DataFrame, lang: str = "zh"):
    """Share of customers beside share of spend, per layer: who brings the money.

    Parameters
    ----------
    profile : DataFrame
        ``Segmentation.profile`` (or ``Layering.profile_``): indexed by layer
        number, with ``layer_name_zh``/``layer_name_en``, ``customer_share``
        and ``spend_share``.
    lang : {"zh", "en"}
    """
    zh, fig, ax = _start(lang, (9, 1.0 + 0.75 * len(profile)))
    names = profile["layer_name_zh" if zh else "layer_name_en"]
    labels = [f"{layer} {name}" for layer, name in zip(profile.index, names)]
    y = np.arange(len(profile))
    height = 0.38
    palette = sns.color_palette()
    for offset, col, label, color in (
        (-height / 2, "customer_share", "客户占比" if zh else "share of customers", palette[0]),
        (height / 2, "spend_share", "消费占比" if zh else "share of spend", palette[1]),
    ):
        bars = ax.barh(y + offset, profile[col].to_numpy(dtype=float), height, label=label, color=color)
        ax.bar_label(bars, labels=[f"{v:.0%}" for v in profile[col]], padding=3, fontsize=9)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()  # layer 1, the most valuable, on top
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlim(0, min(1.0, max(profile["customer_share"].max(), profile["spend_share"].max()) * 1.15 + 0.02))
    ax.set_xlabel("")
    ax.set_title("各层的客户占比与消费占比" if zh else "share of customers and of spend by layer")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def plot_pareto(concentration, lang: str = "zh"):
    """The Pareto curve of spend, the line of equal spend, and the top share marked.

    Parameters
    ----------
    concentration : Concentration
        ``Segmentation.concentration`` or ``sikit.value_concentration(...)``.
    lang : {"zh", "en"}
    """
    zh, fig, ax = _start(lang, (6.5, 5.5))
    c = concentration
    ax.plot(c.curve["customer_share"], c.curve["spend_share"], lw=2,
            label="累计消费占比" if zh else "cumulative share of spend")
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="人人消费相同" if zh else "equal spend")
    ax.fill_between(c.curve["customer_share"], c.curve["customer_share"], c.curve["spend_share"], alpha=0.12)
    ax.vlines(c.top, 0, c.top_share, ls=":", color="black", lw=1)
    ax.hlines(c.top_share, 0, c.top, ls=":", color="black", lw=1)
    ax.plot([c.top], [c.top_share], "o", color="black")
    note = (f"前 {c.top:.0%} 客户贡献 {c.top_share:.0%} 消费" if zh
            else f"top {c.top:.0%} of customers bring {c.top_share:.0%} of spend")
    ax.annotate(note, (c.top, c.top_share), xytext=(12, -24), textcoords="offset points")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlim=(0, 1), ylim=(0, 1.02))
    ax.set_xlabel("客户占比(按消费从高到低)" if zh else "share of customers (highest spend first)")
    ax.set_ylabel("消费占比" if zh else "share of spend")
    ax.set_title((f"消费集中度:基尼系数 {c.gini:.2f}" if zh else f"spend concentration: Gini {c.gini:.2f}"))
    ax.legend(loc="lower right")
    return fig


def plot_migration(table: pd.DataFrame, lang: str = "zh"):
    """Heatmap of a :func:`sikit.migration` table: customers by layer then (rows) and now (columns).

    The row and column labels are the table's own: make the table with
    ``by="layer_name_en"`` for English ones.
    """
    rows, cols = table.shape
    zh, fig, ax = _start(lang, (2.4 + 1.15 * cols, 1.6 + 0.55 * rows))
    sns.heatmap(table, annot=True, fmt="d", cmap="Blues", cbar=False, linewidths=0.5, linecolor="white", ax=ax)
    ax.set_xlabel("本期" if zh else "now")
    ax.set_ylabel("上期" if zh else "then")
    ax.xaxis.set_label_position("top")
    ax.xaxis.tick_top()
    ax.tick_params(axis="both", length=0)
    # Long English names ("not yet converted") would run into each other.
    ax.set_xticklabels([textwrap.fill(str(c), 11) for c in table.columns])
    plt.setp(ax.get_yticklabels(), rotation=0)
    # The column label sits on top, where an axes title would be: title the figure.
    fig.suptitle("客户层迁移(人数)" if zh else "layer migration (customers)")
    return fig


def plot_cohort(matrix: pd.DataFrame, lang: str = "zh"):
    """Heatmap of a cohort retention matrix (:func:`sikit.metrics.cohort_retention`).

    Rows are months of first purchase, columns months since; cells not yet
    observable are NA in the matrix and stay blank here, never a 0.
    """
    rows, cols = matrix.shape
    zh, fig, ax = _start(lang, (1.6 + 0.62 * cols, 1.4 + 0.36 * rows))
    data = matrix.astype("float64")
    data.index = data.index.astype("str")  # a PeriodIndex makes seaborn trip pandas' deprecations
    sns.heatmap(data, annot=True, fmt=".0%", cmap="YlGnBu", vmin=0, vmax=1, cbar=False,
                linewidths=0.5, linecolor="white", annot_kws={"fontsize": 8}, ax=ax)
    ax.grid(False)  # blank (not yet observable) cells must look empty, not ruled
    ax.set_xlabel("首购后第几个月" if zh else "months since first purchase")
    ax.set_ylabel("首购月份" if zh else "month of first purchase")
    ax.tick_params(axis="both", length=0)
    plt.setp(ax.get_yticklabels(), rotation=0)
    ax.set_title("按首购月份的复购留存(空白 = 尚未可观察)" if zh
                 else "repeat purchase by month of first purchase (blank = not observable yet)")
    return fig


def _channel_label(value, zh: bool, by: str = "channel") -> str:
    """A channel (or staff) as shown: a missing one, or the table's 未知渠道, reads 未知渠道 / unknown channel."""
    from ._metrics import UNKNOWN

    names = UNKNOWN.get(by, UNKNOWN["channel"])
    return names[0 if zh else 1] if pd.isna(value) or value == names[0] else str(value)


def plot_acquisition(table: pd.DataFrame, lang: str = "zh"):
    """New contacts per month, stacked by channel (引流): where the private pool grows from.

    One bar per month, one colour per channel (the table's column order, the
    largest channel at the bottom), the month's total above its bar; months
    without new contacts keep an empty place.

    Parameters
    ----------
    table : DataFrame
        :func:`sikit.metrics.acquisition`: months ("YYYY-MM") by channels
        (or staff), new contacts. The labels are the table's own (the unknown
        channel reads 未知渠道 / unknown channel).
    lang : {"zh", "en"}
    """
    by = table.columns.name or "channel"
    zh, fig, ax = _start(lang, (min(max(6.5, 1.8 + 0.32 * len(table)), 16), 4.8))
    total = int(table.to_numpy().sum())
    who = ("员工" if zh else "staff") if by == "staff" else ("渠道" if zh else "channel")
    ax.set_title(f"每月新增客户数(按{who},共 {total:,} 人)" if zh
                 else f"new contacts per month by {who} ({total:,} in all)")
    x = np.arange(len(table))
    bottom = np.zeros(len(table))
    for col, color in zip(table.columns, sns.color_palette(n_colors=max(table.shape[1], 1))):
        values = table[col].to_numpy(dtype=float)
        ax.bar(x, values, 0.75, bottom=bottom, color=color, label=_channel_label(col, zh, by))
        bottom += values
    if total:
        ax.bar_label(ax.containers[-1], labels=[f"{int(v):,}" if v else "" for v in bottom], padding=2, fontsize=8)
        ax.legend(title=who, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=9)
    else:
        ax.text(0.5, 0.5, "周期内没有新增客户" if zh else "no new contacts in the period", ha="center", va="center",
                transform=ax.transAxes)
    ax.set_xticks(x, [str(m) for m in table.index], rotation=90 if len(table) > 12 else 0, fontsize=8)
    ax.set_xlim(-0.6, len(table) - 0.4)
    ax.set_ylim(0, max(float(bottom.max(initial=0.0)), 1.0) * 1.12)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("添加月份" if zh else "month added")
    ax.set_ylabel("新增客户数" if zh else "new contacts")
    return fig


def plot_funnel(table: pd.DataFrame, lang: str = "zh", within_days: int | None = None):
    """Conversion by channel: contacts added, and how many of them bought within N days.

    One horizontal bar per channel: the light bar is the contacts added in the
    period whose window could be observed (the rate's denominator), the dark
    bar the ones whose first paid order came within ``within_days`` days (the
    numerator); the label gives the rate. Channels are sorted by contacts,
    the largest on top.

    Parameters
    ----------
    table : DataFrame
        ``sikit.metrics.compute("conversion_rate", ..., by="channel")``:
        indexed by channel, with ``numerator``, ``denominator`` and ``value``.
        The channel labels are the table's own (a missing channel reads
        "未知渠道" / "unknown channel").
    lang : {"zh", "en"}
    within_days : int, optional
        The N the table was computed with, for the title; default the
        metric's default (30).
    """
    if within_days is None:
        from ._metrics import REGISTRY

        within_days = REGISTRY["conversion_rate"].params["within_days"]
    zh, fig, ax = _start(lang, (8.5, 1.2 + 0.5 * max(len(table), 1)))
    data = table.sort_values("denominator", ascending=False, kind="stable")
    labels = [_channel_label(ch, zh) for ch in data.index]
    y = np.arange(len(data))
    palette = sns.color_palette()
    added = data["denominator"].to_numpy(dtype=float)
    converted = data["numerator"].to_numpy(dtype=float)
    ax.barh(y, added, 0.7, color=palette[0], alpha=0.3,
            label="新增联系人(可观察)" if zh else "contacts added (observable)")
    bars = ax.barh(y, converted, 0.7, color=palette[0],
                   label=f"{within_days} 天内首购" if zh else f"first purchase within {within_days} days")
    ax.bar_label(bars, labels=[f"{r:.0%}" for r in data["value"].fillna(0)], label_type="center",
                 color="white", fontsize=9, fontweight="bold")
    for yi, n in zip(y, added):
        ax.annotate(f"{int(n):,}", (n, yi), xytext=(3, 0), textcoords="offset points", va="center", fontsize=9)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()  # the largest channel on top
    ax.set_xlim(0, max(float(added.max()) if len(added) else 0.0, 1.0) * 1.12)
    ax.set_xlabel("联系人数" if zh else "contacts")
    ax.set_title(f"各渠道新增联系人 {within_days} 天内的首购转化" if zh
                 else f"conversion by channel: first purchase within {within_days} days of being added")
    ax.legend(loc="best", fontsize=9)
    return fig


def plot_referrals(tree: pd.DataFrame, lang: str = "zh", top: int = 10):
    """The largest referral trees (老带新): customers per tree, with its depth.

    Roots are labelled by rank ("推荐人 1" / "referrer 1"), never by id or name.

    Parameters
    ----------
    tree : DataFrame
        :func:`sikit.metrics.referral_tree`: one row per root referrer with
        ``size`` (customers in the tree, root included), ``direct`` and
        ``depth`` (generations below the root).
    lang : {"zh", "en"}
    top : int, default 10
        How many of the largest trees to show.
    """
    data = tree.sort_values("size", ascending=False, kind="stable").head(top)
    zh, fig, ax = _start(lang, (8, 1.3 + 0.42 * max(len(data), 1)))
    total = len(tree)
    ax.set_title(f"规模最大的 {len(data)} 棵推荐树(共 {total:,} 棵)" if zh
                 else f"the {len(data)} largest referral trees (of {total:,})")
    if len(data) == 0:
        ax.text(0.5, 0.5, "还没有推荐关系" if zh else "no referrals yet", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(data))
    bars = ax.barh(y, data["size"].to_numpy(dtype=float), color=sns.color_palette()[2])
    notes = [f"{s} 人:直接邀请 {d} 人,深度 {k} 代" if zh else f"{s} customers: {d} direct, depth {k}"
             for s, d, k in zip(data["size"], data["direct"], data["depth"])]
    ax.bar_label(bars, labels=notes, padding=3, fontsize=9)
    ax.set_yticks(y, [f"推荐人 {i}" if zh else f"referrer {i}" for i in range(1, len(data) + 1)])
    ax.invert_yaxis()
    ax.set_xlim(0, float(data["size"].max()) * 1.6)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("树中客户数(含推荐人)" if zh else "customers in the tree (referrer included)")
    return fig


def plot_rfm_classes(table: pd.DataFrame, lang: str = "zh"):
    """Customers in each of the eight RFM classes, from :func:`sikit.rfm_class_table`."""
    zh, fig, ax = _start(lang, (9, 4.8))
    names = table["rfm_class_zh" if zh else "rfm_class_en"]
    labels = [f"{code} {name}" for code, name in zip(table["rfm_code"], names)]
    palette = sns.color_palette()
    # 重要 (high spend, M↑) in one colour, 一般 (M↓) in another.
    colors = [palette[0] if str(code).endswith("M↑") else palette[7] for code in table["rfm_code"]]
    y = np.arange(len(table))
    bars = ax.barh(y, table["customers"].to_numpy(dtype=float), color=colors)
    ax.bar_label(bars, labels=[f"{n:,} ({s:.0%})" for n, s in zip(table["customers"], table["share"].fillna(0))],
                 padding=3, fontsize=9)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_xlim(0, max(float(table["customers"].max()), 1.0) * 1.18)
    ax.set_xlabel("客户数" if zh else "customers")
    ax.set_title("RFM 八类客户" if zh else "the eight RFM classes")
    return fig


def plot_k_selection(layering, lang: str = "zh"):
    """Silhouette of every number of layers k tried, the chosen k highlighted.

    ``layering`` is a fitted :class:`sikit.Layering` (``Segmentation.layering``).
    When k was set rather than chosen the chart says so instead.
    """
    zh, fig, ax = _start(lang, (6.5, 3.8))
    k = layering.n_layers_
    sel = getattr(layering, "selection_", None)
    ax.set_title("按轮廓系数选择层数 k" if zh else "choosing the number of layers k by silhouette")
    if sel is None or len(sel) == 0:
        ax.text(0.5, 0.5, layering.n_layers_reason_["zh" if zh else "en"], ha="center", va="center",
                transform=ax.transAxes, wrap=True)
        ax.set_axis_off()
        return fig
    ax.plot(sel["k"], sel["silhouette"], "o-", color="grey")
    best = sel[sel["k"] == k]
    ax.plot(best["k"], best["silhouette"], "o", ms=12, color=sns.color_palette()[3],
            label=f"选定 k={k}" if zh else f"chosen k={k}")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("层数 k" if zh else "number of layers k")
    ax.set_ylabel("轮廓系数(越高越好)" if zh else "silhouette (higher is better)")
    ax.legend()
    return fig


# --- repurchase propensity: is the score honest, useful, and what drives it? -----------------

def _feature_label(feature: str, zh: bool, horizon) -> str:
    from ._features import FEATURE_NAMES
    from ._propensity import PROPENSITY_FEATURE_NAMES

    names = FEATURE_NAMES.get(feature) or PROPENSITY_FEATURE_NAMES.get(feature)
    if names is None:
        return feature
    return names[0 if zh else 1].format(h=horizon)


def _candidate_name(name: str, zh: bool) -> str:
    from ._propensity import CANDIDATES

    names = CANDIDATES.get(name)
    return names[0 if zh else 1] if names else name


def _candidate_colors(names) -> dict[str, tuple]:
    """One colour per candidate, the same in every propensity chart."""
    from ._propensity import CANDIDATES

    order = list(CANDIDATES) + [n for n in names if n not in CANDIDATES]
    palette = sns.color_palette(n_colors=max(len(order), 10))
    return {n: palette[order.index(n)] for n in names}


def plot_reliability(model, lang: str = "zh"):
    """Reliability curves from the backtest: mean predicted probability against the observed rate.

    One curve per candidate, on the held-out backtest window; the chosen
    candidate is drawn bold with its points sized (and labelled) by
    customers, the others faint. On the diagonal, a predicted 40% means 40%
    of those customers bought again. The title carries the chosen
    candidate's expected calibration error (ECE).

    Parameters
    ----------
    model : RepurchaseModel
        A fitted :class:`sikit.RepurchaseModel` (``reliability_``,
        ``backtest_``, ``chosen_``).
    lang : {"zh", "en"}
    """
    zh, fig, ax = _start(lang, (7, 6))
    chosen = model.chosen_
    curves = model.reliability_
    colors = _candidate_colors(list(curves))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="完全校准" if zh else "perfectly calibrated")
    for name, curve in curves.items():
        if name == chosen:
            continue
        ax.plot(curve["p_mean"], curve["y_rate"], "o-", ms=3, lw=1, alpha=0.45, color=colors[name],
                label=_candidate_name(name, zh))
    curve = curves[chosen]
    name = _candidate_name(chosen, zh)
    ax.plot(curve["p_mean"], curve["y_rate"], "-", lw=2.5, color=colors[chosen], zorder=3,
            label=f"{name}(所选)" if zh else f"{name} (chosen)")
    n = curve["customers"].to_numpy(dtype=float)
    ax.scatter(curve["p_mean"], curve["y_rate"], s=20 + 280 * n / max(n.max(), 1.0), color=colors[chosen],
               edgecolor="white", zorder=4)
    for x, y, k in zip(curve["p_mean"], curve["y_rate"], curve["customers"]):
        ax.annotate(f"{int(k):,}", (x, y), xytext=(7, -11), textcoords="offset points", fontsize=8, color="dimgrey")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlim=(-0.02, 1.02), ylim=(-0.02, 1.02))
    ax.set_aspect("equal")
    ax.set_xlabel("预测复购概率(每组平均)" if zh else "predicted probability (mean per bin)")
    ax.set_ylabel("实际复购比例" if zh else "share who bought again")
    ece = float(model.backtest_.at[chosen, "ece"])
    ax.set_title(f"回测校准曲线:所选{name} ECE = {ece:.3f}" if zh
                 else f"backtest calibration: chosen {name}, ECE = {ece:.3f}")
    ax.legend(loc="upper left", fontsize=9,
              title="点的大小与数字 = 客户数" if zh else "point size and number = customers", title_fontsize=8)
    return fig


def plot_gains(model, lang: str = "zh", lift: bool = True):
    """Cumulative gains by decile for every candidate, and the chosen one's lift per decile.

    Left: contacting customers from the highest score down, the share of
    the backtest window's repeat buyers found (x: share of customers
    contacted), one curve per candidate, the chosen one bold, beside the
    line of contacting at random. Right (``lift=True``): the chosen
    candidate's buy rate per decile over the overall rate.

    Parameters
    ----------
    model : RepurchaseModel
        A fitted :class:`sikit.RepurchaseModel` (``gains_``, ``chosen_``).
    lang : {"zh", "en"}
    lift : bool, default True
        Add the lift-by-decile panel.
    """
    zh = configure_plotting(lang) == "zh"
    if lift:
        fig, (ax, bx) = plt.subplots(1, 2, figsize=(13, 5.2), layout="constrained",
                                     gridspec_kw={"width_ratios": [1.1, 1]})
    else:
        fig, ax = plt.subplots(figsize=(6.8, 5.2), layout="constrained")
    chosen = model.chosen_
    tables = model.gains_
    colors = _candidate_colors(list(tables))
    ax.plot([0, 1], [0, 1], ls="--", color="grey", lw=1, label="随机联系" if zh else "contacting at random")

    def curve(g):
        x = np.r_[0.0, g["customers"].cumsum().to_numpy(dtype=float) / float(g["customers"].sum())]
        return x, np.r_[0.0, g["cumulative_gain"].to_numpy(dtype=float)]

    for name, g in tables.items():
        if name != chosen:
            ax.plot(*curve(g), "o-", ms=3, lw=1, alpha=0.45, color=colors[name], label=_candidate_name(name, zh))
    g = tables[chosen]
    name = _candidate_name(chosen, zh)
    ax.plot(*curve(g), "o-", ms=5, lw=2.5, color=colors[chosen], zorder=3,
            label=f"{name}(所选)" if zh else f"{name} (chosen)")
    for axis in (ax.xaxis, ax.yaxis):
        axis.set_major_formatter(PercentFormatter(1.0))
    ax.set(xlim=(0, 1), ylim=(0, 1.02))
    ax.set_xlabel("联系的客户占比(按得分从高到低)" if zh else "share of customers contacted (highest score first)")
    ax.set_ylabel("找到的复购客户占比" if zh else "share of repeat buyers found")
    ax.set_title("累计增益(回测窗口)" if zh else "cumulative gains (backtest window)")
    ax.legend(loc="lower right", fontsize=9)
    # The manager's sentence: how many repeat buyers the top 30% hold.
    x, y = curve(g)
    i = int(np.argmin(np.abs(x - 0.3)))
    if lift:
        bars = bx.bar(g["group"].to_numpy(), g["lift"].to_numpy(dtype=float), color=colors[chosen])
        bx.bar_label(bars, labels=[f"{v:.1f}×" for v in g["lift"]], padding=2, fontsize=9)
        bx.axhline(1.0, ls="--", color="grey", lw=1)
        bx.set_xticks(g["group"].to_numpy())
        bx.set_xlabel("十分位(1 = 得分最高的 10%)" if zh else "decile (1 = top 10% by score)")
        bx.set_ylabel("提升度(该组复购率 ÷ 整体复购率)" if zh else "lift (decile buy rate ÷ overall rate)")
        bx.set_ylim(0, max(float(g["lift"].max()), 1.0) * 1.15)
        bx.set_title(f"{name}:各十分位的提升度" if zh else f"{name}: lift by decile")
    fig.suptitle(f"按所选{name}的得分从高到低联系:前 {x[i]:.0%} 的客户覆盖了 {y[i]:.0%} 的复购客户(回测)" if zh
                 else f"contacting in order of the chosen score ({name}): the top {x[i]:.0%} of customers "
                      f"held {y[i]:.0%} of the repeat buyers (backtest)")
    return fig


def plot_propensity(scores: pd.DataFrame, lang: str = "zh"):
    """Histogram of ``p_repurchase`` coloured by band, the band cut-offs marked (dashed).

    Parameters
    ----------
    scores : DataFrame
        ``scores.csv`` / :meth:`RepurchaseModel.score`: ``p_repurchase`` and ``band`` (高/中/低).
    lang : {"zh", "en"}
    """
    from ._propensity import BANDS, BANDS_EN

    zh, fig, ax = _start(lang, (9, 3.2))
    colors = {"高": "#2f855a", "中": "#d69e2e", "低": "#a0aec0"}
    bins = np.linspace(0, 1, 41)
    for band in ("低", "中", "高"):
        p = scores.loc[scores["band"] == band, "p_repurchase"]
        ax.hist(p, bins=bins, color=colors[band], label=band if zh else BANDS_EN[band])
    for cut in (BANDS["中"], BANDS["高"]):
        ax.axvline(cut, color="#4a5568", linestyle="--", linewidth=1)
    ax.set_xlabel("复购概率" if zh else "p_repurchase")
    ax.set_ylabel("客户数" if zh else "customers")
    ax.legend(title="档位" if zh else "band")
    return fig


def plot_importance(model, lang: str = "zh", top: int = 10):
    """Permutation importance of the scoring model: how much the AUC drops when a feature is shuffled.

    Horizontal bars (with the spread over repeats) for the ``top`` features
    whose shuffling changes the AUC at all, labelled in plain words.
    Features that change nothing are counted in a note: when a baseline
    scores (e.g. BG/NBD alone) only its one or two inputs matter.

    Parameters
    ----------
    model : RepurchaseModel
        A fitted :class:`sikit.RepurchaseModel` (``importance_``,
        ``chosen_``, ``horizon``).
    lang : {"zh", "en"}
    top : int, default 10
    """
    imp = model.importance_.sort_values(["importance", "feature"], ascending=[False, True], kind="stable")
    used = imp[(imp["importance"].abs() > 1e-12) | (imp["std"] > 1e-12)]
    shown = used.head(top)
    unused = len(imp) - len(used)
    zh, fig, ax = _start(lang, (8.5, 1.9 + 0.42 * max(len(shown), 1)))
    name = _candidate_name(model.chosen_, zh)
    horizon = getattr(model, "horizon", 90)
    ax.set_title(f"哪些特征驱动{name}的打分(打乱后 AUC 下降)" if zh
                 else f"what drives the {name} score (drop in AUC when shuffled)")
    if unused:
        note = (f"另有 {unused} 个特征打乱后 AUC 不变:所选模型没有用到它们" if zh
                else f"{unused} more features change nothing when shuffled: the chosen model does not use them")
        fig.supxlabel(note, fontsize=9, color="dimgrey")
    if shown.empty:
        ax.text(0.5, 0.5, "打乱任何特征 AUC 都不变" if zh else "shuffling no feature changes the AUC",
                ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    y = np.arange(len(shown))
    values = shown["importance"].to_numpy(dtype=float)
    spread = shown["std"].to_numpy(dtype=float)
    ax.barh(y, values, height=0.6, xerr=spread, color=sns.color_palette()[0],
            error_kw={"ecolor": "dimgrey", "capsize": 3, "lw": 1})
    for v, sd, yy in zip(values, spread, y):  # beside the error bar, not under it
        ax.annotate(f"{v:.3f}", (max(v, 0.0) + sd, yy), xytext=(5, 0), textcoords="offset points",
                    va="center", fontsize=9)
    ax.set_yticks(y, [_feature_label(f, zh, horizon) for f in shown["feature"]])
    ax.axvline(0, color="black", lw=0.8)
    hi = float((shown["importance"] + shown["std"]).max())
    lo = float(min((shown["importance"] - shown["std"]).min(), 0.0))
    ax.set_xlim(lo * 1.2, max(hi, 1e-3) * 1.3)
    ax.set_ylim(len(shown) - 0.5, -0.5)  # the most important on top
    ax.set_xlabel("打乱该特征后 AUC 的下降(越大越重要)" if zh
                  else "drop in AUC when the feature is shuffled (larger = more important)")
    return fig


def plot_group_health(lifecycle: pd.DataFrame, lang: str = "zh", top: int = 15):
    """社群健康度: each group's member growth against its message change, colored by lifecycle stage.

    Parameters
    ----------
    lifecycle : DataFrame
        :func:`sikit.metrics.group_lifecycle`: one row per group with
        ``members_now``, ``member_growth``, ``message_change`` and ``stage``.
    lang : {"zh", "en"}
    top : int, default 15
        How many of the largest groups (by members now) to show. Groups
        whose growth or message change cannot be computed (nobody a window
        ago, no messages in the window before) cannot be placed and are
        counted in the title instead.

    The dashed lines are the thresholds of
    :data:`sikit.metrics.LIFECYCLE_RULE`; group names are brand data and are
    written next to their points.
    """
    from ._metrics import LIFECYCLE_RULE, STAGES

    rule = lifecycle.attrs.get("rule", LIFECYCLE_RULE)
    window = lifecycle.attrs.get("window_days")
    data = lifecycle.sort_values("members_now", ascending=False, kind="stable").head(top)
    placed = data[data["member_growth"].notna() & data["message_change"].notna()]
    zh, fig, ax = _start(lang, (8.5, 6))
    days = (f"近 {window} 天" if zh else f"last {window} days") if window else ("近一个周期" if zh else "last window")
    title = (f"社群健康度:成员增长与发言变化({days},{len(placed)}/{len(lifecycle):,} 个群)" if zh
             else f"group health: member growth and message change ({days}, {len(placed)} of {len(lifecycle):,} groups)")
    if len(data) > len(placed):
        title += (f"\n另有 {len(data) - len(placed)} 个群无法定位(一个周期前无成员或无发言)" if zh
                  else f"\n{len(data) - len(placed)} more cannot be placed (no members or messages a window ago)")
    ax.set_title(title)
    if len(placed) == 0:
        ax.text(0.5, 0.5, "没有可比较的群" if zh else "no groups to compare", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return fig
    palette = sns.color_palette()
    colors = {"growing": palette[2], "stable": palette[0], "declining": palette[3]}
    size = placed["members_now"].to_numpy(dtype=float)
    area = 40 + 260 * size / max(float(size.max()), 1.0)
    for stage, color in colors.items():
        part = (placed["stage"] == stage).to_numpy()
        if part.any():
            ax.scatter(placed["member_growth"][part], placed["message_change"][part], s=area[part], color=color,
                       alpha=0.75, edgecolor="white", label=STAGES[stage][0 if zh else 1])
    for name, x, y in zip(placed.index, placed["member_growth"], placed["message_change"]):
        ax.annotate(str(name), (x, y), xytext=(5, 5), textcoords="offset points", fontsize=8)
    style = {"color": "0.45", "linestyle": "--", "linewidth": 1}
    ax.axvline(rule["grow_members"], **style)
    ax.axvline(-rule["decline_members"], **style)
    ax.axhline(-rule["message_drop"], **style)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.yaxis.set_major_formatter(PercentFormatter(1.0, decimals=0))
    ax.set_xlabel("成员增长(对比一个周期前)" if zh else "member growth (against a window ago)")
    ax.set_ylabel("发言数变化(对比上一周期)" if zh else "message change (against the window before)")
    legend = ax.legend(title="阶段" if zh else "stage", loc="best")
    for handle in legend.legend_handles:   # one marker size in the legend, whatever the group sizes
        handle.set_sizes([60])
    return fig
