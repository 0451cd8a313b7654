"""Identity resolution and order recovery against the sample generator's ground truth.

    .venv/bin/python benchmarks/identity.py            # the committed data/sample
    .venv/bin/python benchmarks/identity.py --more     # plus freshly generated brands

Prints a Markdown table; the README quotes it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import pandas as pd

import sikit
from sikit._evaluate import identity_scores, order_scores
from sikit.sample import generate

ROOT = Path(__file__).resolve().parents[1]


def score(folder: Path, label: str) -> dict:
    result = sikit.clean(contacts=folder / "contacts.csv", orders=folder / "orders.xlsx")
    contacts_truth = pd.read_csv(folder / "truth" / "contacts_truth.csv", dtype={"person_id": "str"})
    orders_truth = pd.read_csv(folder / "truth" / "orders_truth.csv", dtype={"person_id": "str", "order_id_true": "str"})
    ident = identity_scores(result, contacts_truth)
    orders = order_scores(result, orders_truth, contacts_truth)
    t = result.report["tables"]
    return {
        "data": label,
        "contact rows": t["contacts"]["rows_in"],
        "order rows": t["orders"]["rows_in"],
        "precision": f"{ident['precision']:.4f}",
        "recall": f"{ident['recall']:.4f}",
        "persons → customers": f"{ident['persons']} → {ident['customers']}",
        "order status / amount / refund": f"{orders['status_accuracy']:.4f} / {orders['amount_accuracy']:.4f} / {orders['refund_accuracy']:.4f}",
        "order → right customer": f"{orders['customer_accuracy']:.4f}",
        "balanced": result.report["balanced"],
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--more", action="store_true", help="also generate and score other seeds and sizes")
    args = parser.parse_args(argv)
    rows = [score(ROOT / "data" / "sample", "data/sample (3,000 persons, seed 0)")]
    if args.more:
        with tempfile.TemporaryDirectory() as tmp:
            for customers, seed in ((3000, 1), (3000, 2), (30000, 3)):
                folder = Path(tmp) / f"{customers}-{seed}"
                generate(folder, customers=customers, seed=seed)
                rows.append(score(folder, f"generated ({customers:,} persons, seed {seed})"))
    print(markdown_table(rows))
    return 0


def markdown_table(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(str(r[h]) for h in head) + " |" for r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
