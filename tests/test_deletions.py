"""The contact deletion log (流失客户 / 删除记录): read like any export, every row accounted for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from _export_files import TWO_ACCOUNT_CONTACTS as CONTACTS

import sikit
from sikit import _schema as S
from sikit._cli import main
from sikit._load import read_clean_deletions

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

LOG = """企业微信流失客户(导出)
外部联系人ID,删除时间,删除方,跟进员工,备注
wmA,2026-01-05 10:00,客户删除员工,小李,
wmA,2026-01-05 10:00:00,客户删除员工,小李,
wmA,2026-02-01 10:00,员工删除客户,小李,
wmB,2026/1/6 9:30,不详,小王,
,2026-01-07 10:00,客户删除员工,小王,
wmC,昨天,客户删除员工,,
wmC,,员工删除客户,,
,,,,
wmA2,2026-01-08 10:00,客户删除员工,小李,
wmZ,2026-01-09 10:00,staff,,
"""
# line 3 kept; 4 the same customer and time again: merged into 3; 5 wmA deleted again later: kept;
# 6 kept, 删除方 not recognised (set empty); 7 no id; 8, 9 no usable time; 10 empty; 11, 12 kept.



@pytest.fixture
def log(tmp_path):
    path = tmp_path / "deletions.csv"
    path.write_bytes(LOG.encode("gb18030"))
    return path


def _account(stats):
    return stats["rows_in"], stats["kept"], stats["merged"], stats["rejected"]


def test_every_row_is_kept_merged_or_rejected_with_a_reason(log):
    result = sikit.clean(deletions=log)
    stats = result.report["tables"]["deletions"]
    assert _account(stats) == (10, 5, 1, 4) and result.report["balanced"]
    assert stats["rejected_by_reason"] == {"bad_deleted_at": 2, "empty_row": 1, "no_customer_id": 1}
    assert stats["merged_by_reason"] == {"duplicate_deletion": 1}
    assert stats["field_fixes"] == {"deleted_by_unknown": 1}
    assert stats["by_deleted_by"] == {"customer": 2, "staff": 2, "unknown": 1}
    assert stats["unmatched"] is None and "备注" in stats["ignored_columns"]
    d = result.deletions
    assert list(d.columns[:4]) == [S.CUSTOMER_ID, S.DELETED_AT, S.DELETED_BY, S.STAFF]
    assert d[S.SOURCE_ROW].tolist() == [3, 5, 6, 11, 12]  # title line 1, header line 2
    assert d[S.CUSTOMER_ID].tolist() == ["wmA", "wmA", "wmB", "wmA2", "wmZ"]
    assert d[S.DELETED_BY].tolist()[:2] == ["customer", "staff"] and pd.isna(d[S.DELETED_BY].iloc[2])
    assert d[S.DELETED_AT].iloc[2] == pd.Timestamp("2026-01-06 09:30", tz=S.TIMEZONE)
    assert result.merged[[S.SOURCE_ROW, "into_source_row", "reason"]].values.tolist() == [
        [4, 3, "duplicate_deletion"]]
    assert sorted(result.rejected[S.SOURCE_ROW]) == [7, 8, 9, 10]


def test_ids_map_through_the_contacts_cleaned_in_the_same_call(log):
    result = sikit.clean(contacts=CONTACTS, deletions=log)
    assert result.report["balanced"]
    d = result.deletions
    # wmA2 was merged into the customer wmA; wmZ is no contact: kept, counted as unmatched
    assert d[S.CUSTOMER_ID].tolist() == ["wmA", "wmA", "wmB", "wmA", "wmZ"]
    assert d["matched"].tolist() == [True, True, True, True, False]
    assert result.report["tables"]["deletions"]["unmatched"] == 1
    text = result.summary()
    assert "删除记录" in text and "未匹配到联系人的行: 1" in text
    assert "deletions" in result.summary(lang="en")


@pytest.fixture(scope="module")
def sample():
    return sikit.clean(contacts=SAMPLE / "contacts.csv", deletions=SAMPLE / "deletions.csv")


def test_sample_log_cleans_without_loss(sample):
    stats = sample.report["tables"]["deletions"]
    assert stats["rejected"] == 0 and stats["merged"] == 0 and stats["unmatched"] == 0, stats
    assert stats["field_fixes"] == {} and sample.report["balanced"]
    raw = (SAMPLE / "deletions.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf") and raw.count(b"\r\n") == raw.count(b"\n")


def test_sample_deletions_are_contacts_deleted_after_being_added(sample):
    d, c = sample.deletions, sample.contacts
    assert d[S.CUSTOMER_ID].is_unique and d[S.CUSTOMER_ID].isin(c[S.CUSTOMER_ID]).all()
    both = d.merge(c[[S.CUSTOMER_ID, S.ADDED_AT, S.CHANNEL]], on=S.CUSTOMER_ID, how="left", validate="one_to_one")
    assert (both[S.DELETED_AT] > both[S.ADDED_AT]).all()
    assert d[S.DELETED_AT].max() <= pd.Timestamp("2026-10-31 23:59:59", tz=S.TIMEZONE)
    # a realistic share of contacts, more often from live streams and 小红书, mostly by the customer
    assert 0.03 < len(d) / len(c) < 0.1
    share = both[S.CHANNEL].value_counts(normalize=True)
    base = c[S.CHANNEL].value_counts(normalize=True)
    assert share["抖音直播"] > base["抖音直播"] and share["小红书"] > base["小红书"]
    assert (d[S.DELETED_BY] == "customer").mean() > 0.6


def test_sample_parquet_deletions_clean(tmp_path):
    from sikit.sample import generate

    data = generate(tmp_path, customers=400, seed=5, format="parquet")
    result = sikit.clean(contacts=data.paths["contacts"], deletions=data.paths["deletions"])
    stats = result.report["tables"]["deletions"]
    assert stats["rejected"] == 0 and stats["unmatched"] == 0 and stats["field_fixes"] == {}, stats
    assert len(result.deletions) == len(data.deletions) > 0


def test_cli_writes_the_parquet_file_and_names_a_missing_column(log, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["clean", "--deletions", str(log), "--out", str(out)]) == 0
    assert len(read_clean_deletions(out)) == 5
    assert read_clean_deletions(tmp_path) is None
    bad = tmp_path / "bad.csv"
    bad.write_text("外部联系人ID,删除方\nwmA,客户删除员工\n", encoding="utf-8-sig")
    assert main(["clean", "--deletions", str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "missing required column 'deleted_at' for deletions" in err and "删除时间" in err
    assert err.count("\n") == 1
