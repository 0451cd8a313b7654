"""The cleaner against the committed sample's ground truth: the figures the README states."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sikit
from sikit._evaluate import identity_scores, order_scores

SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="module")
def cleaned():
    result = sikit.clean(contacts=SAMPLE / "contacts.csv", orders=SAMPLE / "orders.xlsx")
    contacts_truth = pd.read_csv(SAMPLE / "truth" / "contacts_truth.csv", dtype={"person_id": "str"})
    orders_truth = pd.read_csv(SAMPLE / "truth" / "orders_truth.csv", dtype={"person_id": "str", "order_id_true": "str"})
    return result, contacts_truth, orders_truth


def test_sample_row_account_balances(cleaned):
    result, contacts_truth, orders_truth = cleaned
    tables = result.report["tables"]
    assert tables["contacts"]["rows_in"] == len(contacts_truth)
    assert tables["orders"]["rows_in"] == len(orders_truth)
    for t in tables.values():
        assert t["rows_in"] == t["kept"] + t["merged"] + t["rejected"]


def test_identity_resolution_precision_and_recall(cleaned):
    result, contacts_truth, _ = cleaned
    scores = identity_scores(result, contacts_truth)
    assert scores["precision"] >= 0.99, scores
    assert scores["recall"] >= 0.98, scores


def test_rejected_contacts_are_exactly_the_rows_of_no_person(cleaned):
    result, contacts_truth, _ = cleaned
    rejected = set(result.rejected.loc[result.rejected["table"] == "contacts", "source_row"])
    nobody = set(contacts_truth.loc[contacts_truth["person_id"].isna(), "source_row"])
    assert rejected == nobody
    tests = set(contacts_truth.loc[contacts_truth["is_test"] == 1, "source_row"])
    reasons = result.rejected.set_index(["table", "source_row"])["reason"]
    assert {reasons[("contacts", r)] for r in tests} == {"test_account"}


def test_orders_recover_true_status_amounts_and_customer(cleaned):
    result, contacts_truth, orders_truth = cleaned
    scores = order_scores(result, orders_truth, contacts_truth)
    rejected = result.rejected.loc[result.rejected["table"] == "orders", "source_row"]
    # every true order with at least one usable row comes out as one clean order
    assert scores["orders_scored"] == orders_truth.loc[~orders_truth["source_row"].isin(rejected), "order_id_true"].nunique()
    assert scores["orders_scored"] == len(result.orders)  # no order id is invented
    assert scores["status_accuracy"] >= 0.999, scores
    assert scores["amount_accuracy"] >= 0.999, scores
    assert scores["refund_accuracy"] >= 0.999, scores
    assert scores["order_day_accuracy"] >= 0.999, scores
    assert scores["customer_accuracy"] >= 0.99, scores
    assert scores["non_contact_orders_matched"] == 0


def test_phones_recovered_where_the_truth_says_they_can_be(cleaned):
    result, contacts_truth, _ = cleaned
    kept = result.contacts[["source_row", "phone"]].merge(contacts_truth[["source_row", "phone_true"]], on="source_row")
    recoverable = kept["phone_true"].notna()
    got = kept.loc[recoverable, "phone"].astype("str")
    want = kept.loc[recoverable, "phone_true"].astype("int64").astype("str")
    assert (got == want).mean() >= 0.999
