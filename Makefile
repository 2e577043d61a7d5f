# make run: set up .venv when missing and start Yaomu on the bundled catalogue.
# make test: set up .venv when missing and run the whole test suite.
# Needs Python >= 3.11 and make; the system packages (python3-venv, Qt's X libraries, poppler-utils,
# zbar-tools, xvfb) are installed first by .ci/system-deps (as root), or named when missing.
# make check: what CI runs: ruff, ruff format, mypy, lint-imports (the architecture contract), then make test.
# make soak: the long-running suites at full length (50 SIGKILLs during an apply).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check soak lint bench bundle smoke clean system-deps

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

soak: $(STAMP) system-deps
	YAOMU_SOAK=1 QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q tests/sync/test_kill.py

bench: $(STAMP)
	$(BIN)/python bench/search.py
	$(BIN)/python bench/sync.py
	$(BIN)/python bench/estimate.py
	$(BIN)/python bench/receipt.py
	$(BIN)/python bench/startup.py
	$(BIN)/python bench/parse.py
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/gui_block.py

bundle: $(STAMP)
	$(BIN)/pyinstaller --noconfirm --clean build.spec

smoke: bundle
	QT_QPA_PLATFORM=offscreen dist/yaomu/yaomu --smoke-test

clean:
	rm -rf build dist
