"""Channel cost sheets: read like any export, every row accounted for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sikit
from sikit import _schema as S
from sikit._cli import main
from sikit.sample import COST_PER_CONTACT

ROOT = Path(__file__).resolve().parents[1]
SHEET = """渠道费用表(财务口径)
月份,渠道,投放费用,备注
2026-01,抖音直播,"¥12,000",
2026年2月,抖音直播,8000元,
2026-02,抖音直播,500,第二张发票
2026-02,门店活码,-100,
,包裹卡,500,
2026-13,小红书,300,
2026-03,,300,
,,,
2026/03,公众号,1.2万,
"""


@pytest.fixture
def sheet(tmp_path):
    path = tmp_path / "costs.csv"
    path.write_bytes(SHEET.encode("gb18030"))
    return path


def test_every_row_is_kept_or_rejected_with_a_reason(sheet):
    result = sikit.clean(costs=sheet)
    stats = result.report["tables"]["costs"]
    assert (stats["rows_in"], stats["kept"], stats["merged"], stats["rejected"]) == (9, 4, 0, 5)
    assert result.report["balanced"]
    assert stats["rejected_by_reason"] == {"bad_month": 2, "empty_row": 1, "negative_spend": 1, "no_channel": 1}
    # the title line and header count: the first data row is line 3 of the file
    assert result.costs[S.SOURCE_ROW].tolist() == [3, 4, 5, 11]
    assert result.costs[S.MONTH].tolist() == ["2026-01", "2026-02", "2026-02", "2026-03"]
    assert result.costs[S.SPEND].tolist() == [12000.0, 8000.0, 500.0, 12000.0]
    # two invoices for one channel and month are both kept: they add up
    feb = result.costs[(result.costs[S.CHANNEL] == "抖音直播") & (result.costs[S.MONTH] == "2026-02")]
    assert feb[S.SPEND].sum() == 8500.0
    assert stats["total_spend"] == 32500.0
    assert "备注" in stats["ignored_columns"]


def test_sample_sheet_matches_the_simulated_new_contacts():
    """The generator's spend is new contacts x cost per contact x noise: check the order of magnitude."""
    data = sikit.clean(contacts=ROOT / "data/sample/contacts.csv", costs=ROOT / "data/sample/channel_costs.xlsx")
    assert data.report["tables"]["costs"]["rejected"] == 0
    costs = data.costs
    assert set(costs[S.CHANNEL]) == set(COST_PER_CONTACT)  # 企微搜索手机号 is free: no row
    added = data.contacts[S.ADDED_AT].dt.strftime("%Y-%m")
    new = data.contacts.assign(month=added).groupby(["channel", "month"]).size()
    per_contact = costs.set_index([S.CHANNEL, S.MONTH])[S.SPEND] / new.reindex(
        costs.set_index([S.CHANNEL, S.MONTH]).index)
    ratio = per_contact.groupby(level=0).median() / pd.Series(COST_PER_CONTACT)
    assert ratio.between(0.7, 1.3).all(), ratio


def test_cli_writes_the_clean_sheet_and_names_a_missing_column(sheet, tmp_path, capsys):
    assert main(["clean", "--costs", str(sheet), "--out", str(tmp_path / "out")]) == 0
    assert len(pd.read_parquet(tmp_path / "out/channel_costs.parquet")) == 4
    bad = tmp_path / "bad.csv"
    bad.write_text("渠道,投放费用\n抖音直播,100\n", encoding="utf-8-sig")
    assert main(["clean", "--costs", str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "missing required column 'month' for costs" in err and "月份" in err and err.count("\n") == 1
