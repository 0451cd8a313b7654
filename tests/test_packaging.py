"""pyproject.toml is the single list of dependencies; environment.yml must not drift from it."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import yaml

import sikit

ROOT = Path(__file__).resolve().parents[1]


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def test_environment_yml_takes_dependencies_from_pyproject():
    env = yaml.safe_load((ROOT / "environment.yml").read_text(encoding="utf-8"))
    assert "conda-forge" in env["channels"]
    conda = [d for d in env["dependencies"] if isinstance(d, str)]
    pip = [d for d in env["dependencies"] if isinstance(d, dict)]
    # conda brings only Python and pip: every library comes from pyproject via pip.
    assert sorted(re.split(r"[<>=]", d)[0] for d in conda) == ["pip", "python"]
    assert pip == [{"pip": ["-e .[dev]"]}]
    python = next(d for d in conda if d.startswith("python"))
    assert python.removeprefix("python") == _pyproject()["project"]["requires-python"]


def test_runtime_dependencies_cover_the_stack():
    names = {re.split(r"[<>=\[ ]", d)[0].lower() for d in _pyproject()["project"]["dependencies"]}
    assert {"pandas", "numpy", "scikit-learn", "pyarrow", "seaborn", "matplotlib", "ipywidgets", "voila", "jupyterlab"} <= names
    dev = {re.split(r"[<>=\[ ]", d)[0].lower() for d in _pyproject()["project"]["optional-dependencies"]["dev"]}
    assert {"pytest", "nbval", "hypothesis"} <= dev


def test_console_script_and_public_surface():
    assert _pyproject()["project"]["scripts"]["sikit"] == "sikit._cli:main"
    for name in sikit.__all__:
        assert hasattr(sikit, name), name


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme and "conda env create -f environment.yml" in readme
