"""Charts render Chinese: a missing glyph is an error, not a silent box."""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.text  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

import pandas as pd  # noqa: E402

import sikit  # noqa: E402
from sikit._plot import cjk_font, configure_plotting, plot_clean_report  # noqa: E402


def test_clean_report_chart_has_no_missing_glyphs(contacts_csv, orders_xlsx):
    if cjk_font() is None:
        pytest.skip("no CJK font on this machine (make test installs fonts-noto-cjk)")
    report = sikit.clean(contacts=contacts_csv, orders=orders_xlsx).report
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig = plot_clean_report(report, lang="zh")
        fig.canvas.draw()
    labels = [t.get_text() for ax in fig.axes for t in ax.get_yticklabels()]
    assert any("测试" in label for label in labels)
    plt.close(fig)


def test_theme_does_not_drop_the_cjk_font():
    if cjk_font() is None:
        pytest.skip("no CJK font on this machine")
    assert configure_plotting("zh") == "zh"
    assert matplotlib.rcParams["font.sans-serif"][0] == cjk_font()


def test_without_cjk_font_falls_back_to_english(monkeypatch):
    import sikit._plot as P

    monkeypatch.setattr(P, "cjk_font", lambda: None)
    monkeypatch.setattr(P, "_warned", False)
    with pytest.warns(RuntimeWarning, match="no CJK font"):
        assert P.configure_plotting("zh") == "en"
    fig = P.plot_clean_report({"tables": {"orders": {"rejected_by_reason": {"bad_amount": 1},
                                                     "merged_by_reason": {}, "field_fixes": {"x": 2}}}}, lang="zh")
    assert fig.axes[0].get_title() == "rows rejected or merged"
    plt.close(fig)


# --- the layering charts, on real segment output from the sample ---------------------------

ROOT = Path(__file__).resolve().parents[1]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def sample():
    return sikit.clean(contacts=ROOT / "data/sample/contacts.csv", orders=ROOT / "data/sample/orders.xlsx")


@pytest.fixture(scope="module")
def segs(sample):
    data = sample
    now = sikit.segment(data.orders, data.contacts, as_of="2026-10-31")
    then = sikit.segment(data.orders, data.contacts, as_of="2026-07-31", layering=now.layering)
    return then, now


def _chart(name, segs, lang):
    """(figure, what it was drawn from) for one chart."""
    then, now = segs
    if name == "layers":
        data = now.profile
        return sikit.plot_layers(data, lang=lang), data
    if name == "pareto":
        data = now.concentration
        return sikit.plot_pareto(data, lang=lang), data
    if name == "migration":
        data = sikit.migration(then.layers, now.layers, by=f"layer_name_{lang}")
        return sikit.plot_migration(data, lang=lang), data
    if name == "rfm":
        data = sikit.rfm_class_table(now.layers[now.layers["frequency"] > 0])
        return sikit.plot_rfm_classes(data, lang=lang), data
    data = now.layering
    return sikit.plot_k_selection(data, lang=lang), data


def _title(fig):
    return fig.get_suptitle() or fig.axes[0].get_title()


def _texts(fig):
    return [t.get_text() for t in fig.findobj(matplotlib.text.Text)]


CHARTS = ["layers", "pareto", "migration", "rfm", "k"]


@pytest.mark.parametrize("name", CHARTS)
def test_layer_charts_render_chinese_without_missing_glyphs(segs, name):
    if cjk_font() is None:
        pytest.skip("no CJK font on this machine (make test installs fonts-noto-cjk)")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig, data = _chart(name, segs, "zh")
        fig.canvas.draw()
    try:
        assert CJK.search(_title(fig))
        ax = fig.axes[0]
        if name == "layers":
            # customer share and spend share, one bar each per layer (未购 included)
            assert [len(c) for c in ax.containers] == [len(data), len(data)]
            assert [t.get_text() for t in ax.get_yticklabels()][0] == f"1 {data['layer_name_zh'].iloc[0]}"
        elif name == "pareto":
            assert any(f"前 {data.top:.0%} 客户贡献 {data.top_share:.0%} 消费" in t for t in _texts(fig))
        elif name == "migration":
            assert ax.collections[0].get_array().size == data.size
            assert len(ax.texts) == data.size  # every cell annotated
            assert int(ax.texts[0].get_text()) == data.iloc[0, 0]
            assert (ax.get_xlabel(), ax.get_ylabel()) == ("本期", "上期")
        elif name == "rfm":
            assert len(ax.patches) == 8
            assert [p.get_width() for p in ax.patches] == data["customers"].tolist()
        else:
            assert list(ax.lines[0].get_xdata()) == data.selection_["k"].tolist()
            assert list(ax.lines[1].get_xdata()) == [data.n_layers_]  # the chosen k, highlighted
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", CHARTS)
def test_layer_charts_label_in_english_and_show_no_ids(segs, name):
    fig, _ = _chart(name, segs, "en")
    try:
        texts = _texts(fig)
        assert _title(fig) and not CJK.search(_title(fig))
        assert not any(CJK.search(t) for t in texts)
        assert not any(re.search(r"c_[0-9a-f]{8}|1\d{10}", t) for t in texts)  # no customer id, no phone
    finally:
        plt.close(fig)


def test_k_selection_when_k_was_set_says_so(segs):
    _, now = segs
    buyers = now.layers[now.layers["frequency"] > 0]
    layering = sikit.Layering(n_layers=3, n_bootstrap=0).fit(buyers[["recency_days", "frequency", "monetary"]])
    fig = sikit.plot_k_selection(layering, lang="en")
    assert "3 layers as set" in _texts(fig)
    plt.close(fig)


# --- the repurchase charts, on a real RepurchaseModel fitted on the sample --------------------


@pytest.fixture(scope="module")
def repurchase(sample):
    return sikit.RepurchaseModel(horizon=90).fit(sample.orders, sample.contacts, as_of="2026-10-31")


def _repurchase_chart(name, model, lang):
    return {"reliability": sikit.plot_reliability, "gains": sikit.plot_gains,
            "importance": sikit.plot_importance}[name](model, lang=lang)


REPURCHASE_CHARTS = ["reliability", "gains", "importance"]


@pytest.mark.parametrize("name", REPURCHASE_CHARTS)
def test_repurchase_charts_render_chinese_without_missing_glyphs(repurchase, name):
    if cjk_font() is None:
        pytest.skip("no CJK font on this machine (make test installs fonts-noto-cjk)")
    from sikit._propensity import CANDIDATES

    m = repurchase
    chosen_zh = CANDIDATES[m.chosen_][0]
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig = _repurchase_chart(name, m, "zh")
        fig.canvas.draw()
    try:
        assert CJK.search(_title(fig)) and chosen_zh in _title(fig)
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()] if ax.get_legend() else []
        if name == "reliability":
            assert f"ECE = {m.backtest_.at[m.chosen_, 'ece']:.3f}" in _title(fig)
            assert len(ax.lines) == len(m.reliability_) + 1  # one curve per candidate, and the diagonal
            chosen = m.reliability_[m.chosen_]
            assert ax.collections[0].get_offsets().shape[0] == len(chosen)  # the chosen bins, sized by customers
            assert f"{chosen_zh}(所选)" in labels
            assert {f"{n:,}" for n in chosen["customers"]} <= set(_texts(fig))
        elif name == "gains":
            assert len(ax.lines) == len(m.gains_) + 1  # one curve per candidate, and the random line
            g = m.gains_[m.chosen_]
            line = next(ln for ln in ax.lines if ln.get_label() == f"{chosen_zh}(所选)")
            assert list(line.get_ydata()) == pytest.approx([0.0, *g["cumulative_gain"]])
            assert line.get_xdata()[-1] == pytest.approx(1.0)
            lift = fig.axes[1]
            assert [p.get_height() for p in lift.patches] == pytest.approx(g["lift"].tolist())
            assert len(lift.patches) == len(g) == 10  # deciles
        else:
            imp = m.importance_
            used = imp[(imp["importance"] != 0) | (imp["std"] != 0)]
            assert len(ax.patches) == min(10, len(used)) >= 1
            assert [p.get_width() for p in ax.patches] == pytest.approx(used["importance"].head(10).tolist())
            ticks = [t.get_text() for t in ax.get_yticklabels()]
            assert all(CJK.search(t) for t in ticks)  # plain Chinese names, not column names
            if len(used) < len(imp):
                assert any(f"另有 {len(imp) - len(used)} 个特征" in t for t in _texts(fig))
    finally:
        plt.close(fig)


@pytest.mark.parametrize("name", REPURCHASE_CHARTS)
def test_repurchase_charts_label_in_english_and_show_no_ids(repurchase, name):
    from sikit._propensity import CANDIDATES

    fig = _repurchase_chart(name, repurchase, "en")
    try:
        texts = _texts(fig)
        assert _title(fig) and not CJK.search(_title(fig))
        assert CANDIDATES[repurchase.chosen_][1] in _title(fig)
        assert not any(CJK.search(t) for t in texts)
        assert not any(re.search(r"c_[0-9a-f]{8}|wm[0-9A-Za-z]{10}|1\d{10}", t) for t in texts)
    finally:
        plt.close(fig)


def test_plot_gains_without_lift_panel(repurchase):
    fig = sikit.plot_gains(repurchase, lang="en", lift=False)
    try:
        assert len(fig.axes) == 1
        assert "top 30% of customers" in fig.get_suptitle()
    finally:
        plt.close(fig)


def _importance_stub(importance, chosen="gradient_boosting"):
    import types

    return types.SimpleNamespace(importance_=pd.DataFrame(importance, columns=["feature", "importance", "std"]),
                                 chosen_=chosen, horizon=60)


def test_importance_keeps_the_top_features_in_order_with_plain_labels():
    from sikit._features import FEATURE_NAMES
    from sikit._propensity import PROPENSITY_FEATURE_NAMES

    names = {**FEATURE_NAMES, **PROPENSITY_FEATURE_NAMES}
    features = list(names)  # most important first
    stub = _importance_stub([(f, 0.001 * (len(features) - i), 0.0005) for i, f in enumerate(features)])
    for lang, i in (("zh", 0), ("en", 1)):
        for top in (5, len(features)):
            fig = sikit.plot_importance(stub, lang=lang, top=top)
            try:
                ax = fig.axes[0]
                assert [p.get_width() for p in ax.patches] == pytest.approx(stub.importance_["importance"][:top])
                # every feature has a label in both languages; {h} is the model's horizon
                ticks = [t.get_text() for t in ax.get_yticklabels()]
                assert ticks == [names[f][i].format(h=60) for f in features[:top]]
                assert all(bool(CJK.search(t)) == (lang == "zh") for t in ticks)
            finally:
                plt.close(fig)
    assert names["orders_last_horizon"][0].format(h=60) == "近 60 天下单数"


def test_importance_when_no_feature_matters_says_so():
    stub = _importance_stub([("recency_days", 0.0, 0.0), ("frequency", 0.0, 0.0)], chosen="recency")
    fig = sikit.plot_importance(stub, lang="en")
    try:
        assert len(fig.axes[0].patches) == 0
        assert "shuffling no feature changes the AUC" in _texts(fig)
        assert "recency only" in _title(fig)
    finally:
        plt.close(fig)


def test_every_propensity_feature_has_a_plain_label(repurchase):
    from sikit._features import FEATURE_NAMES
    from sikit._propensity import PROPENSITY_FEATURE_NAMES

    assert set(repurchase.importance_["feature"]) <= {*FEATURE_NAMES, *PROPENSITY_FEATURE_NAMES}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_cohort_heatmap_leaves_unobservable_cells_blank(sample, lang):
    matrix = sikit.metrics.cohort_retention(sample.orders, as_of="2026-10-31", max_periods=6).tail(8)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="Glyph .* missing")
        fig = sikit.plot_cohort(matrix, lang=lang)
        fig.canvas.draw()
    ax = fig.axes[0]
    annotations = [t.get_text() for t in ax.texts]
    # one annotation per observable cell; NA cells get none (blank), never "0%"
    assert len(annotations) == int(matrix.notna().sum().sum())
    assert matrix.isna().any().any()
    assert bool(CJK.search(ax.get_title())) == (lang == "zh")
    plt.close(fig)


# --- the operations charts: conversion funnel by channel, referral trees --------------------

@pytest.fixture(scope="module")
def funnel_table(sample):
    return sikit.metrics.compute("conversion_rate", sample.orders, sample.contacts, start="2026-01-01",
                                 end="2026-06-30", by="channel", within_days=30, as_of="2026-10-31")


@pytest.fixture(scope="module")
def tree(sample):
    return sikit.metrics.referral_tree(sample.contacts, as_of="2026-10-31")


IDS = re.compile(r"c_[0-9a-f]{8}|wm[0-9A-Za-z]{10}|1\d{10}")


def _draw(plot, data, lang="zh", **kwargs):
    """The chart, drawn with a missing glyph as an error; skipped in Chinese where no CJK font is installed."""
    if lang == "zh" and cjk_font() is None:
        pytest.skip("no CJK font on this machine (make test installs fonts-noto-cjk)")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        fig = plot(data, lang=lang, **kwargs)
        fig.canvas.draw()
    return fig


def test_funnel_renders_chinese_bars_sorted_by_contacts(funnel_table):
    t = funnel_table
    fig = _draw(sikit.plot_funnel, t)
    try:
        ax = fig.axes[0]
        assert CJK.search(_title(fig)) and "30 天" in _title(fig)
        order = t.sort_values("denominator", ascending=False, kind="stable")
        # contacts added (light) and converted (dark), one bar each per channel, the largest on top
        assert [len(c) for c in ax.containers] == [len(t), len(t)]
        assert [p.get_width() for p in ax.containers[0]] == order["denominator"].tolist()
        assert [p.get_width() for p in ax.containers[1]] == order["numerator"].tolist()
        assert [x.get_text() for x in ax.get_yticklabels()] == [str(c) for c in order.index]
        assert {f"{r:.0%}" for r in order["value"]} <= set(_texts(fig))
    finally:
        plt.close(fig)


def test_funnel_in_english_labels_unknown_channel_and_shows_no_ids(funnel_table):
    # channel labels are the table's own: give them English names, plus a missing channel
    t = funnel_table.copy()
    t.index = pd.Index([f"channel {i}" for i in range(1, len(t))] + [None], name="channel", dtype="object")
    fig = sikit.plot_funnel(t, lang="en", within_days=14)
    try:
        texts = _texts(fig)
        assert "within 14 days" in _title(fig)
        assert not any(CJK.search(x) for x in texts)
        assert not any(IDS.search(x) for x in texts)
        assert "unknown channel" in [x.get_text() for x in fig.axes[0].get_yticklabels()]
    finally:
        plt.close(fig)


@pytest.fixture(scope="module")
def acquisition_table(sample):
    return sikit.metrics.acquisition(sample.contacts, start="2025-11-01", end="2026-10-31")


def test_acquisition_chart_renders_chinese_stacked_bars(acquisition_table):
    t = acquisition_table
    fig = _draw(sikit.plot_acquisition, t)
    try:
        ax = fig.axes[0]
        assert CJK.search(_title(fig)) and f"{int(t.to_numpy().sum()):,}" in _title(fig)
        # one stack of bars per channel, one bar per month; the stacks' tops are the month totals
        assert [len(c) for c in ax.containers] == [len(t)] * t.shape[1]
        tops = [p.get_y() + p.get_height() for p in ax.containers[-1]]
        assert tops == pytest.approx(t.sum(axis=1).tolist())
        assert [x.get_text() for x in ax.get_xticklabels()] == t.index.tolist()
        assert [x.get_text() for x in ax.get_legend().get_texts()] == [str(c) for c in t.columns]
        assert not any(IDS.search(x) for x in _texts(fig))
    finally:
        plt.close(fig)


def test_acquisition_chart_in_english_labels_unknown_channel(acquisition_table):
    import pandas as pd

    # channel labels are the table's own: give them English names, plus the unknown channel
    t = acquisition_table.iloc[:, :3].copy()
    t.columns = pd.Index(["store QR", "parcel card", "未知渠道"], name="channel")
    fig = sikit.plot_acquisition(t, lang="en")
    try:
        texts = _texts(fig)
        assert _title(fig).startswith("new contacts per month by channel")
        assert not any(CJK.search(x) for x in texts)
        assert "unknown channel" in [x.get_text() for x in fig.axes[0].get_legend().get_texts()]
    finally:
        plt.close(fig)
    empty = sikit.plot_acquisition(t.iloc[:, :0], lang="en")
    assert "no new contacts in the period" in _texts(empty)
    plt.close(empty)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_referrals_chart_ranks_roots_without_ids(tree, lang):
    fig = _draw(sikit.plot_referrals, tree, lang, top=7)
    try:
        ax = fig.axes[0]
        texts = _texts(fig)
        top = tree.sort_values("size", ascending=False, kind="stable").head(7)
        assert len(ax.patches) == 7
        assert [p.get_width() for p in ax.patches] == top["size"].tolist()
        ticks = [x.get_text() for x in ax.get_yticklabels()]
        assert ticks == [("推荐人 " if lang == "zh" else "referrer ") + str(i) for i in range(1, 8)]
        assert bool(CJK.search(_title(fig))) == (lang == "zh")
        assert f"{len(tree):,}" in _title(fig)
        depth = f"深度 {top['depth'].iloc[0]} 代" if lang == "zh" else f"depth {top['depth'].iloc[0]}"
        assert any(depth in x for x in texts)  # depth annotated
        if lang == "en":
            assert not any(CJK.search(x) for x in texts)
        assert not any(IDS.search(x) or any(str(r) in x for r in tree.index) for x in texts)
    finally:
        plt.close(fig)


def test_referrals_chart_without_referrals_says_so(tree):
    fig = sikit.plot_referrals(tree.iloc[:0], lang="en")
    try:
        assert "no referrals yet" in _texts(fig)
        assert len(fig.axes[0].patches) == 0
    finally:
        plt.close(fig)


# --- 社群 health ------------------------------------------------------------------------------

def _lifecycle():
    import pandas as pd

    from sikit.metrics import group_lifecycle

    tz = "Asia/Shanghai"
    rows, acts = [], []
    # (group, members then, joined since, left since, messages before, messages last window)
    for name, then, joined, left, prev, last in [("会员福利群1", 20, 2, 0, 100, 80), ("新品体验群", 25, 1, 0, 50, 60),
                                                 ("老客群", 20, 0, 4, 100, 100), ("closing", 10, 0, 0, 100, 20),
                                                 ("新开群", 0, 3, 0, 0, 5)]:
        for i in range(then + joined):
            rows.append((name, f"{name}-{i}", "2026-01-02 10:00" if i < then else "2026-03-15 10:00",
                         "2026-03-20 10:00" if i < left else None))
        acts += [(name, f"{name}-0", "2026-02-15", prev), (name, f"{name}-0", "2026-03-25", last)]
    members = pd.DataFrame({"group_name": [r[0] for r in rows], "customer_id": [r[1] for r in rows],
                            "joined_at": pd.to_datetime([r[2] for r in rows]).tz_localize(tz),
                            "left_at": pd.to_datetime([r[3] for r in rows]).tz_localize(tz)})
    activity = pd.DataFrame({"group_name": [a[0] for a in acts], "customer_id": [a[1] for a in acts],
                             "date": pd.to_datetime([a[2] for a in acts]), "messages": [a[3] for a in acts]})
    activity = activity[activity["messages"] > 0]
    return group_lifecycle(members, activity, as_of="2026-03-31")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_group_health_chart(lang):
    life = _lifecycle()
    assert set(life["stage"]) == {"growing", "stable", "declining"}
    fig = _draw(sikit.plot_group_health, life, lang)
    try:
        ax = fig.axes[0]
        texts = _texts(fig)
        # the new group has no growth (nobody a window ago): 4 of 5 placed, the 5th counted in the title
        assert sum(len(c.get_offsets()) for c in ax.collections) == 4
        assert bool(CJK.search(_title(fig))) == (lang == "zh")
        assert ("4/5 个群" if lang == "zh" else "4 of 5 groups") in _title(fig)
        assert "近 30 天" in _title(fig) if lang == "zh" else "last 30 days" in _title(fig)
        assert {"会员福利群1", "新品体验群", "老客群", "closing"} <= set(texts)      # group names are shown
        legend = [t.get_text() for t in ax.get_legend().get_texts()]
        assert legend == (["成长", "稳定", "衰退"] if lang == "zh" else ["growing", "stable", "declining"])
        # the rule's thresholds: members +5% and -5% (vertical), messages -30% (horizontal)
        xs = sorted(round(line.get_xdata()[0], 2) for line in ax.lines if line.get_xdata()[0] == line.get_xdata()[1])
        ys = [round(line.get_ydata()[0], 2) for line in ax.lines if line.get_ydata()[0] == line.get_ydata()[1]]
        assert xs == [-0.05, 0.05] and ys == [-0.3]
        if lang == "en":
            assert not any(CJK.search(x) for x in texts if x not in set(life.index))
    finally:
        plt.close(fig)


def test_group_health_chart_top_and_empty():
    life = _lifecycle()
    fig = sikit.plot_group_health(life, lang="en", top=2)
    try:
        assert sum(len(c.get_offsets()) for c in fig.axes[0].collections) == 2     # the two largest groups
        assert "2 of 5 groups" in _title(fig)
    finally:
        plt.close(fig)
    fig = sikit.plot_group_health(life.iloc[:0], lang="en")
    try:
        assert "no groups to compare" in _texts(fig)
    finally:
        plt.close(fig)


def test_propensity_histogram_counts_every_score_in_its_band_colour():
    from sikit._propensity import BANDS, band_of

    p = pd.Series([0.05, 0.2, 0.29, 0.31, 0.5, 0.61, 0.9, 0.95, 0.99])
    scores = pd.DataFrame({"p_repurchase": p, "band": band_of(p)})
    for lang in ("zh", "en"):
        fig = _draw(sikit.plot_propensity, scores, lang=lang)
        ax = fig.axes[0]
        heights = [patch.get_height() for patch in ax.patches]
        assert sum(heights) == len(scores)  # every customer in one bar
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert labels == (["低", "中", "高"] if lang == "zh" else ["low", "medium", "high"])
        cuts = sorted(line.get_xdata()[0] for line in ax.get_lines())
        assert cuts == [BANDS["中"], BANDS["高"]]
        plt.close(fig)
