# Set-up and the two commands of the README: `make site` and `make test`.
# Each creates .venv when it is missing and installs the pinned dependencies.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# torch first and exactly, so that no later requirement makes pip pick a CUDA build.
TORCH  := $(shell grep -E '^torch==' requirements/lock.txt)

.PHONY: site test serve figures bench clean setup
setup: $(STAMP)

$(STAMP): pyproject.toml requirements/lock.txt package-lock.json
	@command -v $(PYTHON) >/dev/null || { echo "$(PYTHON) not found: the course needs Python 3.11 (see README)"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet "$(TORCH)"
	$(BIN)/pip install --quiet -c requirements/lock.txt -e ".[dev]"
	npm ci --no-audit --no-fund --silent
	touch $(STAMP)

site: $(STAMP)
	$(BIN)/mkdocs build --strict

test: $(STAMP)
	$(BIN)/python -m pytest

serve: $(STAMP)
	$(BIN)/mkdocs serve

figures: $(STAMP)
	$(BIN)/python -m aicourse figures build

bench: $(STAMP)
	$(BIN)/python benchmarks/build.py

clean:
	rm -rf site .cache

# Chromium for the browser tests (tests/browser), from Debian/Ubuntu's apt: Playwright's own
# browser download is not used. Without it those tests skip on a laptop and fail where CI=true.
.PHONY: browser
browser:
	@if [ -x /usr/bin/chromium ]; then echo "chromium: /usr/bin/chromium"; \
	elif command -v apt-get >/dev/null; then \
	  SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
	  $$SUDO apt-get update -qq && $$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else echo "install Chromium (or Chrome) and set CHROME_PATH to it: no apt-get here"; exit 1; fi
