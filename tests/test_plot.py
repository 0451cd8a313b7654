"""Charts render Chinese: a missing glyph is an error, not a silent box."""

from __future__ import annotations

import warnings

import matplotlib

matplotlib.use("Agg")
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
