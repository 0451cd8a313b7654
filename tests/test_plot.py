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
def segs():
    data = sikit.clean(contacts=ROOT / "data/sample/contacts.csv", orders=ROOT / "data/sample/orders.xlsx")
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
