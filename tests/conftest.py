"""Shared fixtures."""

from pathlib import Path

import pytest
from _export_files import CONTACT_HEADER, CONTACT_ROWS, ORDER_HEADER, ORDER_ROWS, write_text_export, write_xlsx


@pytest.fixture
def contacts_csv(tmp_path):
    return write_text_export(tmp_path / "contacts.csv", CONTACT_HEADER, CONTACT_ROWS)


@pytest.fixture
def orders_xlsx(tmp_path):
    return write_xlsx(tmp_path / "orders.xlsx", ORDER_HEADER, ORDER_ROWS, title_rows=1)


SAMPLE = Path(__file__).resolve().parents[1] / "data" / "sample"


@pytest.fixture(scope="session")
def sample_run(tmp_path_factory):
    """`sikit run` on the committed sample, every input, as_of 2026-10-31: the demo's folder.

    Shared read-only: copy it before changing anything in it.
    """
    from sikit._cli import main

    out = tmp_path_factory.mktemp("run")
    code = main(["run", "--contacts", str(SAMPLE / "contacts.csv"), "--orders", str(SAMPLE / "orders.xlsx"),
                 "--costs", str(SAMPLE / "channel_costs.xlsx"), "--group-members", str(SAMPLE / "group_members.csv"),
                 "--group-activity", str(SAMPLE / "group_activity.csv"),
                 "--deletions", str(SAMPLE / "deletions.csv"), "--as-of", "2026-10-31", "--out", str(out)])
    assert code == 0
    return out
