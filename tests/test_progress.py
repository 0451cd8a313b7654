"""Progress bars: on in a terminal or a notebook, off in CI, in pipes and when SIKIT_PROGRESS=0."""

from __future__ import annotations

import sys

import pytest

from sikit import _progress


@pytest.fixture
def env(monkeypatch):
    for name in (_progress.ENV, "CI"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_off_under_pytest_whose_stderr_is_no_terminal(env):
    env.delitem(sys.modules, "ipykernel", raising=False)
    assert not _progress.enabled()
    items = [1, 2, 3]
    assert _progress.progress(items, desc="x") is items


def test_the_setting_wins_over_ci_and_terminals(env):
    env.setenv("CI", "true")
    assert not _progress.enabled()
    env.setenv(_progress.ENV, "1")
    assert _progress.enabled()
    bar = _progress.progress(range(4), desc="windows")
    assert bar is not range(4) and list(bar) == [0, 1, 2, 3]  # a tqdm bar, the same items
    env.setenv(_progress.ENV, "0")
    env.setitem(sys.modules, "ipykernel", sys)  # even in a notebook
    assert not _progress.enabled()


def test_on_in_a_notebook_kernel_unless_ci(env):
    env.setitem(sys.modules, "ipykernel", sys)
    assert _progress.enabled()
    env.setenv("CI", "1")
    assert not _progress.enabled()
