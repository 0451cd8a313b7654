# The README's two commands: `make demo` and `make test`. Both work on a fresh
# machine with only Python and make: they build .venv and install into it.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
SAMPLE := data/sample
OUT    := out/sample

.PHONY: demo test bench system-deps sample clean

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

# Debian packages the tests need: a CJK font so charts render Chinese.
system-deps:
	@if ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
	  if [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	    echo "installing fonts-noto-cjk"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk fontconfig >/dev/null; \
	  else \
	    echo "warning: no CJK font and no root/apt-get: install fonts-noto-cjk for Chinese chart labels"; \
	  fi; \
	fi

AS_OF  := 2026-10-31

# clean, segment, score and measure the loop on the committed sample (`sikit run`: every step in one go)
demo: $(VENV)/.runtime
	$(BIN)/sikit run --contacts $(SAMPLE)/contacts.csv --orders $(SAMPLE)/orders.xlsx --costs $(SAMPLE)/channel_costs.xlsx \
	  --group-members $(SAMPLE)/group_members.csv --group-activity $(SAMPLE)/group_activity.csv \
	  --deletions $(SAMPLE)/deletions.csv \
	  --as-of $(AS_OF) --out $(OUT)

test: $(VENV)/.dev system-deps
	$(BIN)/python -m pytest -q tests src/sikit notebooks --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg

# Rewrite the committed sample (deterministic: same seed, same files).
sample: $(VENV)/.runtime
	$(BIN)/sikit sample --out $(SAMPLE) --customers 3000 --seed 0

bench: $(VENV)/.dev
	$(BIN)/python benchmarks/run.py

clean:
	rm -rf out .pytest_cache
