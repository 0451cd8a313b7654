"""Score a cleaning result against the sample generator's ground truth.

Used by the tests and by ``benchmarks/identity.py``, so the figures in the
README and the thresholds in CI come from one piece of code.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from . import _schema as S
from ._clean import CleanResult

__all__ = ["contact_customers", "identity_scores", "order_scores"]


def _pairs(counts: pd.Series) -> int:
    n = counts.to_numpy(dtype=np.int64)
    return int((n * (n - 1) // 2).sum())


def contact_customers(result: CleanResult, table: str = "contacts") -> pd.DataFrame:
    """``source_row`` -> ``customer_id`` for every contact row kept or merged."""
    kept = result.contacts[[S.SOURCE_ROW, S.CUSTOMER_ID]]
    m = result.merged[result.merged["table"] == table][[S.SOURCE_ROW, "into_source_row"]]
    into = kept.rename(columns={S.SOURCE_ROW: "into_source_row"})
    merged = m.merge(into, on="into_source_row", how="left")[[S.SOURCE_ROW, S.CUSTOMER_ID]]
    return pd.concat([kept, merged], ignore_index=True)


def identity_scores(result: CleanResult, contacts_truth: pd.DataFrame) -> dict[str, float]:
    """Pairwise precision and recall of "these two contact rows are one person".

    Rows the truth assigns to no person (test accounts, rows without id,
    blank rows) are left out; a true person's row that the cleaner rejected
    counts as a missed pair.
    """
    truth = contacts_truth[contacts_truth["person_id"].notna()][[S.SOURCE_ROW, "person_id"]]
    both = truth.merge(contact_customers(result), on=S.SOURCE_ROW, how="left")
    # A rejected row of a real person stands alone: it can only lose recall.
    lone = both[S.CUSTOMER_ID].isna()
    both.loc[lone, S.CUSTOMER_ID] = "rejected:" + both.loc[lone, S.SOURCE_ROW].astype("str")
    predicted = _pairs(both.groupby(S.CUSTOMER_ID).size())
    actual = _pairs(both.groupby("person_id").size())
    correct = _pairs(both.groupby([S.CUSTOMER_ID, "person_id"]).size())
    return {
        "precision": correct / predicted if predicted else 1.0,
        "recall": correct / actual if actual else 1.0,
        "pairs_predicted": predicted,
        "pairs_true": actual,
        "persons": int(truth["person_id"].nunique()),
        "customers": int(both[S.CUSTOMER_ID].nunique()),
        "person_rows_rejected": int(lone.sum()),
    }


def order_scores(result: CleanResult, orders_truth: pd.DataFrame, contacts_truth: pd.DataFrame) -> dict[str, float]:
    """How often a clean order carries the true status, amounts and customer."""
    rows = result.orders[[S.SOURCE_ROW, S.ORDER_ID, S.CUSTOMER_ID, S.STATUS, S.AMOUNT, S.REFUND_AMOUNT, S.ORDER_TIME]]
    truth = orders_truth.drop_duplicates("order_id_true").set_index("order_id_true")
    columns = ["person_id", "status_true", "amount_true", "refund_true", "order_time_true"]
    o = rows.join(truth[columns], on=S.ORDER_ID, how="inner")
    true_day = pd.to_datetime(o["order_time_true"], utc=True).dt.tz_convert(S.TIMEZONE).dt.date
    # The customer a person's contacts resolved to (their majority, if split).
    person_customer = (
        contacts_truth[[S.SOURCE_ROW, "person_id"]]
        .merge(contact_customers(result), on=S.SOURCE_ROW)
        .groupby("person_id")[S.CUSTOMER_ID]
        .agg(lambda s: s.value_counts().index[0])
    )
    of_person = o[o["person_id"].notna()]
    expected_customer = of_person["person_id"].map(person_customer)
    return {
        "orders_scored": int(len(o)),
        "status_accuracy": float((o[S.STATUS] == o["status_true"]).mean()),
        "amount_accuracy": float(np.isclose(o[S.AMOUNT], o["amount_true"]).mean()),
        "refund_accuracy": float(np.isclose(o[S.REFUND_AMOUNT], o["refund_true"]).mean()),
        # Some export formats carry only the date, so the day is what can be checked.
        "order_day_accuracy": float((o[S.ORDER_TIME].dt.date == true_day).mean()),
        "customer_accuracy": float((of_person[S.CUSTOMER_ID] == expected_customer).mean()),
        "non_contact_orders_matched": int(result.orders.set_index(S.ORDER_ID).loc[
            o.loc[o["person_id"].isna(), S.ORDER_ID], "matched"].sum()),
    }
