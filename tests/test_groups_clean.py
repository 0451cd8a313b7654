"""WeCom customer groups (社群): member lists and daily activity, read like any export, every row accounted for."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from _export_files import TWO_ACCOUNT_CONTACTS as CONTACTS

import sikit
from sikit import _schema as S
from sikit._cli import main
from sikit._load import read_clean_groups
from sikit.sample import ACTIVITY_DAYS

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data" / "sample"

MEMBERS = """企业微信客户群成员(导出)
群名称,外部联系人ID,入群时间,退群时间,群主
线上福利1群,wmA,2026-01-05 10:00,,小李
线上福利1群,wmA,2026-01-05 10:00:00,2026-03-01 12:00,小李
线上福利1群,wmB,2026/1/6 9:30,不详,小李
线上福利1群,wmC,2026-02-01 10:00,2026-01-01 10:00,
,wmD,2026-01-05 10:00,,
直播粉丝1群,,2026-01-05 10:00,,
直播粉丝1群,wmD,昨天,,
,,,,
直播粉丝1群,wmA2,2026-01-07 10:00,,
直播粉丝1群,wmZ,2026-01-08 10:00,,
"""

ACTIVITY = """客户群成员发言统计
日期,群名称,外部联系人ID,发言数
2026-01-05,线上福利1群,wmA,3
2026-01-05,线上福利1群,wmA,5
2026-01-05,线上福利1群,wmA2,2
2026/1/6,线上福利1群,wmB,1
2026-01-06,线上福利1群,wmB,-2
2026-01-06,线上福利1群,wmC,1.5
2026-13-01,线上福利1群,wmC,1
2026-01-07,,wmC,1
2026-01-07,直播粉丝1群,,1
,,,
2026-01-07,直播粉丝1群,wmZ,4
"""



@pytest.fixture
def files(tmp_path):
    members, activity = tmp_path / "members.csv", tmp_path / "activity.csv"
    members.write_bytes(MEMBERS.encode("gb18030"))
    activity.write_bytes(ACTIVITY.encode("gb18030"))
    return members, activity


def _account(stats):
    return stats["rows_in"], stats["kept"], stats["merged"], stats["rejected"]


def test_member_rows_are_kept_merged_or_rejected_with_a_reason(files):
    result = sikit.clean(group_members=files[0])
    stats = result.report["tables"]["group_members"]
    assert _account(stats) == (10, 5, 1, 4) and result.report["balanced"]
    assert stats["rejected_by_reason"] == {"bad_joined_at": 1, "empty_row": 1, "no_customer_id": 1, "no_group": 1}
    assert stats["merged_by_reason"] == {"duplicate_membership": 1}
    assert stats["field_fixes"] == {"left_at_unparseable": 1, "left_before_joined": 1}
    assert stats["unmatched"] is None and "群主" in stats["ignored_columns"]
    m = result.group_members
    assert m[S.SOURCE_ROW].tolist() == [3, 5, 6, 11, 12]  # title line 1, header line 2
    assert list(m.columns[:4]) == [S.GROUP_NAME, S.CUSTOMER_ID, S.JOINED_AT, S.LEFT_AT]
    # the duplicate of line 3 carried the exit time: the kept row has it
    assert m.loc[0, S.LEFT_AT] == pd.Timestamp("2026-03-01 12:00", tz=S.TIMEZONE)
    assert m[S.LEFT_AT].isna().tolist() == [False, True, True, True, True]
    merged = result.merged
    assert merged[[S.SOURCE_ROW, "into_source_row", "reason"]].values.tolist() == [[4, 3, "duplicate_membership"]]
    assert sorted(result.rejected[S.SOURCE_ROW]) == [7, 8, 9, 10]
    assert stats["groups"] == 2 and stats["still_in_group"] == 4


def test_activity_rows_are_kept_merged_or_rejected_with_a_reason(files):
    result = sikit.clean(group_activity=files[1])
    stats = result.report["tables"]["group_activity"]
    assert _account(stats) == (11, 4, 1, 6) and result.report["balanced"]
    assert stats["rejected_by_reason"] == {"bad_date": 1, "bad_messages": 2, "empty_row": 1, "no_customer_id": 1,
                                           "no_group": 1}
    assert stats["merged_by_reason"] == {"duplicate_activity": 1}
    a = result.group_activity
    assert a[S.SOURCE_ROW].tolist() == [3, 5, 6, 13]
    # a repeated day (overlapping downloads) keeps the larger count, it does not add up
    assert a[S.MESSAGES].tolist() == [5, 2, 1, 4]
    assert a[S.ACTIVITY_DATE].dt.strftime("%Y-%m-%d").tolist() == ["2026-01-05", "2026-01-05", "2026-01-06",
                                                                     "2026-01-07"]
    assert str(a[S.ACTIVITY_DATE].dtype).startswith("datetime64") and a[S.ACTIVITY_DATE].dt.tz is None
    assert stats["total_messages"] == 12


def test_ids_map_through_the_contacts_cleaned_in_the_same_call(files):
    result = sikit.clean(contacts=CONTACTS, group_members=files[0], group_activity=files[1])
    assert result.report["balanced"]
    m = result.group_members
    # wmA2 was merged into the customer wmA; wmZ is no contact: kept, counted as unmatched
    assert m[S.CUSTOMER_ID].tolist() == ["wmA", "wmB", "wmC", "wmA", "wmZ"]
    assert m["matched"].tolist() == [True, True, True, True, False]
    assert result.report["tables"]["group_members"]["unmatched"] == 1
    stats = result.report["tables"]["group_activity"]
    assert _account(stats) == (11, 3, 2, 6)
    assert stats["merged_by_reason"] == {"duplicate_activity": 1, "same_customer_activity": 1}
    a = result.group_activity
    # the two ids of one customer on the same day and group add up: 5 (wmA) + 2 (wmA2)
    assert a[[S.CUSTOMER_ID, S.MESSAGES]].values.tolist() == [["wmA", 7], ["wmB", 1], ["wmZ", 4]]
    assert stats["unmatched"] == 1 and stats["total_messages"] == 12
    text = result.summary()
    assert "群成员" in text and "群活跃" in text and "未匹配到联系人的行: 1" in text
    assert "group members" in result.summary(lang="en")


@pytest.fixture(scope="module")
def sample():
    return sikit.clean(contacts=SAMPLE / "contacts.csv", group_members=SAMPLE / "group_members.csv",
                       group_activity=SAMPLE / "group_activity.csv")


def test_sample_groups_clean_without_loss(sample):
    for table in ("group_members", "group_activity"):
        stats = sample.report["tables"][table]
        assert stats["rejected"] == 0 and stats["merged"] == 0 and stats["unmatched"] == 0, stats
        assert stats["field_fixes"] == {}
    assert sample.report["balanced"]


def test_sample_members_are_the_contacts_groups(sample):
    m, c = sample.group_members, sample.contacts
    groups = c.set_index(S.CUSTOMER_ID)[S.GROUPS].str.split(",")
    assert m[S.CUSTOMER_ID].isin(groups.index).all()
    listed = [g in groups[cid] for g, cid in zip(m[S.GROUP_NAME], m[S.CUSTOMER_ID])]
    assert all(listed)
    # every customer in a group appears in its member list
    expected = groups.dropna().explode()
    pairs = set(zip(m[S.CUSTOMER_ID], m[S.GROUP_NAME]))
    assert set(zip(expected.index, expected)) == pairs
    # joined shortly after being added; some left, most did not
    added = c.set_index(S.CUSTOMER_ID)[S.ADDED_AT].reindex(m[S.CUSTOMER_ID]).to_numpy()
    delay = (m[S.JOINED_AT].to_numpy() - added) / pd.Timedelta(days=1)
    assert (delay >= 0).all() and (delay <= 15).all()
    left = m[S.LEFT_AT].notna()
    assert 0.05 < left.mean() < 0.3
    assert (m.loc[left, S.LEFT_AT] > m.loc[left, S.JOINED_AT]).all()
    # groups differ: the share leaving ranges from few to many
    share = left.groupby(m[S.GROUP_NAME]).mean()
    assert share.max() - share.min() > 0.2


def test_sample_activity_only_while_in_the_group(sample):
    m, a = sample.group_members, sample.group_activity
    assert a[S.MESSAGES].gt(0).all()
    both = a.merge(m, on=[S.GROUP_NAME, S.CUSTOMER_ID], how="left", validate="many_to_one")
    assert both[S.JOINED_AT].notna().all()
    joined = both[S.JOINED_AT].dt.tz_localize(None).dt.normalize()
    left = both[S.LEFT_AT].dt.tz_localize(None).dt.normalize()
    assert (both[S.ACTIVITY_DATE] >= joined).all()
    assert (left.isna() | (both[S.ACTIVITY_DATE] <= left)).all()
    # the last 180 days up to the sample's end, and most members never speak
    last = pd.Timestamp("2026-10-31")
    assert a[S.ACTIVITY_DATE].max() <= last
    assert a[S.ACTIVITY_DATE].min() > last - pd.Timedelta(days=ACTIVITY_DAYS)
    speakers = set(zip(a[S.GROUP_NAME], a[S.CUSTOMER_ID]))
    assert len(speakers) < 0.5 * len(m)


def test_sample_parquet_groups_clean(tmp_path):
    from sikit.sample import generate

    data = generate(tmp_path, customers=400, seed=5, format="parquet")
    result = sikit.clean(contacts=data.paths["contacts"], group_members=data.paths["group_members"],
                         group_activity=data.paths["group_activity"])
    for table in ("group_members", "group_activity"):
        stats = result.report["tables"][table]
        assert stats["rejected"] == 0 and stats["unmatched"] == 0, stats
    assert len(result.group_activity) == len(data.group_activity)


def test_cli_writes_the_parquet_files_and_names_a_missing_column(files, tmp_path, capsys):
    out = tmp_path / "out"
    args = ["clean", "--group-members", str(files[0]), "--group-activity", str(files[1]), "--out", str(out)]
    assert main(args) == 0
    members, activity = read_clean_groups(out)
    assert len(members) == 5 and len(activity) == 4
    assert read_clean_groups(tmp_path) == (None, None)
    bad = tmp_path / "bad.csv"
    bad.write_text("群名称,入群时间\n线上福利1群,2026-01-05\n", encoding="utf-8-sig")
    assert main(["clean", "--group-members", str(bad), "--out", str(tmp_path / "o2")]) == 2
    err = capsys.readouterr().err
    assert "missing required column 'customer_id' for group_members" in err and "外部联系人ID" in err
    assert err.count("\n") == 1
    bad.write_text("日期,群名称,外部联系人ID\n2026-01-05,线上福利1群,wmA\n", encoding="utf-8-sig")
    assert main(["clean", "--group-activity", str(bad), "--out", str(tmp_path / "o3")]) == 2
    err = capsys.readouterr().err
    assert "missing required column 'messages' for group_activity" in err and err.count("\n") == 1
