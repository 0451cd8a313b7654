"""Scale tiers: orders to features, layers and scores at 100k, 1M and 10M customers.

    .venv/bin/python benchmarks/scale.py                  # tiers S and M
    .venv/bin/python benchmarks/scale.py --tiers S,M,L    # L: 10M persons, ~100M orders (long; make bench)

The orders a brand keeps in its warehouse are already clean: each tier is made
from the sample generator's ground truth (`sikit.sample.generate(...,
format="parquet")`, in chunks of at most 1,000,000 persons with seeds 0, 1,
...), one row per true order with its true status, time and amounts, and the
person as `customer_id`; contacts are the persons with the day they were first
added. Written once under out/bench_scale/<tier>/ (or $SIKIT_BENCH_SCALE_OUT;
orders.parquet and contacts.parquet, written a chunk at a time, so tier L is
never one frame in memory). `make test` runs tier S as a smoke test
(tests/test_scale_smoke.py), without timing assertions.

Each step runs as its own process (`benchmarks/scale_step.py`), measured with
os.wait4: wall time including imports and peak resident memory. Prints a
Markdown table; `make bench` appends it to RESULTS.md. The issue's targets:
S ≤ 10 s and ≤ 1 GB from orders to layers.csv and scores.csv; M ≤ 30 s and ≤ 3 GB;
L ≤ 180 s and ≤ 8 GB with the orders never in pandas; the features step at
least as fast as pandas at M and 2x faster at L.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
OUT = Path(os.environ.get("SIKIT_BENCH_SCALE_OUT") or ROOT / "out" / "bench_scale")
TIERS = {"S": 100_000, "M": 1_000_000, "L": 10_000_000}
CHUNK = 1_000_000
AS_OF = "2026-10-31"


def _chunk(persons: int, seed: int, offset: int):
    """One chunk of warehouse tables from the generator's truth: (orders, contacts)."""
    import pandas as pd

    from sikit.sample import generate

    data = generate(customers=persons, seed=seed, format="parquet")
    truth = data.orders_truth
    truth = truth[truth["person_id"].notna()].drop_duplicates("order_id_true")
    person = (truth["person_id"].astype("int64") + offset).astype("str")
    orders = pd.DataFrame({
        "order_id": truth["order_id_true"].to_numpy(),
        "customer_id": ("p" + person).to_numpy(),
        "order_time": truth["order_time_true"].to_numpy(),
        "amount": truth["amount_true"].to_numpy(),
        "refund_amount": truth["refund_true"].to_numpy(),
        "status": truth["status_true"].to_numpy(),
    })
    orders["order_time"] = pd.to_datetime(orders["order_time"], utc=True).dt.tz_convert("Asia/Shanghai")
    orders["net_amount"] = orders["amount"] - orders["refund_amount"]
    c = data.contacts_truth
    c = c[c["person_id"].notna() & ~c["is_test"]]
    added = c.groupby("person_id")["added_at_true"].min()
    contacts = pd.DataFrame({"customer_id": "p" + (added.index.astype("int64") + offset).astype("str"),
                             "added_at": added.to_numpy()})
    return orders, contacts


def make_tier(tier: str) -> Path:
    """The tier's folder, generated once (cached under out/bench_scale)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = OUT / tier
    done = folder / ".done"
    if done.is_file():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    persons = TIERS[tier]
    writers: dict[str, pq.ParquetWriter] = {}
    try:
        for seed, start in enumerate(range(0, persons, CHUNK)):
            n = min(CHUNK, persons - start)
            t = time.perf_counter()
            orders, contacts = _chunk(n, seed, offset=start)
            for name, frame in (("orders", orders), ("contacts", contacts)):
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if name not in writers:  # one file per table, written a chunk at a time
                    writers[name] = pq.ParquetWriter(folder / f"{name}.parquet", table.schema)
                writers[name].write_table(table)
            print(f"  {tier}: persons {start:,}..{start + n:,}: {len(orders):,} orders "
                  f"({time.perf_counter() - t:.0f} s)", file=sys.stderr, flush=True)
    finally:
        for w in writers.values():
            w.close()
    done.touch()
    return folder


def _limit_memory(gb: float):
    """A child's address-space cap, so a step that cannot fit fails with MemoryError instead of the box."""
    import resource

    def cap():
        limit = int(gb * 1024**3)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    return cap


def measure(args: list[str], memory_gb: float | None = None) -> tuple[float, float, str]:
    """Wall seconds, peak resident MB (os.wait4) and the summary line printed, of one child process."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=_limit_memory(memory_gb) if memory_gb else None)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    out, err = proc.stdout.read(), proc.stderr.read()
    if os.waitstatus_to_exitcode(status) != 0:
        return seconds, usage.ru_maxrss / 1024, "failed: " + (err.strip().splitlines() or ["?"])[-1][:200]
    return seconds, usage.ru_maxrss / 1024, (out.strip().splitlines() or [""])[-1]


STEPS = {
    "features (pandas reference: read orders, rfm)": "features_pandas",
    "features (Ibis on DuckDB, reading the Parquet file)": "features_duckdb",
    "segment, pandas: orders to layers.csv": "segment",
    "segment, DuckDB (`--engine duckdb`)": "segment_duckdb",
    "score, pandas: orders to scores.csv": "score",
    "score, DuckDB (`--engine duckdb`)": "score_duckdb",
    "segment + score in one process, DuckDB": "both_duckdb",
}
#: The issue's targets per tier: end-to-end seconds (orders to layers.csv and scores.csv) and peak GB.
TARGETS = {"S": (10, 1), "M": (30, 3), "L": (180, 8)}
# pandas holds every order in memory: at tier L it gets this many GB before it counts as failed.
PANDAS_L_GB = 20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tiers", default="S,M", help="comma-separated tiers among S, M, L (default S,M)")
    parser.add_argument("--steps", default=",".join(STEPS.values()), help="comma-separated steps")
    parser.add_argument("--make", help=argparse.SUPPRESS)  # internal: write one tier's data, then exit
    args = parser.parse_args(argv)
    if args.make:
        make_tier(args.make)
        return 0
    tiers = [t.strip().upper() for t in args.tiers.split(",") if t.strip()]
    steps = [s.strip() for s in args.steps.split(",")]
    rows, totals = [], []
    for tier in tiers:
        # Made in a process of its own: a child's peak memory (wait4's ru_maxrss) starts from its
        # parent's size at fork on Linux, so this process must stay small.
        subprocess.run([sys.executable, __file__, "--make", tier], check=True)
        folder = OUT / tier
        got = {}
        for label, step in STEPS.items():
            if step not in steps:
                continue
            if tier == "L" and step in ("segment", "score"):
                # the pandas route reads every order into memory: at L only the engine route runs
                rows.append(f"| {tier} | {label} | not run | | the orders would have to fit in pandas |")
                continue
            cap = PANDAS_L_GB if (tier == "L" and step == "features_pandas") else None
            seconds, peak, note = measure([sys.executable, str(HERE / "scale_step.py"), step, str(folder), AS_OF],
                                          memory_gb=cap)
            got[step] = (seconds, peak, not note.startswith("failed"))
            rows.append(f"| {tier} | {label} | {seconds:.1f} | {peak:,.0f} | {note} |")
            print(rows[-1], file=sys.stderr, flush=True)
        totals.extend(_totals(tier, got))
    print("| tier | step (whole process, imports included) | seconds | peak MB | what it did (stages in process) |")
    print("| --- | --- | ---: | ---: | --- |")
    print("\n".join(rows))
    if totals:
        print()
        print("| tier | measure | value | target | met |")
        print("| --- | --- | ---: | ---: | --- |")
        print("\n".join(totals))
    return 0


def _totals(tier: str, got: dict) -> list[str]:
    """End to end (segment + score on DuckDB in one process) and the features ratio, against the targets."""
    out = []
    seconds, gb = TARGETS[tier]
    if got.get("both_duckdb", (0, 0, False))[2]:
        total, peak = got["both_duckdb"][0], got["both_duckdb"][1] / 1024
        out.append(f"| {tier} | orders → layers.csv + scores.csv (DuckDB, one process), seconds | {total:.1f} | "
                   f"≤ {seconds} | {'yes' if total <= seconds else 'no'} |")
        out.append(f"| {tier} | the same, peak GB | {peak:.2f} | ≤ {gb} | {'yes' if peak <= gb else 'no'} |")
    pandas, duck = got.get("features_pandas"), got.get("features_duckdb")
    if pandas and duck and duck[2]:
        need = {"S": None, "M": 1.0, "L": 2.0}[tier]
        if pandas[2]:
            ratio = pandas[0] / duck[0]
            met = "" if need is None else ("yes" if ratio >= need else "no")
            out.append(f"| {tier} | features: pandas time ÷ DuckDB time | {ratio:.2f}x | "
                       f"{'' if need is None else f'≥ {need:g}x'} | {met} |")
        else:
            out.append(f"| {tier} | features: pandas time ÷ DuckDB time | pandas failed | "
                       f"{'' if need is None else f'≥ {need:g}x'} | yes (pandas did not finish) |")
    return out


if __name__ == "__main__":
    sys.exit(main())
