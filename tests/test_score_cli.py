"""`sikit score` and `sikit run` on the sample and on real data (CDNOW through `sikit clean`)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from sikit._backtest import expected_calibration_error
from sikit._cli import main
from sikit._propensity import BANDS, propensity_features, repurchase_labels
from sikit.datasets import load_cdnow

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "data/sample"
FULL_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture(scope="module")
def run_out(sample_run):
    return sample_run


def test_run_writes_every_step(run_out):
    for name in ("contacts.parquet", "orders.parquet", "channel_costs.parquet", "report.json", "layers.csv",
                 "layers_profile.csv",
                 "scores.csv", "targets.csv", "backtest.json", "metrics.csv", "metrics_by_channel.csv",
                 "cohort_retention.csv"):
        assert (run_out / name).is_file(), name


def test_scores_cover_every_buyer_with_bands_by_the_documented_cut_offs(run_out):
    scores = pd.read_csv(run_out / "scores.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    layers = pd.read_csv(run_out / "layers.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    buyers = set(layers.loc[layers["frequency"] > 0, "customer_id"])
    assert scores["customer_id"].is_unique and set(scores["customer_id"]) == buyers
    assert scores["p_repurchase"].between(0, 1).all()
    expected = pd.Series("低", index=scores.index)
    expected[scores["p_repurchase"] >= BANDS["中"]] = "中"
    expected[scores["p_repurchase"] >= BANDS["高"]] = "高"
    # p is rounded to 4 places in the file: compare away from the cut-offs
    clear = ~scores["p_repurchase"].sub(BANDS["高"]).abs().lt(1e-4) & ~scores["p_repurchase"].sub(BANDS["中"]).abs().lt(1e-4)
    assert (scores.loc[clear, "band"] == expected[clear]).all()
    assert scores["top_reasons"].str.len().gt(0).all()


def test_backtest_json_names_the_choice_and_the_dates(run_out):
    report = json.loads((run_out / "backtest.json").read_text(encoding="utf-8"))
    aucs = {name: m["roc_auc"] for name, m in report["models"].items()}
    assert report["chosen"] == max(aucs, key=aucs.get)
    assert {"recency", "rfm_score", "bgnbd", "gradient_boosting", "logistic"} <= set(aucs)
    assert report["cutoffs"]["backtest_window"][1] == "2026-10-31"
    assert sum(report["gains"]["customers"]) == report["models"][report["chosen"]]["customers"]


def test_targets_show_masked_phones_only(run_out):
    targets = pd.read_csv(run_out / "targets.csv", encoding="utf-8-sig", dtype=str)
    assert len(targets) > 0
    assert targets["phone_masked"].dropna().str.fullmatch(r"1[3-9]\d\*{4}\d{4}").all()
    for name in ("targets.csv", "scores.csv", "layers.csv"):
        assert not FULL_PHONE.search((run_out / name).read_text(encoding="utf-8-sig")), name
    assert set(targets["rule"]) <= {"likely_but_quiet", "valuable_slipping"}


def test_score_needs_history_exit_2(run_out, tmp_path, capsys):
    code = main(["score", "--data", str(run_out), "--as-of", "2024-12-31", "--out", str(tmp_path)])
    err = capsys.readouterr().err
    assert code == 2 and "not enough history" in err and err.count("\n") == 1


def test_cdnow_master_through_clean_and_score(tmp_path):
    """Real data end to end: CDNOW as an order export, cleaned, scored at 1997-12-31 for 90 days."""
    orders = load_cdnow("master")
    export = orders.assign(order_time=orders["order_time"].dt.strftime("%Y-%m-%d"))[
        ["order_id", "customer_id", "order_time", "amount"]]
    export.to_csv(tmp_path / "cdnow_orders.csv", index=False)
    assert main(["clean", "--orders", str(tmp_path / "cdnow_orders.csv"), "--out", str(tmp_path / "clean")]) == 0
    assert main(["score", "--data", str(tmp_path / "clean"), "--as-of", "1997-12-31",
                 "--out", str(tmp_path / "score")]) == 0
    # orders only (no contacts): the loop metrics still run, saying what needs contacts
    assert main(["metrics", "--data", str(tmp_path / "clean"), "--start", "1997-01-01", "--end", "1997-06-30",
                 "--as-of", "1998-06-30", "--out", str(tmp_path / "metrics")]) == 0
    loop = pd.read_csv(tmp_path / "metrics/metrics.csv", encoding="utf-8-sig", keep_default_na=False)
    assert loop.set_index("id").at["gmv", "value"] != "" and loop.set_index("id").at["new_contacts", "note"] != ""
    scores = pd.read_csv(tmp_path / "score/scores.csv", encoding="utf-8-sig", dtype={"customer_id": str})
    assert len(scores) == 23_570
    # judged on the 90 days after as_of, which nothing in scoring saw
    y = repurchase_labels(orders, "1997-12-31", 90).reindex(scores["customer_id"], fill_value=False).astype(int)
    bgnbd = propensity_features(orders, "1997-12-31", 90)["p_any_bgnbd"].reindex(scores["customer_id"])
    assert roc_auc_score(y, scores["p_repurchase"]) >= roc_auc_score(y, bgnbd)
    assert expected_calibration_error(y.to_numpy(), scores["p_repurchase"].to_numpy()) < 0.03


def test_run_reports_every_metric_once_with_a_reason_when_empty(run_out):
    from sikit.metrics import REGISTRY

    metrics = pd.read_csv(run_out / "metrics.csv", encoding="utf-8-sig", keep_default_na=False)
    assert metrics["id"].tolist() == list(REGISTRY)
    empty = metrics["value"] == ""
    assert (metrics.loc[empty, "note"] != "").all()  # nothing silently missing
    assert "return_rate" in set(metrics.loc[empty, "id"])
    # the deletion log was used: net growth = new contacts - lost contacts
    value = metrics.set_index("id")["value"]
    assert {"net_contact_growth", "lost_contacts"} <= set(metrics.loc[~empty, "id"])
    assert float(value["net_contact_growth"]) == float(value["new_contacts"]) - float(value["lost_contacts"])
    assert (metrics["definition_zh"] != "").all() and (metrics["definition_en"] != "").all()
    # the period is the three whole months up to as_of, and the cost sheet was used
    assert set(metrics.loc[~empty, "end"]) == {"2026-10-31"} and set(metrics.loc[~empty, "start"]) == {"2026-08-01"}
    assert {"cost_per_contact", "cac", "ltv_cac"} <= set(metrics.loc[~empty, "id"])
    groups = {"group_members", "group_joins", "group_exits", "group_exit_rate", "silent_member_share",
              "messages_per_member_day"}
    assert groups <= set(metrics.loc[~empty, "id"])


def test_run_gives_every_group_a_lifecycle_stage(run_out):
    life = pd.read_csv(run_out / "group_lifecycle.csv", encoding="utf-8-sig")
    members = pd.read_parquet(run_out / "group_members.parquet")
    assert set(life["group_name"]) <= set(members["group_name"])
    assert set(life["stage"]) <= {"growing", "stable", "declining"} and life["stage"].nunique() >= 2
    assert (life["stage_zh"].map({"成长": "growing", "稳定": "stable", "衰退": "declining"}) == life["stage"]).all()


def test_cohort_csv_leaves_unobservable_cells_empty(run_out):
    cohorts = pd.read_csv(run_out / "cohort_retention.csv", encoding="utf-8-sig", dtype={"cohort": str})
    last = cohorts.iloc[-1]
    assert last["cohort"] == "2026-10"  # October ends with as_of (end of day); November has not begun
    assert last["0"] == 1.0 and pd.isna(last["1"])


def test_engine_duckdb_writes_the_same_files_as_pandas(run_out, tmp_path):
    """`--engine duckdb` scans orders.parquet in place; every file it writes equals the pandas route's, byte for byte."""
    pytest.importorskip("ibis")
    for command in ("segment", "score"):
        assert main([command, "--data", str(run_out), "--as-of", "2026-10-31", "--out", str(tmp_path),
                     "--engine", "duckdb"]) == 0
    for name in ("layers.csv", "layers_profile.csv", "scores.csv", "targets.csv", "backtest.json"):
        assert (tmp_path / name).read_bytes() == (run_out / name).read_bytes(), name


def test_engine_duckdb_on_a_folder_without_orders_exit_2(tmp_path, capsys):
    pytest.importorskip("ibis")
    code = main(["score", "--data", str(tmp_path), "--as-of", "2026-10-31", "--out", str(tmp_path / "o"),
                 "--engine", "duckdb"])
    err = capsys.readouterr().err
    assert code == 2 and "orders.parquet not found" in err and err.count("\n") == 1


def test_warehouse_tables_give_the_same_files(run_out, tmp_path):
    """`--warehouse URL`: orders and contacts read from database tables (here a DuckDB file) instead of a folder."""
    pytest.importorskip("ibis")
    import duckdb

    db = tmp_path / "dw.duckdb"
    with duckdb.connect(str(db)) as con:
        for name in ("orders", "contacts"):
            con.execute(f"CREATE TABLE crm_{name} AS SELECT * FROM read_parquet('{run_out / name}.parquet')")
    url = f"duckdb://{db}"
    for command in ("segment", "score"):
        assert main([command, "--warehouse", url, "--orders-table", "crm_orders", "--contacts-table", "crm_contacts",
                     "--as-of", "2026-10-31", "--out", str(tmp_path / "out")]) == 0
    for name in ("layers.csv", "scores.csv", "targets.csv", "backtest.json"):
        assert (tmp_path / "out" / name).read_bytes() == (run_out / name).read_bytes(), name


def test_warehouse_errors_are_one_line(run_out, tmp_path, capsys):
    pytest.importorskip("ibis")
    db = tmp_path / "empty.duckdb"
    cases = [
        (["--warehouse", f"duckdb://{db}"], "table 'orders' not found"),
        (["--warehouse", f"duckdb://{db}", "--data", str(run_out)], "not both"),
        ([], "give --data FOLDER"),
        (["--warehouse", "nosuchengine://x"], "cannot connect to --warehouse"),
    ]
    for extra, words in cases:
        code = main(["segment", *extra, "--as-of", "2026-10-31", "--out", str(tmp_path / "o")])
        err = capsys.readouterr().err
        assert code == 2 and words in err and err.count("\n") == 1, (extra, err)
