"""One step of benchmarks/scale.py in a process of its own: STEP FOLDER AS_OF.

Prints one summary line (what the step produced); scale.py takes the time and
the peak memory from outside.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path


def main(step: str, folder: str, as_of: str) -> str:
    folder = Path(folder)
    if step == "features_pandas":
        import pandas as pd

        from sikit.features import rfm

        orders = pd.read_parquet(folder / "orders.parquet",
                                 columns=["customer_id", "order_time", "net_amount", "status"])
        out = rfm(orders, as_of)
        return f"{len(out):,} buyers, {len(orders):,} orders"
    if step == "features_duckdb":
        from sikit.features import rfm_ibis

        out = rfm_ibis(str(folder / "orders.parquet"), as_of)
        return f"{len(out):,} buyers"
    from sikit._cli import main as sikit

    with tempfile.TemporaryDirectory() as tmp:
        if sikit([step, "--data", str(folder), "--as-of", as_of, "--out", tmp]) != 0:
            raise SystemExit(f"sikit {step} failed")
        import pandas as pd

        name = {"segment": "layers.csv", "score": "scores.csv"}[step]
        n = len(pd.read_csv(Path(tmp) / name, usecols=["customer_id"]))
        return f"{n:,} rows in {name}"


if __name__ == "__main__":
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):  # sikit's own report
        line = main(*sys.argv[1:4])
    print(line)
