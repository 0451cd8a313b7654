"""Shared fixtures."""

import pytest
from _export_files import CONTACT_HEADER, CONTACT_ROWS, ORDER_HEADER, ORDER_ROWS, write_text_export, write_xlsx


@pytest.fixture
def contacts_csv(tmp_path):
    return write_text_export(tmp_path / "contacts.csv", CONTACT_HEADER, CONTACT_ROWS)


@pytest.fixture
def orders_xlsx(tmp_path):
    return write_xlsx(tmp_path / "orders.xlsx", ORDER_HEADER, ORDER_ROWS, title_rows=1)
