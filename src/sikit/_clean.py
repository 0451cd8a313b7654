"""Clean contact and order exports with every input row accounted for.

Each input row ends as *kept* (in the clean table), *merged* (into another
row, named in ``merged``) or *rejected* (with a reason code in ``rejected``).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components

from . import _schema as S
from . import _values as V
from ._errors import SikitInputError
from ._load import (canonicalize, check_columns, read_contacts, read_costs, read_deletions, read_group_activity,
                    read_group_members, read_orders)
from ._privacy import mask_phone, mask_phones_in_text, pseudonymous_id, write_csv

__all__ = ["clean", "CleanResult"]

CONTACT_COLUMNS = [
    S.CUSTOMER_ID, S.UNIONID, S.NAME, S.PHONE, S.ADDED_AT, S.CHANNEL, S.STAFF, S.TAGS,
    S.REFERRER_ID, S.MEMBER_TIER, S.GROUPS, S.REMARK,
]
ORDER_COLUMNS = [
    S.ORDER_ID, S.CUSTOMER_ID, S.ORDER_TIME, S.AMOUNT, S.REFUND_AMOUNT, S.NET_AMOUNT, S.STATUS,
    S.STORE, S.CHANNEL,
]
MATCHED = "matched"
N_CONTACTS = S.N_CONTACTS
PROVENANCE = [S.SOURCE_FILE, S.SOURCE_ROW]
MERGED_COLUMNS = ["table", S.SOURCE_FILE, S.SOURCE_ROW, "into_source_file", "into_source_row", "key", "reason"]
REJECTED_COLUMNS = ["table", S.SOURCE_FILE, S.SOURCE_ROW, "reason", "detail"]


@dataclass
class CleanResult:
    """What :func:`clean` returns: the clean tables and the full account of every row.

    Attributes
    ----------
    contacts : DataFrame or None
        One row per customer (people present under several contacts merged).
    orders : DataFrame or None
        One row per order id, with ``customer_id`` resolved through the contacts.
    identity_map : DataFrame
        Every source key (``key_type``, ``key``; phones masked) -> ``customer_id``.
    merged : DataFrame
        Rows folded into another row: which row, into which, and why.
    rejected : DataFrame
        Rows that could not be used: reason code, detail and the raw values
        (phones masked).
    report : dict
        Per table ``rows_in``, ``kept``, ``merged``, ``rejected`` and counts
        per reason and per field fix.
    costs : DataFrame or None
        Channel spend per month (``channel``, ``month`` as ``YYYY-MM``,
        ``spend``); rows for one channel and month add up.
    group_members : DataFrame or None
        One row per group, customer and stint (``group_name``,
        ``customer_id``, ``joined_at``, ``left_at`` empty while still in the
        group, ``matched``): ids mapped to the clean customer ids when
        contacts were cleaned in the same call.
    group_activity : DataFrame or None
        One row per local day, group and customer who spoke (``date``,
        ``group_name``, ``customer_id``, ``messages``, ``matched``); a day
        without a row means no message.
    """

    contacts: pd.DataFrame | None
    orders: pd.DataFrame | None
    identity_map: pd.DataFrame
    merged: pd.DataFrame
    rejected: pd.DataFrame
    report: dict = field(default_factory=dict)
    costs: pd.DataFrame | None = None
    group_members: pd.DataFrame | None = None
    group_activity: pd.DataFrame | None = None
    deletions: pd.DataFrame | None = None

    def write(self, out) -> dict[str, Path]:
        """Write the clean tables, the identity map, the row account and ``report.json`` to ``out``."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths: dict[str, Path] = {}
        for name, frame in (("contacts", self.contacts), ("orders", self.orders), ("channel_costs", self.costs),
                            ("group_members", self.group_members), ("group_activity", self.group_activity),
                            ("deletions", self.deletions)):
            if frame is not None:
                paths[name] = out / f"{name}.parquet"
                frame.to_parquet(paths[name], index=False)
        paths["identity_map"] = write_csv(self.identity_map, out / "identity_map.csv")
        paths["merged"] = write_csv(self.merged, out / "merged.csv")
        paths["rejected"] = write_csv(self.rejected, out / "rejected.csv")
        paths["report"] = out / "report.json"
        paths["report"].write_text(json.dumps(self.report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        return paths

    def summary(self, lang: str = "zh") -> str:
        """The cleaning report as text for a terminal or a notebook."""
        from ._report import report_text

        return report_text(self.report, lang=lang)

    def table(self, lang: str = "zh") -> pd.DataFrame:
        """The row account as a small DataFrame: one row per table."""
        from ._report import report_table

        return report_table(self.report, lang=lang)


# --- shared helpers ----------------------------------------------------------------


def _column(raw: pd.DataFrame, name: str) -> pd.Series:
    if name in raw.columns:
        return raw[name]
    return pd.Series(np.nan, index=raw.index, dtype="str")


def _as_input(data, table: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        # Canonical names are aliases of themselves, so raw and clean headers both map.
        data = canonicalize(data, S.TABLE_ALIASES[table])
        check_columns(data, table, f"{table} table")
        if S.SOURCE_ROW not in data.columns:
            data = data.copy()
            data[S.SOURCE_FILE] = f"<{table} DataFrame>"
            data[S.SOURCE_ROW] = np.arange(1, len(data) + 1)
        return data.reset_index(drop=True)
    reader = {"contacts": read_contacts, "orders": read_orders, "costs": read_costs,
              "group_members": read_group_members, "group_activity": read_group_activity,
              "deletions": read_deletions}[table]
    return reader(data)


def _count(fixes: Counter, codes: pd.Series) -> None:
    for code, n in codes.dropna().value_counts().sort_index().items():
        fixes[str(code)] += int(n)


def _is_blank(values: pd.DataFrame, fix_codes: list[pd.Series]) -> pd.Series:
    """A row with nothing in it: no value survived cleaning and nothing failed to parse."""
    blank = values.isna().all(axis=1)
    for codes in fix_codes:
        blank &= codes.isna()
    return blank


def _rejections(raw: pd.DataFrame, table: str, reason: pd.Series, detail: pd.Series) -> pd.DataFrame:
    hit = reason.notna()
    rows = raw.loc[hit]
    out = pd.DataFrame(
        {
            "table": table,
            S.SOURCE_FILE: rows[S.SOURCE_FILE].astype("str"),
            S.SOURCE_ROW: rows[S.SOURCE_ROW].astype("int64"),
            "reason": reason[hit].astype("str"),
            "detail": detail[hit].astype("str"),
        }
    )
    for col in raw.columns:
        if col not in PROVENANCE:
            out[f"raw_{col}"] = mask_phones_in_text(rows[col].astype("str"))
    return out


def _first_reason(checks, index) -> tuple[pd.Series, pd.Series]:
    """The first failing check names the reason; ``why`` is text or a function of the rows hit."""
    reason = pd.Series(np.nan, index=index, dtype="str")
    detail = pd.Series(np.nan, index=index, dtype="str")
    for code, hit, why in checks:
        new = hit & reason.isna()
        if not new.any():
            continue
        reason[new] = code
        detail[new] = why if isinstance(why, str) else why(new).astype("str")
    return reason, detail


def _components(n: int, links: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Connected components of ``n`` items linked through shared keys.

    Each link set is (item, key code) pairs; items sharing a code in any set
    end in one component.
    """
    rows, nodes, offset = [], [], n
    for items, codes in links:
        rows.append(items)
        nodes.append(codes + offset)
        offset += int(codes.max()) + 1 if len(codes) else 0
    r = np.concatenate(rows) if rows else np.array([], dtype=np.int64)
    c = np.concatenate(nodes) if nodes else np.array([], dtype=np.int64)
    graph = sp.coo_matrix((np.ones(len(r), dtype=np.int8), (r, c)), shape=(offset, offset))
    return connected_components(graph, directed=False)[1][:n]


def _key_links(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """(row, key code) for every row that has the key."""
    codes = pd.factorize(s, use_na_sentinel=True)[0]
    has = codes >= 0
    return np.nonzero(has)[0], codes[has]


# --- contacts ------------------------------------------------------------------------


def _contact_values(raw: pd.DataFrame, fixes: Counter) -> tuple[pd.DataFrame, list[pd.Series]]:
    v = pd.DataFrame(index=raw.index)
    v[S.CUSTOMER_ID] = V.id_to_str(_column(raw, S.CUSTOMER_ID))
    v[S.UNIONID] = V.clean_text(_column(raw, S.UNIONID))
    v[S.NAME] = V.clean_text(_column(raw, S.NAME))
    phone, phone_fix = V.normalize_phone(_column(raw, S.PHONE))
    added_at, time_fix = V.parse_time(_column(raw, S.ADDED_AT))
    v[S.PHONE], v[S.ADDED_AT] = phone, added_at
    for col in (S.CHANNEL, S.STAFF, S.MEMBER_TIER, S.REMARK):
        v[col] = V.clean_text(_column(raw, col))
    for col in (S.TAGS, S.GROUPS):
        v[col] = _split_list(V.clean_text(_column(raw, col)))
    v[S.REFERRER_ID] = V.id_to_str(_column(raw, S.REFERRER_ID))
    v[N_CONTACTS] = pd.to_numeric(_column(raw, N_CONTACTS), errors="coerce")
    # A member id that is really a phone number is a phone, never a shown id.
    id_is_phone = V.is_mobile(v[S.CUSTOMER_ID])
    fill = id_is_phone & v[S.PHONE].isna()
    v[S.PHONE] = v[S.PHONE].mask(fill, v[S.CUSTOMER_ID])
    id_fix = pd.Series(np.where(id_is_phone, "customer_id_is_phone", None), index=raw.index, dtype="str")
    return v, [phone_fix, time_fix, id_fix]


def _split_list(s: pd.Series) -> pd.Series:
    """Tags and groups joined by any of , ， ; ； | 、 become one comma-joined list."""
    joined = s.str.replace(r"\s*[,;|、]\s*", ",", regex=True).str.strip(",")
    return joined.where(joined.str.len() > 0)


def _resolve(v: pd.DataFrame) -> tuple[np.ndarray, Counter]:
    """Component label per contact row: one label per person."""
    notes: Counter = Counter()
    n = len(v)
    if n == 0:
        return np.zeros(0, dtype=np.int64), notes
    first = _components(n, [_key_links(v[S.CUSTOMER_ID]), _key_links(v[S.UNIONID])])
    # Phones link components, but never two that carry different unionids:
    # one WeChat identity per person, so a shared (family) phone is not enough.
    has_union = pd.Series(v[S.UNIONID].notna().to_numpy()).groupby(first).any()
    rows, phones = _key_links(v[S.PHONE])
    pairs = pd.DataFrame({"phone": phones, "comp": first[rows]}).drop_duplicates()
    pairs["union"] = has_union.reindex(pairs["comp"]).to_numpy()
    per_phone = pairs.groupby("phone")["union"].sum()
    shared = per_phone[per_phone >= 2].index
    notes["phone_shared_by_different_unionids"] = int(len(shared))
    links = pairs[~pairs["phone"].isin(shared)]
    comp_codes = _components(int(first.max()) + 1, [(links["comp"].to_numpy(), links["phone"].to_numpy())])
    return comp_codes[first], notes


def _merge_reason(rows: pd.DataFrame, primary: pd.DataFrame) -> pd.Series:
    same = lambda col: (rows[col].to_numpy() == primary[col].to_numpy()) & rows[col].notna().to_numpy()
    reason = np.select(
        [same(S.CUSTOMER_ID), same(S.UNIONID), same(S.PHONE)],
        ["same_customer_id", "same_unionid", "same_phone"],
        default="linked_via_other_row",
    )
    return pd.Series(reason, index=rows.index, dtype="str")


def _clean_contacts(raw: pd.DataFrame, id_key: str | None):
    fixes: Counter = Counter()
    v, fix_codes = _contact_values(raw, fixes)
    test = V.is_test_account(v[S.NAME], v[S.REMARK])
    no_id = v[[S.CUSTOMER_ID, S.UNIONID, S.PHONE]].isna().all(axis=1)
    reason, detail = _first_reason(
        [
            ("empty_row", _is_blank(v, fix_codes), "all cells empty"),
            ("test_account", test,
             lambda m: "name/remark: " + mask_phones_in_text(v.loc[m, S.NAME].fillna("") + " / " + v.loc[m, S.REMARK].fillna(""))),
            ("no_id", no_id, lambda m: "no customer_id, unionid or valid phone; phone fix: " + fix_codes[0][m].fillna("none")),
        ],
        raw.index,
    )
    rejected = _rejections(raw, "contacts", reason, detail)
    for codes in fix_codes:  # fixes count only on rows that are used
        _count(fixes, codes[reason.isna()])
    ok = v[reason.isna()].copy()
    ok[S.SOURCE_FILE] = raw.loc[ok.index, S.SOURCE_FILE].astype("str")
    ok[S.SOURCE_ROW] = raw.loc[ok.index, S.SOURCE_ROW].astype("int64")
    ok["_pos"] = np.arange(len(ok))
    ok[N_CONTACTS] = ok[N_CONTACTS].fillna(1)

    comp, notes = _resolve(ok)
    ok["_comp"] = comp
    # Phones chained through a contact without unionid can still join two
    # unionids; rare, but shown so an analyst can look.
    notes["customers_with_several_unionids"] = int(ok.groupby("_comp")[S.UNIONID].nunique().gt(1).sum())
    # Primary row of a person: the earliest added, then the first in the export.
    ok = ok.sort_values(["_comp", S.ADDED_AT, "_pos"], na_position="last", kind="stable")
    is_primary = ~ok["_comp"].duplicated()
    groups = ok.groupby("_comp", sort=False)

    displayable = ok[S.CUSTOMER_ID].where(~V.is_mobile(ok[S.CUSTOMER_ID]))
    first_id = displayable.groupby(ok["_comp"]).first()
    first_union = groups[S.UNIONID].first()
    first_phone = groups[S.PHONE].first()
    cid = first_id.copy()
    need = cid.isna()
    cid[need] = pseudonymous_id(first_union[need], "unionid", id_key)
    need = cid.isna()
    cid[need] = pseudonymous_id(first_phone[need], "phone", id_key)
    fixes["customer_id_made_from_unionid_or_phone"] += int(first_id.isna().sum())
    ok["_cid"] = ok["_comp"].map(cid)

    customers = groups[[c for c in CONTACT_COLUMNS if c != S.CUSTOMER_ID] + PROVENANCE + ["_pos"]].first()
    customers[S.SOURCE_FILE] = ok.loc[is_primary, S.SOURCE_FILE].to_numpy()
    customers[S.SOURCE_ROW] = ok.loc[is_primary, S.SOURCE_ROW].to_numpy()
    customers[S.TAGS] = _union_lists(ok, S.TAGS)
    customers[S.GROUPS] = _union_lists(ok, S.GROUPS)
    customers[S.CUSTOMER_ID] = cid
    customers[N_CONTACTS] = groups[N_CONTACTS].sum().astype("int64")
    customers = customers.sort_values("_pos", kind="stable")
    contacts = customers[CONTACT_COLUMNS + [N_CONTACTS] + PROVENANCE].reset_index(drop=True)

    primary = ok[is_primary].set_index("_comp")
    others = ok[~is_primary.to_numpy()]
    into = primary.loc[others["_comp"]]
    reason = _merge_reason(others.reset_index(drop=True), into.reset_index(drop=True)).to_numpy()
    merged = _merged_rows("contacts", others, into, others["_cid"], reason)

    keys = pd.concat(
        [
            pd.DataFrame({"key_type": kind, "key": ok[col], S.CUSTOMER_ID: ok["_cid"]})
            for kind, col in (("customer_id", S.CUSTOMER_ID), ("unionid", S.UNIONID), ("phone", S.PHONE))
        ]
        + [pd.DataFrame({"key_type": "customer_id", "key": cid.to_numpy(), S.CUSTOMER_ID: cid.to_numpy()})],
        ignore_index=True,
    ).dropna(subset=["key"]).drop_duplicates()
    keys = keys.sort_values(["key_type", "key", S.CUSTOMER_ID], kind="stable").reset_index(drop=True)

    stats = {
        **_account(raw, contacts, merged, rejected, fixes),
        "identity": {
            "customers": int(len(contacts)),
            "customers_with_several_contacts": int((contacts[N_CONTACTS] > 1).sum()),
            **{k: v for k, v in notes.items()},
        },
    }
    return contacts, merged, rejected, keys, stats


def _union_lists(rows: pd.DataFrame, col: str) -> pd.Series:
    """Comma lists (tags, groups) of all rows of a customer, in order of first appearance."""
    first = rows.groupby("_comp", sort=False)[col].first()
    several = rows["_comp"].duplicated(keep=False)
    if not several.any():
        return first
    # Only customers with several contact rows need the (slower) union.
    items = rows.loc[several, ["_comp", col]].dropna()
    items = items.assign(**{col: items[col].str.split(",")}).explode(col)
    items = items[items[col].str.len() > 0].drop_duplicates()
    union = items.groupby("_comp", sort=False)[col].agg(",".join)
    return union.combine_first(first).reindex(first.index).astype("str")


def _counts(s: pd.Series) -> dict[str, int]:
    return {str(k): int(v) for k, v in s.value_counts().sort_index().items()}


def _account(raw, kept, merged, rejected, fixes: Counter) -> dict:
    """The row account of one table: where each input row went, and what was fixed."""
    return {
        "rows_in": int(len(raw)),
        "kept": int(len(kept)),
        "merged": int(len(merged)),
        "rejected": int(len(rejected)),
        "rejected_by_reason": _counts(rejected["reason"]),
        "merged_by_reason": _counts(merged["reason"]),
        "field_fixes": dict(sorted((k, v) for k, v in fixes.items() if v)),
    }


def _merged_rows(table: str, rows: pd.DataFrame, into: pd.DataFrame, key, reason) -> pd.DataFrame:
    """Rows folded into another row, each naming the row it went into."""
    return pd.DataFrame(
        {
            "table": table,
            S.SOURCE_FILE: rows[S.SOURCE_FILE].to_numpy(),
            S.SOURCE_ROW: rows[S.SOURCE_ROW].to_numpy(),
            "into_source_file": into[S.SOURCE_FILE].to_numpy(),
            "into_source_row": into[S.SOURCE_ROW].to_numpy(),
            "key": np.asarray(key),
            "reason": reason,
        },
        columns=MERGED_COLUMNS,
    ).sort_values([S.SOURCE_FILE, S.SOURCE_ROW], kind="stable")


# --- orders ------------------------------------------------------------------------------


def _clean_orders(raw: pd.DataFrame, keys: pd.DataFrame | None, id_key: str | None):
    fixes: Counter = Counter()
    notes: dict = {}
    v = pd.DataFrame(index=raw.index)
    v[S.ORDER_ID] = V.id_to_str(_column(raw, S.ORDER_ID))
    v[S.CUSTOMER_ID] = V.id_to_str(_column(raw, S.CUSTOMER_ID))
    v[S.UNIONID] = V.clean_text(_column(raw, S.UNIONID))
    v[S.PHONE], phone_fix = V.normalize_phone(_column(raw, S.PHONE))
    v[S.ORDER_TIME], time_fix = V.parse_time(_column(raw, S.ORDER_TIME))
    v[S.AMOUNT], amount_fix = V.parse_amount(_column(raw, S.AMOUNT))
    refund, refund_fix = V.parse_amount(_column(raw, S.REFUND_AMOUNT))
    v[S.REFUND_AMOUNT] = refund
    if S.STATUS in raw.columns:
        v[S.STATUS], status_fix = V.map_status(raw[S.STATUS])
    else:
        notes["status_column_missing"] = "no status column: every order is taken as paid"
        v[S.STATUS], status_fix = S.PAID, pd.Series(np.nan, index=raw.index, dtype="str")
    for col in (S.STORE, S.CHANNEL):
        v[col] = V.clean_text(_column(raw, col))
    fix_codes = [phone_fix, time_fix, amount_fix, refund_fix, status_fix]

    blank = _is_blank(v.drop(columns=[S.STATUS]) if S.STATUS not in raw.columns else v, fix_codes)
    no_key = v[[S.CUSTOMER_ID, S.UNIONID, S.PHONE]].isna().all(axis=1)
    reason, detail = _first_reason(
        [
            ("empty_row", blank, "all cells empty"),
            ("no_order_id", v[S.ORDER_ID].isna(), "order id empty"),
            ("no_customer_key", no_key, lambda m: "no customer id, unionid or valid phone; phone fix: " + phone_fix[m].fillna("none")),
            ("bad_order_time", v[S.ORDER_TIME].isna(), lambda m: "order_time: " + _column(raw, S.ORDER_TIME)[m].astype("str").fillna("empty")),
            ("bad_amount", v[S.AMOUNT].isna(), lambda m: "amount: " + _column(raw, S.AMOUNT)[m].astype("str").fillna("empty")),
        ],
        raw.index,
    )
    rejected = _rejections(raw, "orders", reason, detail)
    for codes in fix_codes:
        _count(fixes, codes[reason.isna()])
    o = v[reason.isna()].copy()
    o[S.SOURCE_FILE] = raw.loc[o.index, S.SOURCE_FILE].astype("str")
    o[S.SOURCE_ROW] = raw.loc[o.index, S.SOURCE_ROW].astype("int64")
    o["_pos"] = np.arange(len(o))

    # Refund exports repeat the order with a negative amount.
    o[S.REFUND_AMOUNT] = o[S.REFUND_AMOUNT].abs().fillna(0.0)
    negative = o[S.AMOUNT] < 0
    fixes["negative_amount_as_refund"] += int(negative.sum())
    o[S.AMOUNT] = o[S.AMOUNT].abs()
    o[S.REFUND_AMOUNT] = o[S.REFUND_AMOUNT].mask(negative, np.maximum(o[S.REFUND_AMOUNT], o[S.AMOUNT]))
    o[S.STATUS] = o[S.STATUS].mask(negative & o[S.STATUS].isin([S.PAID, S.REFUNDED]) | negative & o[S.STATUS].isna(), S.REFUNDED)

    o, merged = _dedupe_orders(o)
    o, more = _settle_refunds(o)
    fixes.update(more)
    cid, matched = _match_customers(o, keys, id_key)
    o[S.CUSTOMER_ID] = cid
    o[MATCHED] = matched
    paid_like = o[S.STATUS].isin([S.PAID, S.REFUNDED])
    o[S.NET_AMOUNT] = (o[S.AMOUNT] - o[S.REFUND_AMOUNT]).where(paid_like, 0.0).round(2)
    orders = o.sort_values("_pos", kind="stable")[ORDER_COLUMNS + [MATCHED] + PROVENANCE].reset_index(drop=True)

    stats = {
        **_account(raw, orders, merged, rejected, fixes),
        "by_status": _counts(orders[S.STATUS].fillna("unknown")),
        "unmatched": int((~orders[MATCHED]).sum()) if keys is not None else None,
        "paid_net_amount": round(float(orders.loc[orders[S.STATUS] == S.PAID, S.NET_AMOUNT].sum()), 2),
        **notes,
    }
    return orders, merged, rejected, stats


def _dedupe_orders(o: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One row per order id: the status furthest along its lifecycle wins, then the last seen."""
    dup = o[S.ORDER_ID].duplicated(keep=False)
    if not dup.any():
        return o, pd.DataFrame(columns=MERGED_COLUMNS)
    d = o[dup].copy()
    d["_stage"] = d[S.STATUS].map(S.STATUS_STAGE).fillna(-1)
    d = d.sort_values([S.ORDER_ID, "_stage", "_pos"], kind="stable")
    last = ~d[S.ORDER_ID].duplicated(keep="last")
    keep = d[last].set_index(S.ORDER_ID)
    keep[S.AMOUNT] = d.groupby(S.ORDER_ID)[S.AMOUNT].max()
    keep[S.REFUND_AMOUNT] = d.groupby(S.ORDER_ID)[S.REFUND_AMOUNT].max()
    # Keys may be spread over the copies (one page has the id, another the phone).
    for col in (S.CUSTOMER_ID, S.UNIONID, S.PHONE, S.STORE, S.CHANNEL):
        keep[col] = keep[col].fillna(d.iloc[::-1].groupby(S.ORDER_ID)[col].first())
    drop = d[~last]
    into = keep.loc[drop[S.ORDER_ID]]
    merged = _merged_rows("orders", drop, into, drop[S.ORDER_ID], "duplicate_order")
    kept = pd.concat([o[~dup], keep.reset_index()[o.columns]], ignore_index=True)
    return kept, merged


def _settle_refunds(o: pd.DataFrame) -> tuple[pd.DataFrame, Counter]:
    """A full refund is status refunded; a partial one leaves the order paid with a lower net."""
    fixes: Counter = Counter()
    amount, refund, status = o[S.AMOUNT], o[S.REFUND_AMOUNT], o[S.STATUS]
    over = refund > amount
    fixes["refund_clipped_to_amount"] = int(over.sum())
    refund = refund.where(~over, amount)
    implied = (status == S.REFUNDED) & (refund == 0)
    fixes["refund_amount_implied_by_status"] = int(implied.sum())
    refund = refund.where(~implied, amount)
    partial = (status == S.REFUNDED) & (refund > 0) & (refund < amount)
    fixes["partial_refund_kept_paid"] = int(partial.sum())
    full = (status == S.PAID) & (refund >= amount) & (amount > 0)
    fixes["full_refund_set_refunded"] = int(full.sum())
    status = status.mask(partial, S.PAID).mask(full, S.REFUNDED)
    return o.assign(**{S.REFUND_AMOUNT: refund, S.STATUS: status}), fixes


def _match_customers(o: pd.DataFrame, keys: pd.DataFrame | None, id_key: str | None):
    cid = pd.Series(np.nan, index=o.index, dtype="str")
    if keys is not None:
        for kind, col in (("customer_id", S.CUSTOMER_ID), ("unionid", S.UNIONID), ("phone", S.PHONE)):
            k = keys[keys["key_type"] == kind]
            # A key shared by two customers (a family phone) matches neither.
            k = k[~k["key"].duplicated(keep=False)]
            need = cid.isna() & o[col].notna()  # look up only what is still unmatched
            if need.any():
                cid[need] = o.loc[need, col].map(k.set_index("key")[S.CUSTOMER_ID]).astype("str")
        matched = cid.notna()
    else:
        matched = pd.Series(pd.NA, index=o.index, dtype="boolean")
    id_is_phone = V.is_mobile(o[S.CUSTOMER_ID])
    cid = cid.fillna(o[S.CUSTOMER_ID].where(~id_is_phone))
    phone_as_id = o[S.CUSTOMER_ID].where(id_is_phone)
    for kind, values in (("unionid", o[S.UNIONID]), ("phone", o[S.PHONE].fillna(phone_as_id))):
        need = cid.isna() & values.notna()
        if need.any():
            cid[need] = pseudonymous_id(values[need], kind, id_key)
    return cid.astype("str"), matched


# --- entry point ---------------------------------------------------------------------------


COST_COLUMNS = [S.CHANNEL, S.MONTH, S.SPEND]


def _clean_costs(raw: pd.DataFrame):
    """Channel spend per month. Rows for the same channel and month add up (several
    invoices), so none is merged away; a row is rejected only when unusable."""
    fixes: Counter = Counter()
    v = pd.DataFrame(index=raw.index)
    v[S.CHANNEL] = V.clean_text(_column(raw, S.CHANNEL))
    v[S.MONTH] = V.parse_month(_column(raw, S.MONTH))
    v[S.SPEND], spend_fix = V.parse_amount(_column(raw, S.SPEND))
    blank = _is_blank(v, [spend_fix]) & _column(raw, S.MONTH).isna()
    reason, detail = _first_reason(
        [
            ("empty_row", blank, "all cells empty"),
            ("no_channel", v[S.CHANNEL].isna(), "channel empty"),
            ("bad_month", v[S.MONTH].isna(), lambda m: "month: " + _column(raw, S.MONTH)[m].astype("str").fillna("empty")),
            ("bad_amount", v[S.SPEND].isna(), lambda m: "spend: " + _column(raw, S.SPEND)[m].astype("str").fillna("empty")),
            ("negative_spend", v[S.SPEND] < 0, lambda m: "spend: " + v[S.SPEND][m].astype("str")),
        ],
        raw.index,
    )
    rejected = _rejections(raw, "costs", reason, detail)
    _count(fixes, spend_fix[reason.isna()])
    kept = v[reason.isna()].copy()
    kept[S.SOURCE_FILE] = raw.loc[kept.index, S.SOURCE_FILE].astype("str")
    kept[S.SOURCE_ROW] = raw.loc[kept.index, S.SOURCE_ROW].astype("int64")
    costs = kept[COST_COLUMNS + PROVENANCE].reset_index(drop=True)
    merged = pd.DataFrame(columns=["table", S.SOURCE_FILE, S.SOURCE_ROW, "into_source_file", "into_source_row",
                                   "reason"])
    stats = {**_account(raw, costs, merged, rejected, fixes),
             "total_spend": round(float(costs[S.SPEND].sum()), 2)}
    return costs, rejected, stats


GROUP_MEMBER_COLUMNS = [S.GROUP_NAME, S.CUSTOMER_ID, S.JOINED_AT, S.LEFT_AT]
GROUP_ACTIVITY_COLUMNS = [S.ACTIVITY_DATE, S.GROUP_NAME, S.CUSTOMER_ID, S.MESSAGES]


def _empty_merged() -> pd.DataFrame:
    return pd.DataFrame(columns=MERGED_COLUMNS)


def _map_ids(ids: pd.Series, keys: pd.DataFrame | None) -> tuple[pd.Series, pd.Series]:
    """A group table's customer ids through the contact identity: the id of a
    contact merged into a customer becomes that customer's id. Ids matching no
    contact are kept as they are (``matched`` False; NA when no contacts were cleaned)."""
    if keys is None:
        return ids.astype("str"), pd.Series(pd.NA, index=ids.index, dtype="boolean")
    k = keys[keys["key_type"] == "customer_id"]
    k = k[~k["key"].duplicated(keep=False)]
    cid = ids.map(k.set_index("key")[S.CUSTOMER_ID])
    return cid.fillna(ids).astype("str"), cid.notna()


def _fold(m: pd.DataFrame, key: list[str], table: str, reason: str, col: str, how: str):
    """Fold rows with the same ``key`` into the first; ``col`` of the kept row is ``how`` over the copies."""
    dup = m.duplicated(key, keep="first")
    if not dup.any():
        return m, _empty_merged()
    ng = m.groupby(key, sort=False, dropna=False).ngroup().to_numpy()
    first = pd.Series(m.index[~dup.to_numpy()], index=ng[~dup.to_numpy()])
    into = m.loc[first.loc[ng[dup.to_numpy()]].to_numpy()]
    kept = m[~dup].copy()
    agg = m[col].groupby(ng).agg(how)
    kept[col] = agg.loc[ng[~dup.to_numpy()]].to_numpy()
    merged = _merged_rows(table, m[dup], into, m.loc[dup, S.CUSTOMER_ID], reason)
    return kept, merged


def _kept_rows(v: pd.DataFrame, raw: pd.DataFrame, reason: pd.Series) -> pd.DataFrame:
    kept = v[reason.isna()].copy()
    kept[S.SOURCE_FILE] = raw.loc[kept.index, S.SOURCE_FILE].astype("str")
    kept[S.SOURCE_ROW] = raw.loc[kept.index, S.SOURCE_ROW].astype("int64")
    return kept


def _clean_group_members(raw: pd.DataFrame, keys: pd.DataFrame | None):
    """Group members: one row per group, customer and stint (joined_at).

    An unparseable 退群时间 is set empty (the member counts as still in), and so
    is one before 入群时间 (the member left and rejoined: the export shows the
    new join and the old exit). Copies of a (group, customer, joined_at) row are
    merged, keeping the latest 退群时间 any copy has.
    """
    fixes: Counter = Counter()
    v = pd.DataFrame(index=raw.index)
    v[S.GROUP_NAME] = V.clean_text(_column(raw, S.GROUP_NAME))
    v[S.CUSTOMER_ID] = V.id_to_str(_column(raw, S.CUSTOMER_ID))
    v[S.JOINED_AT], joined_fix = V.parse_time(_column(raw, S.JOINED_AT))
    v[S.LEFT_AT], left_fix = V.parse_time(_column(raw, S.LEFT_AT))
    reason, detail = _first_reason(
        [
            ("empty_row", _is_blank(v, [joined_fix, left_fix]), "all cells empty"),
            ("no_group", v[S.GROUP_NAME].isna(), "group name empty"),
            ("no_customer_id", v[S.CUSTOMER_ID].isna(), "customer id empty"),
            ("bad_joined_at", v[S.JOINED_AT].isna(),
             lambda m: "joined_at: " + _column(raw, S.JOINED_AT)[m].astype("str").fillna("empty")),
        ],
        raw.index,
    )
    rejected = _rejections(raw, "group_members", reason, detail)
    fixes["left_at_unparseable"] += int((left_fix.notna() & reason.isna()).sum())
    m = _kept_rows(v, raw, reason)
    before = m[S.LEFT_AT] < m[S.JOINED_AT]
    fixes["left_before_joined"] += int(before.sum())
    m[S.LEFT_AT] = m[S.LEFT_AT].mask(before)
    m[S.CUSTOMER_ID], m[MATCHED] = _map_ids(m[S.CUSTOMER_ID], keys)
    m, merged = _fold(m, [S.GROUP_NAME, S.CUSTOMER_ID, S.JOINED_AT], "group_members", "duplicate_membership",
                      S.LEFT_AT, "max")
    members = m[GROUP_MEMBER_COLUMNS + [MATCHED] + PROVENANCE].reset_index(drop=True)
    stats = {
        **_account(raw, members, merged, rejected, fixes),
        "groups": int(members[S.GROUP_NAME].nunique()),
        "still_in_group": int(members[S.LEFT_AT].isna().sum()),
        "unmatched": int((~members[MATCHED]).sum()) if keys is not None else None,
    }
    return members, merged, rejected, stats


def _clean_group_activity(raw: pd.DataFrame, keys: pd.DataFrame | None):
    """Daily messages per group and member; ``date`` is the local day (naive).

    The export has one row per day, group and member, so a second row with the
    same id is a repeat (overlapping downloads): merged, keeping the largest
    count. Rows of two contact ids of one customer (same day and group) add up.
    """
    v = pd.DataFrame(index=raw.index)
    day, day_fix = V.parse_time(_column(raw, S.ACTIVITY_DATE))
    v[S.ACTIVITY_DATE] = day.dt.tz_localize(None).dt.normalize()
    v[S.GROUP_NAME] = V.clean_text(_column(raw, S.GROUP_NAME))
    v[S.CUSTOMER_ID] = V.id_to_str(_column(raw, S.CUSTOMER_ID))
    msgs, msg_fix = V.parse_amount(_column(raw, S.MESSAGES))
    v[S.MESSAGES] = msgs
    bad = msgs.isna() | (msgs < 0) | (msgs != np.floor(msgs))
    reason, detail = _first_reason(
        [
            ("empty_row", _is_blank(v, [day_fix, msg_fix]), "all cells empty"),
            ("no_group", v[S.GROUP_NAME].isna(), "group name empty"),
            ("no_customer_id", v[S.CUSTOMER_ID].isna(), "customer id empty"),
            ("bad_date", v[S.ACTIVITY_DATE].isna(),
             lambda m: "date: " + _column(raw, S.ACTIVITY_DATE)[m].astype("str").fillna("empty")),
            ("bad_messages", bad, lambda m: "messages: " + _column(raw, S.MESSAGES)[m].astype("str").fillna("empty")),
        ],
        raw.index,
    )
    rejected = _rejections(raw, "group_activity", reason, detail)
    a = _kept_rows(v, raw, reason)
    a[S.MESSAGES] = a[S.MESSAGES].astype("int64")
    a, merged_dup = _fold(a, [S.ACTIVITY_DATE, S.GROUP_NAME, S.CUSTOMER_ID], "group_activity",
                          "duplicate_activity", S.MESSAGES, "max")
    a[S.CUSTOMER_ID], a[MATCHED] = _map_ids(a[S.CUSTOMER_ID], keys)
    a, merged_same = _fold(a, [S.ACTIVITY_DATE, S.GROUP_NAME, S.CUSTOMER_ID], "group_activity",
                           "same_customer_activity", S.MESSAGES, "sum")
    merged = pd.concat([merged_dup, merged_same], ignore_index=True) if len(merged_same) else merged_dup
    activity = a[GROUP_ACTIVITY_COLUMNS + [MATCHED] + PROVENANCE].reset_index(drop=True)
    stats = {
        **_account(raw, activity, merged, rejected, Counter()),
        "total_messages": int(activity[S.MESSAGES].sum()),
        "unmatched": int((~activity[MATCHED]).sum()) if keys is not None else None,
    }
    return activity, merged, rejected, stats


DELETION_COLUMNS = [S.CUSTOMER_ID, S.DELETED_AT, S.DELETED_BY, S.STAFF]


def _deleted_by(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """客户删除员工 -> "customer", 员工删除客户 -> "staff"; anything else non-empty is unknown (NA)."""
    text = V.clean_text(values)
    key = text.str.lower()
    out = key.map(S.DELETED_BY_ALIASES).astype("object")
    unknown = text.notna() & out.isna()
    return out.where(out.notna(), None), unknown


def _clean_deletions(raw: pd.DataFrame, keys: pd.DataFrame | None):
    """The deletion log: one row per deleted contact and time.

    A row repeated with the same id and the same 删除时间 (overlapping
    downloads) is merged into the first; the same id deleted at two times (added
    again in between, deleted again) keeps both rows. Ids are then mapped
    through the contacts cleaned in the same call.
    """
    fixes: Counter = Counter()
    v = pd.DataFrame(index=raw.index)
    v[S.CUSTOMER_ID] = V.id_to_str(_column(raw, S.CUSTOMER_ID))
    v[S.DELETED_AT], at_fix = V.parse_time(_column(raw, S.DELETED_AT))
    v[S.DELETED_BY], unknown = _deleted_by(_column(raw, S.DELETED_BY))
    v[S.STAFF] = V.clean_text(_column(raw, S.STAFF))
    blank = _is_blank(v, [at_fix]) & ~unknown
    reason, detail = _first_reason(
        [
            ("empty_row", blank, "all cells empty"),
            ("no_customer_id", v[S.CUSTOMER_ID].isna(), "customer id empty"),
            ("bad_deleted_at", v[S.DELETED_AT].isna(),
             lambda m: "deleted_at: " + _column(raw, S.DELETED_AT)[m].astype("str").fillna("empty")),
        ],
        raw.index,
    )
    rejected = _rejections(raw, "deletions", reason, detail)
    fixes["deleted_by_unknown"] += int((unknown & reason.isna()).sum())
    d = _kept_rows(v, raw, reason)
    d, merged = _fold(d, [S.CUSTOMER_ID, S.DELETED_AT], "deletions", "duplicate_deletion", S.DELETED_BY, "first")
    d[S.CUSTOMER_ID], d[MATCHED] = _map_ids(d[S.CUSTOMER_ID], keys)
    d[S.DELETED_BY] = d[S.DELETED_BY].astype("string")
    d[S.STAFF] = d[S.STAFF].astype("string")
    deletions = d[DELETION_COLUMNS + [MATCHED] + PROVENANCE].reset_index(drop=True)
    stats = {
        **_account(raw, deletions, merged, rejected, fixes),
        "by_deleted_by": {k: int(n) for k, n in
                          deletions[S.DELETED_BY].fillna("unknown").value_counts().sort_index().items()},
        "unmatched": int((~deletions[MATCHED]).sum()) if keys is not None else None,
    }
    return deletions, merged, rejected, stats


def clean(contacts=None, orders=None, *, costs=None, group_members=None, group_activity=None, deletions=None,
          id_key: str | None = None) -> CleanResult:
    """Clean a contact export, an order export or both, with every row accounted for.

    Parameters
    ----------
    contacts, orders : path, list of paths or DataFrame, optional
        Files are read with :func:`read_contacts` / :func:`read_orders`;
        DataFrames may carry raw export headers or canonical names.
    costs : path, list of paths or DataFrame, optional
        Channel cost sheet(s), read with :func:`read_costs`.
    group_members, group_activity : path, list of paths or DataFrame, optional
        WeCom customer group member lists and daily activity exports, read
        with :func:`read_group_members` / :func:`read_group_activity`; their
        customer ids are mapped through the contacts cleaned in the same call.
    deletions : path, list of paths or DataFrame, optional
        WeCom's deletion log (流失客户 / 删除记录), read with
        :func:`read_deletions`; ids are mapped like the group tables'.
    id_key : str, optional
        Secret for the pseudonymous ids made from a phone or unionid; defaults
        to the ``SIKIT_ID_KEY`` environment variable.

    Returns
    -------
    CleanResult

    Examples
    --------
    >>> import pandas as pd
    >>> contacts = pd.DataFrame({"外部联系人ID": ["wm1", "wm2"], "unionid": ["u1", "u1"],
    ...                          "添加时间": ["2024-01-05 10:00", "2024-02-01 10:00"]})
    >>> orders = pd.DataFrame({"订单号": ["E1", "E1"], "客户ID": ["wm2", "wm2"],
    ...                        "下单时间": ["2024-03-01 12:00"] * 2, "实付金额": ["¥99.00"] * 2,
    ...                        "订单状态": ["待付款", "交易成功"]})
    >>> result = clean(contacts=contacts, orders=orders)
    >>> result.orders[["order_id", "customer_id", "status", "net_amount"]]
      order_id customer_id status  net_amount
    0       E1         wm1   paid        99.0
    >>> {t: (r["rows_in"], r["kept"], r["merged"], r["rejected"]) for t, r in result.report["tables"].items()}
    {'contacts': (2, 1, 1, 0), 'orders': (2, 1, 1, 0)}
    """
    if all(x is None for x in (contacts, orders, costs, group_members, group_activity, deletions)):
        raise SikitInputError("nothing to clean: give a contacts file, an orders file or both")
    tables: dict[str, dict] = {}
    merged_parts, rejected_parts = [], []
    clean_contacts = clean_orders = keys = None
    if contacts is not None:
        raw = _as_input(contacts, "contacts")
        clean_contacts, merged_c, rejected_c, keys, stats = _clean_contacts(raw, id_key)
        stats["ignored_columns"] = raw.attrs.get("ignored_columns", [])
        stats["source_files"] = sorted(raw[S.SOURCE_FILE].astype("str").unique().tolist())
        tables["contacts"] = stats
        merged_parts.append(merged_c)
        rejected_parts.append(rejected_c)
    if orders is not None:
        raw = _as_input(orders, "orders")
        clean_orders, merged_o, rejected_o, stats = _clean_orders(raw, keys, id_key)
        stats["ignored_columns"] = raw.attrs.get("ignored_columns", [])
        stats["source_files"] = sorted(raw[S.SOURCE_FILE].astype("str").unique().tolist())
        tables["orders"] = stats
        merged_parts.append(merged_o)
        rejected_parts.append(rejected_o)
    clean_costs = None
    if costs is not None:
        raw = _as_input(costs, "costs")
        clean_costs, rejected_k, stats = _clean_costs(raw)
        stats["ignored_columns"] = raw.attrs.get("ignored_columns", [])
        stats["source_files"] = sorted(raw[S.SOURCE_FILE].astype("str").unique().tolist())
        tables["costs"] = stats
        rejected_parts.append(rejected_k)
    clean_groups = {}
    for table, data, fn in (("group_members", group_members, _clean_group_members),
                            ("group_activity", group_activity, _clean_group_activity),
                            ("deletions", deletions, _clean_deletions)):
        if data is None:
            continue
        raw = _as_input(data, table)
        clean_groups[table], merged_g, rejected_g, stats = fn(raw, keys)
        stats["ignored_columns"] = raw.attrs.get("ignored_columns", [])
        stats["source_files"] = sorted(raw[S.SOURCE_FILE].astype("str").unique().tolist())
        tables[table] = stats
        if len(merged_g):
            merged_parts.append(merged_g)
        rejected_parts.append(rejected_g)
    identity_map = (
        keys.assign(key=keys["key"].where(keys["key_type"] != "phone", mask_phone(keys["key"])))
        if keys is not None
        else pd.DataFrame(columns=["key_type", "key", S.CUSTOMER_ID])
    )
    merged = pd.concat(
        [m.astype({S.SOURCE_ROW: "int64", "into_source_row": "int64"}) for m in merged_parts], ignore_index=True
    ) if merged_parts else pd.DataFrame(columns=["table", S.SOURCE_FILE, S.SOURCE_ROW, "into_source_file",
                                                  "into_source_row", "reason"])
    rejected = pd.concat(rejected_parts, ignore_index=True)
    for frame in (merged, rejected):
        for col in frame.columns:
            if frame[col].dtype == object:
                frame[col] = frame[col].astype("str")
    report = {
        "tables": tables,
        "balanced": all(t["rows_in"] == t["kept"] + t["merged"] + t["rejected"] for t in tables.values()),
    }
    return CleanResult(clean_contacts, clean_orders, identity_map, merged, rejected, report, clean_costs,
                       clean_groups.get("group_members"), clean_groups.get("group_activity"),
                       clean_groups.get("deletions"))
