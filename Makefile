# The README's two commands: `make demo` and `make test`. Both work on a fresh
# machine with only Python and make: they build .venv and install into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := data/sample
OUT    := out/sample

.PHONY: demo dashboard screenshots test bench system-deps sample clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

# Stamps so a second `make` does not reinstall; pyproject.toml is the one list of dependencies.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(VENV)/.dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(VENV)/.runtime

# Debian packages the tests need: a CJK font so charts render Chinese (and an emoji font for
# the nicknames in the dashboard's tables), Java for PySpark's local mode (the cross-engine
# features test), and chromium for the dashboard's browser test (Playwright drives it;
# Playwright's own browser download needs internet).
system-deps:
	@missing=""; \
	fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || missing="$$missing fonts-noto-cjk fontconfig"; \
	fc-list 2>/dev/null | grep -qi "Noto Color Emoji" || missing="$$missing fonts-noto-color-emoji"; \
	[ -x /usr/bin/chromium ] || missing="$$missing chromium"; \
	command -v java >/dev/null || missing="$$missing openjdk-17-jre-headless"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "warning: missing$$missing and no root/apt-get: install them (CJK chart labels, the Spark test, the dashboard's browser test)"; \
	  fi; \
	fi

AS_OF  := 2026-10-31

RUN    := $(BIN)/sikit run --contacts $(SAMPLE)/contacts.csv --orders $(SAMPLE)/orders.xlsx \
	  --costs $(SAMPLE)/channel_costs.xlsx --group-members $(SAMPLE)/group_members.csv \
	  --group-activity $(SAMPLE)/group_activity.csv --deletions $(SAMPLE)/deletions.csv \
	  --as-of $(AS_OF) --out $(OUT)

# clean, segment, score and measure the loop on the committed sample (`sikit run`: every step in one go),
# then serve the dashboard on it (prints the URL; Ctrl-C stops it)
demo: $(VENV)/.runtime
	$(RUN)
	$(BIN)/sikit dashboard --data $(OUT)

# notebooks/04_dashboard.ipynb shows the demo's folder: `make test` makes it when it is missing
$(OUT)/backtest.json: | $(VENV)/.runtime
	$(RUN)

# serve the dashboard on what `make demo` wrote (http://127.0.0.1:8866/)
dashboard: $(VENV)/.runtime
	$(BIN)/sikit dashboard --data $(OUT)

# SIKIT_PROGRESS=0: no progress bars in the notebooks nbval compares
test: $(VENV)/.dev system-deps $(OUT)/backtest.json
	SIKIT_PROGRESS=0 $(BIN)/python -m pytest -q tests src/sikit notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

# Rewrite the committed sample (deterministic: same seed, same files).
sample: $(VENV)/.runtime
	$(BIN)/sikit sample --out $(SAMPLE) --customers 3000 --seed 0

# the README's screenshots of the four dashboard tabs, taken by the browser test
screenshots: $(VENV)/.dev system-deps
	SIKIT_SCREENSHOTS=docs/screenshots $(BIN)/python -m pytest -q tests/test_dashboard_browser.py -k every_tab_renders

bench: $(VENV)/.dev system-deps
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf out .pytest_cache
