"""The ``sikit`` command: a thin shell over the package's functions.

Bad input prints one line naming the problem and exits with code 2;
``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from ._errors import SikitInputError

EXIT_BAD_INPUT = 2


def _cmd_sample(args: argparse.Namespace) -> int:
    from .sample import generate

    data = generate(args.out, customers=args.customers, seed=args.seed, format=args.format)
    for name, path in sorted(data.paths.items()):
        print(f"{name}: {path}")
    return 0


#: The exports `sikit clean` and `sikit run` take: (option / clean() keyword, help).
INPUTS = {
    "contacts": "contact export (CSV/TSV/XLSX/Parquet)",
    "orders": "order export (CSV/TSV/XLSX/Parquet)",
    "costs": "channel cost sheet (渠道, 月份, 投放费用)",
    "group_members": "customer group member list (群名称, 外部联系人ID, 入群时间, 退群时间)",
    "group_activity": "customer group daily activity (日期, 群名称, 外部联系人ID, 发言数)",
    "deletions": "contact deletion log, 流失客户/删除记录 (外部联系人ID, 删除时间, 删除方)",
}


def _add_inputs(p: argparse.ArgumentParser, required=()) -> None:
    for name, what in INPUTS.items():
        p.add_argument("--" + name.replace("_", "-"), action="append", required=name in required,
                       help=f"{what}; repeatable")


def _add_common(p: argparse.ArgumentParser, *, data: bool, as_of: str | None, warehouse: bool = False) -> None:
    """--data / --as-of / --lang, the options the analysis commands share."""
    if data:
        # With a warehouse (--warehouse), the tables come from there instead.
        p.add_argument("--data", required=not warehouse,
                       help="folder written by `sikit clean` (orders.parquet, contacts.parquet, ...)"
                            + ("; or give --warehouse" if warehouse else ""))
    if as_of:
        p.add_argument("--as-of", required=True, help=as_of)
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language of the printed report")


def _add_engine(p: argparse.ArgumentParser) -> None:
    p.add_argument("--engine", choices=ENGINES, default="pandas",
                   help="who scans the orders: pandas (default) or duckdb, which reads orders.parquet in place "
                        "and keeps the orders out of memory (for millions of customers; needs sikit[scale])")
    p.add_argument("--warehouse", metavar="URL",
                   help="read clean tables from a database instead of --data: an Ibis connection URL such as "
                        "duckdb:///dw.duckdb or postgres://user@host/db; the orders are scanned there "
                        "(needs sikit[scale])")
    p.add_argument("--orders-table", default="orders", help="orders table in --warehouse (default: orders)")
    p.add_argument("--contacts-table", help="contacts table in --warehouse (default: none)")


def _cmd_clean(args: argparse.Namespace) -> int:
    from ._clean import clean

    given = {name: getattr(args, name, None) or None for name in INPUTS}
    if not any(given.values()):
        raise SikitInputError("nothing to clean: give " + ", ".join(
            f"--{n.replace('_', '-')} FILE" for n in INPUTS) + " (any of them)")
    result = clean(**given)
    paths = result.write(args.out)
    print(result.summary(lang=args.lang))
    print()
    print(("输出" if args.lang == "zh" else "written") + f": {Path(args.out)}/ ({', '.join(p.name for p in paths.values())})")
    return 0 if result.report["balanced"] else 1


def _n_layers(value: str):
    if value == "auto":
        return value
    try:
        k = int(value)
    except ValueError:
        k = 0
    if k < 1:
        raise argparse.ArgumentTypeError(f"expected 'auto' or a positive whole number, got {value!r}")
    return k


ENGINES = ("pandas", "duckdb")


def _read_for(args: argparse.Namespace):
    """(orders, contacts) for an analysis command: orders in pandas, or their Parquet path for an engine.

    With ``--engine duckdb`` the orders are scanned in place by DuckDB (through
    Ibis) and never enter pandas; contacts, one row per person, are read as usual.
    """
    from ._load import read_clean

    warehouse = getattr(args, "warehouse", None)
    if warehouse and args.data:
        raise SikitInputError("give either --data FOLDER or --warehouse URL, not both")
    if not warehouse and not args.data:
        raise SikitInputError("give --data FOLDER (written by `sikit clean`) or --warehouse URL")
    if not warehouse and getattr(args, "engine", "pandas") == "pandas":
        return read_clean(args.data)
    try:
        import ibis
    except ImportError:
        option = "--warehouse" if warehouse else "--engine duckdb"
        raise SikitInputError(f"{option} needs the scale extra: pip install 'sikit[scale]'") from None
    if warehouse:
        return _read_warehouse(ibis, warehouse, args.orders_table, args.contacts_table)
    folder = Path(args.data)
    read_clean(folder, read_orders=False)  # the same checks and messages as the pandas route
    contacts = folder / "contacts.parquet"
    return str(folder / "orders.parquet"), (pd.read_parquet(contacts) if contacts.is_file() else None)


def _read_warehouse(ibis, url: str, orders_table: str, contacts_table: str | None):
    """The orders as a table scanned where it lives; the contacts (one row per person) in pandas."""
    try:
        con = ibis.connect(url)
    except Exception as exc:  # noqa: BLE001 - any driver error: one line naming the URL
        raise SikitInputError(f"cannot connect to --warehouse {url!r}: {type(exc).__name__}: {exc}") from None
    tables = set(con.list_tables())
    for name in filter(None, (orders_table, contacts_table)):
        if name not in tables:
            raise SikitInputError(f"table {name!r} not found in --warehouse {url!r}; it has: "
                                  f"{', '.join(sorted(tables)) or 'no tables'}")
    contacts = None
    if contacts_table:
        contacts = con.table(contacts_table).to_pyarrow().to_pandas()
    return con.table(orders_table), contacts


def _cmd_segment(args: argparse.Namespace) -> int:
    from ._segment import segment

    orders, contacts = _read_for(args)
    seg = segment(orders, contacts, as_of=args.as_of, n_layers=args.n_layers)
    paths = seg.write(args.out)
    print(seg.summary(lang=args.lang))
    print()
    print(("输出" if args.lang == "zh" else "written") + f": {Path(args.out)}/ ({', '.join(p.name for p in paths.values())})")
    return 0


def _cmd_score(args: argparse.Namespace) -> int:
    from ._propensity import RepurchaseModel, target_list, write_scores

    orders, contacts = _read_for(args)
    model = RepurchaseModel(horizon=args.horizon).fit(orders, contacts, as_of=args.as_of)
    scores = model.score(orders, contacts)
    targets = target_list(model, orders, contacts, scores=scores)
    paths = write_scores(model, scores, args.out, targets)
    zh = args.lang == "zh"
    table = model.backtest()
    cols = ["roc_auc", "pr_auc", "brier", "ece", "top_decile_lift"]
    print((f"复购倾向:{args.horizon} 天内再次购买的概率,as_of {args.as_of},{len(scores):,} 位购买客户" if zh else
           f"repurchase propensity: P(buy again within {args.horizon} days), as_of {args.as_of}, "
           f"{len(scores):,} buyers"))
    print(("回测窗口 " if zh else "backtest window ") + " → ".join(model.cutoffs_["backtest_window"]))
    shown = table[["name_zh" if zh else "name_en", *cols, "chosen"]].round(3)
    print(shown.to_string())
    print(model.message_[args.lang])
    bands = scores["band"].value_counts().reindex(["高", "中", "低"], fill_value=0)
    print(("分档 " if zh else "bands ") + ", ".join(f"{b} {n:,}" for b, n in bands.items()))
    print((f"建议触达 {len(targets):,} 位客户(targets.csv)" if zh else f"{len(targets):,} customers to reach now (targets.csv)"))
    print()
    print(("输出" if zh else "written") + f": {Path(args.out)}/ ({', '.join(p.name for p in paths.values())})")
    return 0


def _round_floats(df: pd.DataFrame) -> pd.DataFrame:
    return df.round({col: 6 for col in df.columns if pd.api.types.is_float_dtype(df[col])})


def _cmd_metrics(args: argparse.Namespace) -> int:
    from ._load import read_clean, read_clean_extras
    from ._metrics import cohort_retention, group_lifecycle, loop_report
    from ._privacy import write_csv

    orders, contacts = read_clean(args.data)
    tables = read_clean_extras(args.data)
    as_of = args.as_of or args.end
    report = loop_report(orders, contacts, start=args.start, end=args.end, as_of=as_of, **tables)
    by_channel = loop_report(orders, contacts, start=args.start, end=args.end, as_of=as_of, by="channel", **tables)
    cohorts = cohort_retention(orders, as_of=as_of, max_periods=12)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rounded = _round_floats
    paths = [
        write_csv(rounded(report), out / "metrics.csv"),
        write_csv(rounded(by_channel), out / "metrics_by_channel.csv"),
        write_csv(cohorts.round(4).reset_index().astype({"cohort": "str"}), out / "cohort_retention.csv"),
    ]
    if tables["members"] is not None:
        life = group_lifecycle(tables["members"], tables["activity"], as_of=as_of)
        paths.append(write_csv(rounded(life.reset_index()), out / "group_lifecycle.csv"))
    zh = args.lang == "zh"
    print((f"私域运营指标:{args.start} 至 {args.end}(数据截至 {as_of})" if zh else
           f"loop metrics: {args.start} to {args.end} (data as of {as_of})"))
    name = "name_zh" if zh else "name_en"
    for _, row in report.iterrows():
        v = row["value"]
        value = ("—" if pd.isna(v) else f"{v:.1%}" if row["id"].endswith(("_rate", "_share"))
                 else f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}")
        print(f"  {row[name]}: {value}" + (f"  ({row['note']})" if row["note"] else ""))
    print()
    print(("输出" if zh else "written") + f": {out}/ ({', '.join(p.name for p in paths)})")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    """clean, segment, score and the loop metrics in one go, each step's files in ``--out``."""
    ns = argparse.Namespace
    code = _cmd_clean(ns(**{name: getattr(args, name) for name in INPUTS}, out=args.out, lang=args.lang))
    print()
    _cmd_segment(ns(data=args.out, as_of=args.as_of, out=args.out, n_layers=args.n_layers, lang=args.lang))
    print()
    _cmd_score(ns(data=args.out, as_of=args.as_of, horizon=args.horizon, out=args.out, lang=args.lang))
    print()
    # The loop in numbers for the last three whole months up to as_of (cost
    # metrics need whole months): as_of's own month when it ends that month.
    end = pd.Timestamp(args.as_of)
    last = end if end.is_month_end else end.replace(day=1) - pd.Timedelta(days=1)
    first = (last.to_period("M") - 2).start_time
    _cmd_metrics(ns(data=args.out, start=f"{first:%Y-%m-%d}", end=f"{last:%Y-%m-%d}",
                    as_of=args.as_of, out=args.out, lang=args.lang))
    return code


def _cmd_dashboard(args: argparse.Namespace) -> int:
    """Serve the dashboard on a `sikit run` folder with Voila until Ctrl-C (see _serve.py)."""
    from ._serve import serve

    return serve(args.data, port=args.port, ip=args.ip, show_pii=args.show_pii, lang=args.lang,
                 token=args.token, no_token=args.no_token)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="sikit", description="Private-domain (私域) customer analytics.")
    parser.add_argument("--debug", action="store_true", help="show tracebacks")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample", help="write a simulated brand's contact and order exports")
    p.add_argument("--out", required=True, help="folder to write into")
    p.add_argument("--customers", type=int, default=3000, help="number of true persons (default 3000)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--format", choices=["export", "parquet"], default="export",
                   help="export: GB18030 CSV + XLSX as real tools write them; parquet: canonical columns")
    p.set_defaults(func=_cmd_sample)

    p = sub.add_parser("clean", help="clean exports with every row accounted for")
    _add_inputs(p)
    p.add_argument("--out", required=True, help="folder for the clean tables and the report")
    _add_common(p, data=False, as_of=None)
    p.set_defaults(func=_cmd_clean)

    p = sub.add_parser("segment", help="layer every customer known at a date (k-means layers + 8-class RFM)")
    _add_common(p, data=True, as_of="the day to describe, e.g. 2026-10-31; later data are ignored", warehouse=True)
    p.add_argument("--out", required=True, help="folder for layers.csv and layers_profile.csv")
    p.add_argument("--n-layers", type=_n_layers, default="auto", help="'auto' (silhouette, k=3..8) or a number")
    _add_engine(p)
    p.set_defaults(func=_cmd_segment)

    p = sub.add_parser("score", help="probability that each buyer buys again within a horizon, backtested")
    _add_common(p, data=True, as_of="the day to score at, e.g. 2026-10-31; later data are ignored", warehouse=True)
    p.add_argument("--horizon", type=int, default=90, help="days ahead (default 90)")
    p.add_argument("--out", required=True, help="folder for scores.csv, targets.csv and backtest.json")
    _add_engine(p)
    p.set_defaults(func=_cmd_score)

    p = sub.add_parser("metrics", help="the private-domain loop in numbers for a period (one registry of definitions)")
    _add_common(p, data=True, as_of=None)
    p.add_argument("--start", required=True, help="first day of the period, e.g. 2026-01-01")
    p.add_argument("--end", required=True, help="last day of the period, e.g. 2026-06-30")
    p.add_argument("--as-of", help="how far the data may be seen, for metrics that look past the period "
                                   "(回购率, conversion within N days); default: --end")
    p.add_argument("--out", required=True,
                   help="folder for metrics.csv, metrics_by_channel.csv, cohort_retention.csv (and group_lifecycle.csv)")
    p.set_defaults(func=_cmd_metrics)

    p = sub.add_parser("run", help="clean, segment, score and the loop metrics in one go")
    _add_inputs(p, required=("contacts", "orders"))
    _add_common(p, data=False, as_of="the day to describe and score, e.g. 2026-10-31")
    p.add_argument("--out", required=True, help="folder for every output file")
    p.add_argument("--n-layers", type=_n_layers, default="auto", help="'auto' or a number of buyer layers")
    p.add_argument("--horizon", type=int, default=90, help="repurchase horizon in days (default 90)")
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("dashboard", help="serve the interactive dashboard on a `sikit run` folder (Voila)")
    p.add_argument("--data", required=True, help="folder written by `sikit run` (orders.parquet, layers.csv, ...)")
    p.add_argument("--port", type=int, default=8866, help="port to listen on (default 8866)")
    p.add_argument("--ip", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only; any other needs a token)")
    p.add_argument("--show-pii", action="store_true", help="show full phone numbers and names (default: masked)")
    p.add_argument("--lang", choices=["zh", "en"], default="zh", help="language the page opens in")
    tokens = p.add_mutually_exclusive_group()
    tokens.add_argument("--token", help="access token for a non-loopback --ip (default: a random one)")
    tokens.add_argument("--no-token", action="store_true",
                        help="no token on a non-loopback --ip: only behind the company's auth/VPN")
    p.set_defaults(func=_cmd_dashboard)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except SikitInputError as exc:
        if args.debug:
            raise
        print(f"sikit: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (OSError, MemoryError) as exc:
        if args.debug:
            raise
        print(f"sikit: error: {type(exc).__name__}: {exc} (rerun with --debug for details)", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
