"""nbval settings for notebooks/.

Kept at the root (not in notebooks/) so that it is not a second module named
`conftest` beside tests/conftest.py under --doctest-modules.

Analysis notebooks are compared strictly on what they print; HTML renderings
are skipped (their styling changes between pandas versions; the text/plain
rendering beside them is compared). Widget and dashboard notebooks, whose
Output-widget captures nbval cannot compare, opt into lax mode (run, don't
compare) with the notebook metadata ``{"sikit": {"nbval": "lax"}}``.
"""

import json


def pytest_collectstart(collector):
    if collector.fspath and collector.fspath.ext == ".ipynb":
        collector.skip_compare += ("text/html",)
        meta = json.loads(collector.fspath.read_text("utf-8")).get("metadata", {})
        if meta.get("sikit", {}).get("nbval") == "lax":
            collector.compare_outputs = False
