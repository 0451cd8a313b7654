"""`make bench`: time and peak memory of sikit's steps as whole processes.

Writes benchmarks/RESULTS.md (and prints it). Never part of `make test`.
Each step runs as its own `sikit` process, measured with os.wait4, so the
figures include imports and file I/O, as a user would see them.
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SIKIT = [sys.executable, "-m", "sikit._cli"]
sys.path.insert(0, str(HERE))
from bgnbd import main as bgnbd_main  # noqa: E402
from dashboard import main as dashboard_main  # noqa: E402
from identity import main as identity_main  # noqa: E402


def measure(args: list[str]) -> tuple[float, float]:
    """Wall seconds and peak resident memory (MB) of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(args)}\n{proc.stderr.read().decode()}")
    return seconds, usage.ru_maxrss / 1024


def layered(out: Path) -> str:
    """What a segment step did, read from its layers.csv: customers, buyers, layers."""
    import pandas as pd

    layers = pd.read_csv(out / "layers.csv", usecols=["layer", "frequency"], encoding="utf-8-sig")
    buyers = int((layers["frequency"] > 0).sum())
    return (f": {len(layers):,} customers, {buyers:,} buyers in {layers['layer'].max() - 1} layers"
            f" + {len(layers) - buyers:,} not yet converted")


def machine() -> str:
    mem = ""
    try:
        kb = int(next(line for line in open("/proc/meminfo") if line.startswith("MemTotal")).split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GB memory"
    except (OSError, StopIteration):
        pass
    return f"{platform.machine()}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def main() -> int:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        steps = [
            ("sample: 3,000 persons, export (GB18030 CSV + XLSX)",
             [*SIKIT, "sample", "--out", str(tmp / "s3k"), "--customers", "3000"]),
            ("clean: data/sample (3,302 contact rows, 28,474 order rows)",
             [*SIKIT, "clean", "--contacts", str(ROOT / "data/sample/contacts.csv"),
              "--orders", str(ROOT / "data/sample/orders.xlsx"), "--out", str(tmp / "c3k")]),
            ("sample: 100,000 persons, parquet (~1M order rows)",
             [*SIKIT, "sample", "--out", str(tmp / "s100k"), "--customers", "100000", "--format", "parquet"]),
            ("clean: 100,000 persons, parquet (~1M order rows)",
             [*SIKIT, "clean", "--contacts", str(tmp / "s100k/contacts.parquet"),
              "--orders", str(tmp / "s100k/orders.parquet"), "--out", str(tmp / "c100k")]),
            ("sample: 1,000,000 persons, parquet (~10M order rows)",
             [*SIKIT, "sample", "--out", str(tmp / "s1m"), "--customers", "1000000", "--format", "parquet"]),
            ("clean: 1,000,000 persons, parquet (~10M order rows)",
             [*SIKIT, "clean", "--contacts", str(tmp / "s1m/contacts.parquet"),
              "--orders", str(tmp / "s1m/orders.parquet"), "--out", str(tmp / "c1m")]),
        ]
        # Layering reads what cleaning wrote: one step per size, auto k.
        for size, folder in (("data/sample", "c3k"), ("100,000 persons", "c100k"), ("1,000,000 persons", "c1m")):
            steps.append((f"segment: {size} (features, auto k, stability, every customer assigned)",
                          [*SIKIT, "segment", "--data", str(tmp / folder), "--as-of", "2026-10-31",
                           "--out", str(tmp / f"seg-{folder}")]))
        # Repurchase scoring: ~6 feature windows, 6 candidates, permutation importance.
        for size, folder in (("data/sample", "c3k"), ("100,000 persons", "c100k")):
            steps.append((f"score: {size} (90-day horizon, backtest of 6 candidates, scores, targets)",
                          [*SIKIT, "score", "--data", str(tmp / folder), "--as-of", "2026-10-31",
                           "--out", str(tmp / f"score-{folder}")]))
        for label, args in steps:
            seconds, peak = measure(args)
            if args[3] == "segment":
                label += layered(Path(args[args.index("--out") + 1]))
            rows.append(f"| {label} | {seconds:.1f} | {peak:,.0f} |")
            print(rows[-1], flush=True)
    import contextlib
    import io

    buf, bg = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf):
        identity_main(["--more"])
    with contextlib.redirect_stdout(bg):
        bgnbd_main(["--repeat", "15"])
    dash = io.StringIO()
    try:
        with contextlib.redirect_stdout(dash):
            dashboard_main([])
    except (Exception, SystemExit) as exc:  # noqa: BLE001 - a missing browser must not lose the other figures
        print(f"dashboard benchmark failed: {exc!r}", file=sys.stderr)
        dash = io.StringIO(f"not measured: {type(exc).__name__}: {exc} (needs chromium: `make system-deps`)")
    # A process of its own: on Linux a child's peak memory (wait4's ru_maxrss) starts from its
    # parent's size at fork, and this process has grown by now (the dashboard benchmark).
    scale = subprocess.run([sys.executable, str(HERE / "scale.py"), "--tiers", "S,M,L"],
                           check=True, stdout=subprocess.PIPE, text=True).stdout
    text = "\n".join([
        "# Benchmark results",
        "",
        f"Machine: {machine()}. Made by `make bench` (`benchmarks/run.py`) on {time.strftime('%Y-%m-%d')}.",
        "",
        "## Time and peak memory, each step a whole `sikit` process",
        "",
        "| step | seconds | peak MB |",
        "| --- | ---: | ---: |",
        *rows,
        "",
        "## Cleaning against the generator's ground truth (`benchmarks/identity.py --more`)",
        "",
        buf.getvalue().strip(),
        "",
        "## BG/NBD in process (`benchmarks/bgnbd.py --repeat 15`)",
        "",
        bg.getvalue().strip(),
        "",
        "## Scale tiers (`benchmarks/scale.py --tiers S,M,L`)",
        "",
        scale.strip(),
        "",
        "## The dashboard in headless Chromium (`benchmarks/dashboard.py`)",
        "",
        dash.getvalue().strip(),
        "",
    ])
    (HERE / "RESULTS.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
