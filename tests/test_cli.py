"""The command line: exit codes and one-line errors, run as a real process."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from _export_files import write_text_export

SIKIT = [sys.executable, "-m", "sikit._cli"]


def run(*args, cwd=None):
    return subprocess.run([*SIKIT, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=300)


def test_clean_gb18030_csv_and_xlsx(contacts_csv, orders_xlsx, tmp_path):
    out = tmp_path / "out"
    p = run("clean", "--contacts", contacts_csv, "--orders", orders_xlsx, "--out", out, "--lang", "en")
    assert p.returncode == 0, p.stderr
    assert "rows_in == kept + merged + rejected: holds" in p.stdout
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    for t in report["tables"].values():
        assert t["rows_in"] == t["kept"] + t["merged"] + t["rejected"]
    for name in ("contacts.parquet", "orders.parquet", "identity_map.csv", "rejected.csv", "merged.csv"):
        assert (out / name).exists(), name


def test_either_file_alone(contacts_csv, orders_xlsx, tmp_path):
    assert run("clean", "--contacts", contacts_csv, "--out", tmp_path / "c").returncode == 0
    assert run("clean", "--orders", orders_xlsx, "--out", tmp_path / "o").returncode == 0


def test_missing_column_is_one_line_exit_2(tmp_path):
    bad = write_text_export(tmp_path / "o.csv", ["订单号", "客户ID", "实付金额"], [["E1", "wm1", "1"]], encoding="utf-8", title=None)
    p = run("clean", "--orders", bad, "--out", tmp_path / "out")
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and "order_time" in lines[0] and "下单时间" in lines[0]


def test_debug_shows_the_traceback(tmp_path):
    bad = tmp_path / "empty.csv"
    bad.write_bytes(b"")
    p = run("--debug", "clean", "--orders", bad, "--out", tmp_path / "out")
    assert p.returncode != 0 and "Traceback" in p.stderr


@pytest.mark.parametrize("content", [b"", b"\x00\x01\x02\xff" * 64])
def test_empty_or_binary_file_exit_2(tmp_path, content):
    bad = tmp_path / "x.csv"
    bad.write_bytes(content)
    p = run("clean", "--contacts", bad, "--out", tmp_path / "out")
    assert p.returncode == 2 and len(p.stderr.strip().splitlines()) == 1 and "Traceback" not in p.stderr


def test_nothing_to_clean_exit_2(tmp_path):
    p = run("clean", "--out", tmp_path / "out")
    assert p.returncode == 2 and "nothing to clean" in p.stderr


def test_sample_then_clean_round_trip(tmp_path):
    p = run("sample", "--out", tmp_path / "s", "--customers", "150", "--seed", "3")
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "s" / "contacts.csv").exists() and (tmp_path / "s" / "orders.xlsx").exists()
    p = run("clean", "--contacts", tmp_path / "s" / "contacts.csv", "--orders", tmp_path / "s" / "orders.xlsx",
            "--out", tmp_path / "c", "--lang", "en")
    assert p.returncode == 0, p.stderr
    assert "holds" in p.stdout


def test_sample_bad_size_exit_2(tmp_path):
    p = run("sample", "--out", tmp_path / "s", "--customers", "0")
    assert p.returncode == 2 and "customers" in p.stderr and "Traceback" not in p.stderr
