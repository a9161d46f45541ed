# The two commands of the README: `make run` and `make test`. Each installs what it needs.
# `make mutation` (not part of `make test`): mutation testing of the rules, see TESTING.md.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The personal file (一人一档) is a PDF in Chinese: it needs a CJK font, Debian's WenQuanYi Micro Hei.
CJK_FONT := /usr/share/fonts/truetype/wqy/wqy-microhei.ttc

.PHONY: run test mutation chromium cjk-font

CHROMIUM := /usr/bin/chromium

# Installed with apt when missing and we may (root, apt present); without it the personal file answers 503 and its
# tests skip (fail when CI=true).
cjk-font:
	@if [ ! -f $(CJK_FONT) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y -q fonts-wqy-microhei || (apt-get update -q && apt-get install -y -q fonts-wqy-microhei); \
	fi
	@[ -f $(CJK_FONT) ] || echo "no $(CJK_FONT): the personal file (PDF) is unavailable and its tests will skip"

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The console's browser tests drive the system's Chromium (Playwright's own browser download is not used):
# installed with apt when missing and we may (root, apt present); otherwise those tests skip, or fail when CI=true.
chromium:
	@if [ ! -x $(CHROMIUM) ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get install -y --no-install-recommends chromium || \
		(apt-get update && apt-get install -y --no-install-recommends chromium); \
	fi
	@[ -x $(CHROMIUM) ] || echo "no $(CHROMIUM): the console's browser tests will skip (and fail when CI=true)"

run: $(STAMP) cjk-font
	$(BIN)/huhang serve --demo

test: $(STAMP) chromium cjk-font
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

MUTATION_STAMP := $(VENV)/.installed-mutation

$(MUTATION_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,mutation]'
	touch $(MUTATION_STAMP)

# The modules mutated and the tests run are set in pyproject.toml, [tool.mutmut].
mutation: $(MUTATION_STAMP)
	rm -rf mutants
	$(BIN)/mutmut run --max-children $${MUTATION_JOBS:-2}
	$(BIN)/mutmut results
	$(BIN)/mutmut results --all true | $(BIN)/python tests/mutation_summary.py
