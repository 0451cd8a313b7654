"""Repurchase backtests for the README: the committed sample and the CDNOW master.

    .venv/bin/python benchmarks/propensity.py

For each data set: clean it with sikit, fit ``RepurchaseModel(horizon=90)``
at ``as_of``, print the backtest (every candidate on the last full window
before ``as_of``) and then judge the chosen scores on the 90 days after
``as_of``, which nothing in fitting saw. Prints Markdown.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from sklearn.metrics import roc_auc_score

import sikit
from sikit._backtest import score_metrics
from sikit._propensity import CANDIDATES, RepurchaseModel, propensity_features, repurchase_labels
from sikit.datasets import load_cdnow

ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["roc_auc", "pr_auc", "brier", "ece", "top_decile_lift"]


def report(title: str, orders, contacts, as_of: str) -> None:
    model = RepurchaseModel(horizon=90).fit(orders, contacts, as_of=as_of)
    window = " → ".join(model.cutoffs_["backtest_window"])
    print(f"### {title}: as_of {as_of}, horizon 90 days\n")
    print(f"Backtest on {window} ({int(model.backtest_['customers'].iloc[0]):,} customers, "
          f"{model.backtest_['base_rate'].iloc[0]:.1%} bought again):\n")
    print("| candidate | ROC AUC | PR AUC | Brier | ECE | top-decile lift | chosen |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | --- |")
    for name, row in model.backtest_.iterrows():
        cells = " | ".join(f"{row[c]:.3f}" for c in COLUMNS)
        print(f"| {CANDIDATES[name][1]} | {cells} | {'**yes**' if name == model.chosen_ else ''} |")
    print(f"\n{model.message_['en']}.\n")
    p = model.predict_proba(orders, contacts)
    y = repurchase_labels(orders, as_of, 90).reindex(p.index, fill_value=False).astype(int)
    m = score_metrics(y.to_numpy(), p.to_numpy())
    bgnbd = roc_auc_score(y, propensity_features(orders, as_of, 90)["p_any_bgnbd"])
    print(f"Forward check, the 90 days after {as_of} ({m['customers']:,} customers, {m['base_rate']:.1%} bought "
          f"again): ROC AUC {m['roc_auc']:.3f} (BG/NBD alone {bgnbd:.3f}), PR AUC {m['pr_auc']:.3f}, "
          f"Brier {m['brier']:.3f}, ECE {m['ece']:.3f}, top-decile lift {m['top_decile_lift']:.2f}.\n")


def main() -> int:
    sample = sikit.clean(contacts=ROOT / "data/sample/contacts.csv", orders=ROOT / "data/sample/orders.xlsx")
    report("data/sample", sample.orders, sample.contacts, "2026-07-31")
    cdnow = load_cdnow("master")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cdnow_orders.csv"
        cdnow.assign(order_time=cdnow["order_time"].dt.strftime("%Y-%m-%d"))[
            ["order_id", "customer_id", "order_time", "amount"]].to_csv(path, index=False)
        clean = sikit.clean(orders=path)
    report("CDNOW master (23,570 customers, through sikit.clean)", clean.orders, None, "1997-12-31")
    return 0


if __name__ == "__main__":
    sys.exit(main())
