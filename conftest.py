"""nbval settings for notebooks/: compare printed figures, not HTML renderings.

Kept at the root (not in notebooks/) so that it is not a second module named
`conftest` beside tests/conftest.py under --doctest-modules.
"""


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        # DataFrame HTML carries styling that changes between pandas versions;
        # the text/plain rendering beside it is compared instead.
        collector.skip_compare += ("text/html",)
