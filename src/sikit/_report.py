"""The cleaning report as text and as a small table, in Chinese or English."""

from __future__ import annotations

import pandas as pd

from . import _schema as S
from ._values import FIX_CODES

_LABELS = {
    "zh": {
        "title": "sikit 清洗报告",
        "table": "表",
        "rows_in": "输入行",
        "kept": "保留",
        "merged": "合并",
        "rejected": "拒绝",
        "balanced": "输入行 = 保留 + 合并 + 拒绝",
        "yes": "成立",
        "no": "不成立!",
        "contacts": "联系人",
        "orders": "订单",
        "costs": "渠道费用",
        "total_spend": "费用合计",
        "group_members": "群成员",
        "group_activity": "群活跃",
        "groups": "群数",
        "still_in_group": "仍在群内",
        "total_messages": "发言总数",
        "unmatched_rows": "未匹配到联系人的行",
        "deletions": "删除记录",
        "by_deleted_by": "删除方",
        "rejected_by_reason": "拒绝原因",
        "merged_by_reason": "合并原因",
        "field_fixes": "字段修正(行保留)",
        "customers": "去重后客户数",
        "unmatched": "未匹配到联系人的订单",
        "by_status": "订单状态",
        "ignored": "未使用的列",
    },
    "en": {
        "title": "sikit cleaning report",
        "table": "table",
        "rows_in": "rows_in",
        "kept": "kept",
        "merged": "merged",
        "rejected": "rejected",
        "balanced": "rows_in == kept + merged + rejected",
        "yes": "holds",
        "no": "DOES NOT HOLD",
        "contacts": "contacts",
        "orders": "orders",
        "costs": "channel costs",
        "total_spend": "total spend",
        "group_members": "group members",
        "group_activity": "group activity",
        "groups": "groups",
        "still_in_group": "still in the group",
        "total_messages": "messages in total",
        "unmatched_rows": "rows matching no contact",
        "deletions": "deletions",
        "by_deleted_by": "deleted by",
        "rejected_by_reason": "rejected by reason",
        "merged_by_reason": "merged by reason",
        "field_fixes": "field fixes (row kept)",
        "customers": "customers after de-duplication",
        "unmatched": "orders matching no contact",
        "by_status": "orders by status",
        "ignored": "columns not used",
    },
}
_REASONS = {**S.REJECT_REASONS, **S.MERGE_REASONS, **FIX_CODES, **S.RECORD_FIXES}


def _labels(lang: str) -> dict[str, str]:
    if lang not in _LABELS:
        raise ValueError(f"lang must be 'zh' or 'en', got {lang!r}")
    return _LABELS[lang]


def report_table(report: dict, lang: str = "zh") -> pd.DataFrame:
    """One row per table with the four counts of the row account."""
    t = _labels(lang)
    rows = [
        {
            t["table"]: t[name],
            **{t[k]: stats[k] for k in ("rows_in", "kept", "merged", "rejected")},
        }
        for name, stats in report["tables"].items()
    ]
    return pd.DataFrame(rows)


def _reason_name(code: str, lang: str, with_code: bool = True) -> str:
    names = _REASONS.get(code)
    if names is None:
        return code
    name = names[0] if lang == "zh" else names[1]
    return f"{name} ({code})" if with_code else name


def table_name(table: str, lang: str) -> str:
    return _labels(lang).get(table, table)


def report_text(report: dict, lang: str = "zh") -> str:
    """Format a cleaning report for a terminal: the row account first, then the details."""
    t = _labels(lang)
    lines = [t["title"], ""]
    lines += report_table(report, lang).to_string(index=False).splitlines()
    lines += ["", f"{t['balanced']}: {t['yes'] if report['balanced'] else t['no']}"]
    for name, stats in report["tables"].items():
        lines += ["", f"[{t[name]}]"]
        if name == "contacts":
            lines.append(f"  {t['customers']}: {stats['identity']['customers']}")
        if name == "orders":
            if stats.get("unmatched") is not None:
                lines.append(f"  {t['unmatched']}: {stats['unmatched']}")
            lines.append(f"  {t['by_status']}: " + ", ".join(f"{k} {v}" for k, v in stats["by_status"].items()))
        if name == "costs":
            lines.append(f"  {t['total_spend']}: ¥{stats['total_spend']:,.2f}")
        if name == "group_members":
            lines.append(f"  {t['groups']}: {stats['groups']}, {t['still_in_group']}: {stats['still_in_group']}")
        if name == "group_activity":
            lines.append(f"  {t['total_messages']}: {stats['total_messages']}")
        if name == "deletions":
            lines.append(f"  {t['by_deleted_by']}: " + ", ".join(f"{k} {v}" for k, v in stats["by_deleted_by"].items()))
        if (name.startswith("group_") or name == "deletions") and stats.get("unmatched") is not None:
            lines.append(f"  {t['unmatched_rows']}: {stats['unmatched']}")
        for key in ("rejected_by_reason", "merged_by_reason"):
            if stats[key]:
                lines.append(f"  {t[key]}:")
                lines += [f"    {_reason_name(code, lang)}: {n}" for code, n in stats[key].items()]
        if stats["field_fixes"]:
            lines.append(f"  {t['field_fixes']}:")
            lines += [f"    {_reason_name(code, lang)}: {n}" for code, n in stats["field_fixes"].items()]
        if stats.get("ignored_columns"):
            lines.append(f"  {t['ignored']}: " + ", ".join(stats["ignored_columns"]))
    return "\n".join(lines)
