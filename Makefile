# make run: set up .venv when missing and start Yaomu on the bundled catalogue.
# make test: set up .venv when missing and run the whole test suite.
# Needs Python >= 3.11 and make; the system packages (python3-venv, Qt's X libraries, poppler-utils,
# zbar-tools, xvfb) are installed first by .ci/system-deps (as root), or named when missing.
# make check: what CI runs: ruff, ruff format, mypy, lint-imports (the architecture contract), then make test.
# make soak: the fuzz and SIGKILL suites at full length (hundreds of kills, thousands of examples).
# make packages: rebuild the bundled packages and their SHA-256 manifest (no publisher key needed).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check soak lint bench bundle smoke clean system-deps packages

# System packages first (order-only): a missing python3-venv would otherwise leave a .venv without pip.
$(STAMP): pyproject.toml | system-deps
	@test -x $(BIN)/pip || { rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); }
	@echo "installing the pinned Python packages into $(VENV) (first time: a minute or two)..."
	@$(BIN)/pip install --quiet --disable-pip-version-check --upgrade pip
	@$(BIN)/pip install --quiet --disable-pip-version-check -e '.[test,build]'
	@touch $(STAMP)

system-deps:
	@bash .ci/system-deps $(PYTHON)

run: $(STAMP)
	$(BIN)/yaomu

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q desktop tests

lint: $(STAMP)
	$(BIN)/ruff check desktop tests bench
	$(BIN)/ruff format --check desktop tests bench

check: lint
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(MAKE) test

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/feed.py
	$(BIN)/python bench/estimate.py
	$(BIN)/python bench/receipt.py
	$(BIN)/python bench/backup.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/cli_start.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/keystroke.py
	$(BIN)/python bench/parse.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/gui_block.py

# Rebuild resources/packages/*.zip and their SHA-256 manifest from resources/sources/ and
# resources/overlays/ (after an adapter or overlay fix); needs no publisher key.
packages: $(STAMP)
	$(BIN)/python -m desktop package bundle

# The fuzz and SIGKILL suites at full strength (minutes to an hour); `make test` runs them bounded.
soak: $(STAMP) system-deps
	YAOMU_SOAK=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests/fuzz tests/sync/test_kill.py tests/receipts/test_kill.py

bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean build.spec

smoke: bundle
	QT_QPA_PLATFORM=offscreen dist/yaomu/yaomu --smoke-test

clean:
	rm -rf build dist
