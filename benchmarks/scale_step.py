"""One step of benchmarks/scale.py in a process of its own: STEP FOLDER AS_OF.

Prints one summary line (what the step produced and its stages timed in
process); scale.py takes the wall time and the peak memory from outside.
The segment and score steps run what `sikit segment` / `sikit score` run
(`--engine pandas` or `--engine duckdb`), stage by stage.
"""

from __future__ import annotations

import sys
import tempfile
import time
from argparse import Namespace
from pathlib import Path


class _Stages:
    def __init__(self):
        self.times, self._t = [], time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.times.append(f"{name} {now - self._t:.1f} s")
        self._t = now

    def __str__(self) -> str:
        return "; ".join(self.times)


def _segment(folder: Path, as_of: str, engine: str, out: Path) -> str:
    from sikit._cli import _read_for
    from sikit._segment import segment

    t = _Stages()
    orders, contacts = _read_for(Namespace(data=folder, engine=engine))
    t.done("read")
    seg = segment(orders, contacts, as_of=as_of)
    t.done("features + layering")
    seg.write(out)
    t.done("write layers.csv")
    return f"{len(seg.layers):,} rows in layers.csv ({t})"


def _score(folder: Path, as_of: str, engine: str, out: Path) -> str:
    from sikit._cli import _read_for
    from sikit._propensity import RepurchaseModel, target_list, write_scores

    t = _Stages()
    orders, contacts = _read_for(Namespace(data=folder, engine=engine))
    t.done("read")
    model = RepurchaseModel().fit(orders, contacts, as_of=as_of)
    t.done(f"fit on {model.n_sampled_:,} customers")
    scores = model.score(orders, contacts)
    t.done("score")
    targets = target_list(model, orders, contacts, scores=scores)
    write_scores(model, scores, out, targets)
    t.done("targets + write")
    return f"{len(scores):,} rows in scores.csv ({t})"


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
    command, _, engine = step.partition("_")
    with tempfile.TemporaryDirectory() as tmp:
        if command == "both":  # segment then score in one process, as a notebook or `sikit run` does
            return "; ".join(run(folder, as_of, engine or "pandas", Path(tmp)) for run in (_segment, _score))
        run = {"segment": _segment, "score": _score}[command]
        return run(folder, as_of, engine or "pandas", Path(tmp))


if __name__ == "__main__":
    import io
    from contextlib import redirect_stdout

    with redirect_stdout(io.StringIO()):
        line = main(*sys.argv[1:4])
    print(line)
