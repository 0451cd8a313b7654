"""Progress for long steps: a tqdm bar in a terminal or a notebook, silence elsewhere.

Silent in CI (``CI`` set), when stderr is not a terminal outside a notebook
(a log file, a pipe, pytest), and whenever ``SIKIT_PROGRESS=0``;
``SIKIT_PROGRESS=1`` forces the bars on. `make test` sets it to 0 so that
notebook outputs stay the same under nbval.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

ENV = "SIKIT_PROGRESS"


def enabled() -> bool:
    """Whether long steps show a progress bar here (see the module docstring)."""
    setting = os.environ.get(ENV)
    if setting in ("0", "1"):
        return setting == "1"
    if os.environ.get("CI"):
        return False
    if "ipykernel" in sys.modules:  # a notebook: tqdm.auto draws a widget
        return True
    return sys.stderr.isatty()


def progress(iterable: Iterable, *, desc: str, total: int | None = None) -> Iterable:
    """``iterable`` itself, wrapped in a tqdm bar labelled ``desc`` when :func:`enabled`.

    Examples
    --------
    >>> list(progress(range(3), desc="windows"))  # silent here (not a terminal)
    [0, 1, 2]
    """
    if not enabled():
        return iterable
    from tqdm.auto import tqdm

    return tqdm(iterable, desc=desc, total=total, leave=False)
