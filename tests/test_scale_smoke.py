"""Tier S of benchmarks/scale.py as a smoke test: every step runs and says what it made (no timing asserted)."""

from __future__ import annotations

import contextlib
import importlib.util
import io
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[1]


def _scale_module():
    spec = importlib.util.spec_from_file_location("scale_bench", ROOT / "benchmarks" / "scale.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tier_s_runs_every_step(tmp_path, monkeypatch):
    # Here and in the child process that writes the tier's data, the data go to tmp_path.
    monkeypatch.setenv("SIKIT_BENCH_SCALE_OUT", str(tmp_path))
    scale = _scale_module()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert scale.main(["--tiers", "S"]) == 0
    steps, totals = out.getvalue().split("\n\n")
    rows = [line.split("|")[1:-1] for line in steps.splitlines() if line.startswith("| S |")]
    assert len(rows) == 7, out.getvalue()
    notes = [r[-1].strip() for r in rows]
    assert not any(n.startswith("failed") for n in notes), notes
    orders = pd.read_parquet(tmp_path / "S" / "orders.parquet", columns=["customer_id"])
    buyers = notes[0].split(" buyers")[0]
    assert buyers == notes[1].split(" buyers")[0]  # pandas and DuckDB find the same buyers
    assert f"{len(orders):,} orders" in notes[0]
    for note in notes[2:4]:  # segment on pandas, then on DuckDB
        assert note.startswith("100,000 rows in layers.csv ("), note
    for note in notes[4:6]:  # score on pandas, then on DuckDB
        assert note.startswith(f"{buyers} rows in scores.csv ("), note
    assert notes[6].startswith("100,000 rows in layers.csv (") and f"; {buyers} rows in scores.csv (" in notes[6]
    measures = [line.split("|")[2].strip() for line in totals.splitlines() if line.startswith("| S |")]
    assert measures[0].startswith("orders → layers.csv + scores.csv") and len(measures) == 3, totals
